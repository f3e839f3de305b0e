/*
 * anchor_aarch64.c - find the first control transfer after an anchor, on
 * AArch64.
 *
 * The Clang plugin places its label just before the argument set-up of the
 * call (docs/ABI.md); the site is the first control transfer after it, which
 * must be a `bl` or `b` reaching this key's trampoline (site_decode.c
 * checks that). Every AArch64 instruction is one aligned 4-byte word, so
 * no decoder library is needed: read words forward and stop at a B/BL
 * (arch_aarch64.c's encodings), any other branch (B.cond, CBZ/CBNZ,
 * TBZ/TBNZ, BR/BLR/RET/ERET and their authenticated forms), an
 * exception-generating instruction (SVC, HVC, SMC, BRK, HLT, ...) or UDF;
 * give up, reporting why, at the end of the segment or a bound on the
 * distance.
 */
#include <string.h>

#include "internal.h"

#define ANCHOR_MAX_DISTANCE 256 /* bytes: 64 instructions */

static int other_transfer(uint32_t w)
{
	return (w & 0xff000010u) == 0x54000000u || /* b.cond */
	       (w & 0x7e000000u) == 0x34000000u || /* cbz/cbnz */
	       (w & 0x7e000000u) == 0x36000000u || /* tbz/tbnz */
	       (w & 0xfe000000u) == 0xd6000000u || /* br/blr/ret/eret... */
	       (w & 0xff000000u) == 0xd4000000u || /* svc/hvc/brk/hlt... */
	       (w & 0xffff0000u) == 0x00000000u;   /* udf */
}

const uint8_t *sc_arch_first_transfer(const uint8_t *anchor,
				      const uint8_t *limit, const char **why)
{
	if ((uintptr_t)anchor & 3) {
		*why = "anchor: not 4-byte aligned";
		return NULL;
	}
	if (limit > anchor + ANCHOR_MAX_DISTANCE)
		limit = anchor + ANCHOR_MAX_DISTANCE;
	for (const uint8_t *p = anchor; p + 4 <= limit; p += 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		if (sc_arch_match(p, SC_INSN_CALL) ||
		    sc_arch_match(p, SC_INSN_JMP) || other_transfer(w))
			return p;
	}
	*why = "anchor: no trampoline call within reach";
	return NULL;
}

/* bti c: what BTI (-mbranch-protection) puts first in a function. */
size_t sc_arch_landing_pad_len(void)
{
	return 4;
}

int sc_arch_is_landing_pad(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w == 0xd503245fu;
}

/*
 * A one-instruction fragment (runtime/fragment.c): the function at fn is
 * [bti c] insn ret. arm64 sites hold only branches while threads run
 * (sc_arch_inline_site refuses every inline form there), so the sites
 * keep calling fn; the check only keeps the table honest.
 */
const char *sc_arch_fragment_check(const uint8_t *fn, const uint8_t *insn,
				   size_t len, int seq, int *ninsn)
{
	uint32_t first, ret;
	*ninsn = 1;
	if (seq)
		return "several instructions (one only on arm64)";
	if (len != 4 || ((uintptr_t)insn & 3))
		return "not one aligned 4-byte instruction";
	memcpy(&first, fn, 4);
	if (insn != fn && !(insn == fn + 4 && first == 0xd503245fu))
		return "the function does more than its instruction";
	memcpy(&ret, insn + 4, 4);
	if (ret != 0xd65f03c0u)
		return "no `ret` after the instruction";
	return NULL;
}
