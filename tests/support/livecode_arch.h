/*
 * livecode_arch.h - private to the live-code checker of livecode.h; tests
 * include livecode.h, never this.
 *
 * The checker is two files linked together:
 *   livecode_core.c   the key registry and SC_UPDATE support, the no-op
 *                     entry points of a build without a plugin, and (with a
 *                     plugin) the walk over the loaded objects, their ELF
 *                     symbols and the run_check driver: which sites the
 *                     runtime reports, which branches reach a trampoline;
 *   one arch part     the instruction decoding and the checks of one site
 *                     and one trampoline slot: livecode.c (x86-64, Zydis)
 *                     or tests/arm64/livecode_aarch64.c (AArch64).
 * The arch part provides the sc_lc_arch_* hooks declared at the end; the
 * core provides everything else declared here. All of it is hidden: a
 * shared object built with the checker exports only the livecode.h API.
 */
#ifndef SC_LIVECODE_ARCH_H
#define SC_LIVECODE_ARCH_H

#include "livecode.h"

#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Only what is declared here is hidden (not libc's declarations). */
#pragma GCC visibility push(hidden)

#define SC_MAX_KEYS 64

/* The registered keys (sc_live_key*), in every build. */
struct sc_lc_key {
	const void *key;
	const char *name;
	int flags;
};
extern struct sc_lc_key sc_keys[SC_MAX_KEYS];
extern int sc_nkeys;

#ifdef __STATICCALL_PLUGIN__

#define TRAMP_PREFIX "__staticcall_tramp."
#define TRAMP_COND_PREFIX "__staticcall_tramp_cond." /* NULL-safe variant */

/* A relative branch or a patchable nop found by decoding (x86-64: call,
 * jmp, jcc rel8/rel32, 5-byte nop; AArch64: bl, b, nop). */
enum rec_kind { REC_CALL, REC_JMP, REC_JCC, REC_NOP };

struct rec {
	uintptr_t addr;
	uintptr_t target; /* for relative branches */
	int len;
	int kind;
};

struct tramp {
	uintptr_t addr;
	char name[96];
};

struct func {
	uintptr_t addr;
	size_t size;
	const char *name;
};

/* One loaded object, as dl_iterate_phdr describes it. */
struct object {
	const char *name; /* for diagnostics */
	struct dl_phdr_info info;
	void *map;
	size_t map_size;
	struct func *funcs;
	size_t nfuncs;
	int has_tramps;
};

/* Of the check in progress: the decoded branches and nops (sorted by
 * address once every function is decoded), the trampolines (likewise) and
 * the failures counted by FAIL. */
extern struct sc_lc_recs {
	struct rec *v;
	size_t n, cap;
} sc_lc_recs;
extern struct sc_lc_tramps {
	struct tramp *v;
	size_t n, cap;
} sc_lc_tramps;
extern int sc_lc_failures;

/* One failure: a line on stderr starting with "livecode: ". */
#define FAIL(...)                                                             \
	do {                                                                  \
		sc_lc_failures++;                                             \
		fprintf(stderr, "livecode: " __VA_ARGS__);                    \
		fputc('\n', stderr);                                          \
	} while (0)

/* Append to a growable {v, n, cap} array. */
#define PUSH(arr, item)                                                       \
	do {                                                                  \
		if ((arr).n == (arr).cap) {                                   \
			(arr).cap = (arr).cap ? 2 * (arr).cap : 256;          \
			(arr).v = realloc((arr).v, (arr).cap * sizeof *(arr).v); \
			if (!(arr).v)                                         \
				abort();                                      \
		}                                                             \
		(arr).v[(arr).n++] = (item);                                  \
	} while (0)

int sc_lc_cmp_uptr(const void *a, const void *b);
const char *sc_lc_key_name(const void *key);
/* The index in sc_keys of the key at address a, or -1. */
int sc_lc_key_index(uintptr_t a);
/* The trampoline symbol at exactly a, or NULL. */
const char *sc_lc_tramp_name(uintptr_t a);
/* The decoded branch or nop at exactly a, or NULL. */
const struct rec *sc_lc_find_rec(uintptr_t a);
/* Is [a, a + len) inside a PT_LOAD segment (an executable one)? */
int sc_lc_in_segment(const struct object *o, uintptr_t a, size_t len,
		     int need_exec);
/* The key whose address the readable quadword at a (inside the object)
 * holds (a GOT slot of a key), or -1. */
int sc_lc_got_slot_key(const struct object *o, uintptr_t a);
/* static_call_form_name, "?" for an unknown form. */
const char *sc_lc_form_name(int form);
/* FAIL for a site of a form the arch part does not check (UNVERIFIED, or
 * unknown), with the runtime's reason. */
void sc_lc_fail_form(const struct static_call_site_info *s, const char *kn);

/* ---- provided by the architecture part ---- */

/* Decode f as it is in memory now: PUSH every relative branch and every
 * patchable nop onto sc_lc_recs, and FAIL on an indirect call or jump
 * through a key that remains (check (c)). */
void sc_lc_arch_decode_func(const struct object *o, const struct func *f);
/* Check (b): one reported site of key, whose current target is target. */
void sc_lc_arch_check_site(const struct static_call_site_info *s,
			   const void *key, uintptr_t target);
/* Check (b): the slot of a reported trampoline of key. */
void sc_lc_arch_check_tramp(const void *key, uintptr_t tramp,
			    uintptr_t target);
/* The mnemonic of a branch kind in diagnostics ("call", "bl", ...). */
const char *sc_lc_arch_branch_name(int kind);
/* The length of a patchable site: a reported branch to a trampoline of
 * another length (or a REC_JCC) cannot be patched. */
extern const int sc_lc_arch_site_len;
/* Functions at an address that is not a multiple of this are not decoded. */
extern const uintptr_t sc_lc_arch_func_align;

#endif /* __STATICCALL_PLUGIN__ */

#pragma GCC visibility pop

#endif
