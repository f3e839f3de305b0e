/*
 * anchor_x86_64.c - find the site an anchor points at.
 *
 * The Clang plugin cannot place a label exactly on a call (LLVM has no
 * plugin hook late enough), so it places one just before the argument
 * set-up and records that anchor (docs/ABI.md). The site is the first
 * control transfer after it, which must be a call, jmp or jcc with a rel32
 * displacement reaching this key's trampoline (site_decode.c checks that).
 * We find it with a real decoder (Zydis) and give up, reporting why, at
 * bytes that do not decode, the end of the segment or a bound on the
 * distance.
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "internal.h"

/* Bytes from anchor to call: usually 0 to ~12 instructions of argument
 * set-up, but 16 arguments with large structs by value took 291. */
#define ANCHOR_MAX_DISTANCE 2048

/* In the static library the references are weak: Debian ships Zydis as a
 * shared library only, so a -static program links the runtime without it.
 * Its anchored (Clang) sites then stay on their trampolines, reported;
 * exact (GCC) sites need no decoder. The shared library links Zydis for
 * real (weak references would let the linker drop it as not needed). */
#ifdef SC_ZYDIS_WEAK
#pragma weak ZydisDecoderInit
#pragma weak ZydisDecoderDecodeInstruction
#endif

static int is_control_transfer(const ZydisDecodedInstruction *d)
{
	switch (d->meta.category) {
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_SYSTEM:
		return 1;
	default:
		return d->mnemonic == ZYDIS_MNEMONIC_UD2 ||
		       d->mnemonic == ZYDIS_MNEMONIC_UD1 ||
		       d->mnemonic == ZYDIS_MNEMONIC_UD0;
	}
}

const uint8_t *sc_arch_first_transfer(const uint8_t *anchor,
				      const uint8_t *limit, const char **why)
{
	ZydisDecoder dec;
#ifdef SC_ZYDIS_WEAK
	if (!ZydisDecoderInit) {
		*why = "anchor: x86 decoder (Zydis) not linked into this program";
		return NULL;
	}
#endif
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64))) {
		*why = "x86 decoder unavailable";
		return NULL;
	}
	if (limit > anchor + ANCHOR_MAX_DISTANCE)
		limit = anchor + ANCHOR_MAX_DISTANCE;
	const uint8_t *p = anchor;
	while (p < limit) {
		ZydisDecodedInstruction d;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(
			    &dec, NULL, p, (ZyanUSize)(limit - p), &d))) {
			/* cut off by the reach limit, or really not code */
			*why = limit - p < ZYDIS_MAX_INSTRUCTION_LENGTH ?
				       "anchor: no trampoline call within reach" :
				       "anchor: bytes after it do not decode as x86-64";
			return NULL;
		}
		if (is_control_transfer(&d))
			return p;
		p += d.length;
	}
	*why = "anchor: no trampoline call within reach";
	return NULL;
}

/* endbr64: what -fcf-protection=branch puts first in a function. */
size_t sc_arch_landing_pad_len(void)
{
	return 4;
}

int sc_arch_is_landing_pad(const uint8_t *p)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	return !memcmp(p, endbr64, 4);
}

/* One instruction of a fragment: no control transfer, nothing relative
 * or locked, no memory operand (so nothing RIP- or stack-relative), no
 * string or I/O instruction; in a sequence also push/pop of a register
 * and pushf (*push +1 or -1), never popf. */
static const char *fragment_insn_check(const ZydisDecodedInstruction *d,
				       int seq, int *push)
{
	*push = 0;
	if (is_control_transfer(d) ||
	    (d->attributes & (ZYDIS_ATTRIB_IS_RELATIVE | ZYDIS_ATTRIB_HAS_LOCK)))
		return "a control transfer, relative or locked instruction";
	if ((d->attributes & ZYDIS_ATTRIB_HAS_MODRM) && d->raw.modrm.mod != 3)
		return "a memory operand";
	switch (d->meta.category) {
	case ZYDIS_CATEGORY_PUSH:
	case ZYDIS_CATEGORY_POP:
		if (!seq || d->mnemonic == ZYDIS_MNEMONIC_POPF ||
		    d->mnemonic == ZYDIS_MNEMONIC_POPFQ ||
		    d->mnemonic == ZYDIS_MNEMONIC_POPFD ||
		    (d->mnemonic != ZYDIS_MNEMONIC_PUSH &&
		     d->mnemonic != ZYDIS_MNEMONIC_POP &&
		     d->mnemonic != ZYDIS_MNEMONIC_PUSHF &&
		     d->mnemonic != ZYDIS_MNEMONIC_PUSHFQ) ||
		    d->operand_width != 64 || d->raw.imm[0].size)
			return "a stack, string or I/O instruction";
		*push = d->meta.category == ZYDIS_CATEGORY_PUSH ? 1 : -1;
		return NULL;
	case ZYDIS_CATEGORY_STRINGOP:
	case ZYDIS_CATEGORY_IO:
	case ZYDIS_CATEGORY_IOSTRINGOP:
		return "a stack, string or I/O instruction";
	default:
		return NULL;
	}
}

/*
 * A fragment (runtime/fragment.c): the function at fn is [endbr64] insn
 * ret, insn exactly len bytes of one instruction (or, with seq, of a
 * sequence of them: *ninsn) that does the same wherever it runs
 * (fragment_insn_check; a sequence's pushes and pops balance). The plugin
 * checked the text and its registers; these are the bytes the linked
 * program holds. NULL if it may be inlined, else why not.
 */
const char *sc_arch_fragment_check(const uint8_t *fn, const uint8_t *insn,
				   size_t len, int seq, int *ninsn)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	ZydisDecoder dec;
	ZydisDecodedInstruction d;
#ifdef SC_ZYDIS_WEAK
	if (!ZydisDecoderInit)
		return "x86 decoder (Zydis) not linked into this program";
#endif
	*ninsn = 0;
	if (insn != fn && !(insn == fn + 4 && !memcmp(fn, endbr64, 4)))
		return "the function does more than its instruction (built "
		       "with -pg, -fpatchable-function-entry, ...?)";
	if (!len || len > SC_MAX_INSN)
		return "instruction length out of range";
	if (insn[len] != 0xc3)
		return "no `ret` after the instruction";
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64)))
		return "x86 decoder unavailable";
	int n = 0, depth = 0;
	for (size_t at = 0; at < len; at += d.length, n++) {
		int push;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(
			    &dec, NULL, insn + at, len - at, &d)) ||
		    (!seq && d.length != len))
			return "the recorded length is not one instruction's";
		const char *why = fragment_insn_check(&d, seq, &push);
		if (why)
			return why;
		depth += push;
		if (depth < 0)
			return "pops more than it pushed";
	}
	if (depth)
		return "pushes more than it pops";
	if (seq && n < 2)
		return "a sequence of one instruction";
	*ninsn = n;
	return NULL;
}
