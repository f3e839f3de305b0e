/*
 * arch_ops.c - one arch's functions as a table (arch.h, struct
 * sc_arch_ops), for a program that holds both arches and picks one per
 * file: compiled with SC_ARCH_NS=x86 or =a64 beside that arch's files and
 * site_decode.c (runtime/meson.build, staticcall_arch). The runtime does
 * not use it.
 */
#include "internal.h"

/* Nothing without SC_ARCH_NS: scripts that build the runtime from the
 * files of runtime/ (the fuzzer's, the sanitizers') may compile it. */
#ifdef SC_ARCH_NS
const struct sc_arch_ops SC_NS(ops) = {
	.id = sc_arch_id,
	.tramp_align = sc_arch_tramp_align,
	.insn_len = sc_arch_insn_len,
	.match = sc_arch_match,
	.read_site = sc_arch_read_site,
	.encode_site = sc_arch_encode_site,
	.encode_form = sc_arch_encode_form,
	.keep_compiled = sc_arch_keep_compiled,
	.is_transient = sc_arch_is_transient,
	.decode_slot = sc_arch_decode_slot,
	.bind_slot = sc_arch_bind_slot,
	.plan = sc_arch_plan,
	.jump_read = sc_arch_jump_read,
	.decode_site = sc_decode_site,
	.find_site = sc_find_site,
	.first_transfer = sc_arch_first_transfer,
};
#endif
