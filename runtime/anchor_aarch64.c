/*
 * anchor_aarch64.c - find the site an anchor points at, on AArch64.
 *
 * The Clang plugin places its label just before the argument set-up of the
 * call (docs/ABI.md); the site is the first control transfer after it, which
 * must be a `bl` or `b` reaching this key's trampoline. Every AArch64
 * instruction is one aligned 4-byte word, so no decoder library is needed:
 * read words forward and stop, reporting why, at any other branch (B.cond,
 * CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET/ERET and their authenticated forms), an
 * exception-generating instruction (SVC, HVC, SMC, BRK, HLT, ...), UDF, the
 * end of the segment or a bound on the distance.
 */
#include <string.h>

#include "internal.h"

#define ANCHOR_MAX_DISTANCE 256 /* bytes: 64 instructions */

int sc_arch_find_site(const uint8_t *anchor, const uint8_t *limit,
		      const void *tramp, uint8_t **insn, int *kind,
		      const char **why)
{
	if ((uintptr_t)anchor & 3) {
		*why = "anchor: not 4-byte aligned";
		return 0;
	}
	if (limit > anchor + ANCHOR_MAX_DISTANCE)
		limit = anchor + ANCHOR_MAX_DISTANCE;
	for (const uint8_t *p = anchor; p + 4 <= limit; p += 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		int k = -1;
		if ((w & 0xfc000000u) == 0x94000000u)
			k = SC_INSN_CALL; /* bl */
		else if ((w & 0xfc000000u) == 0x14000000u)
			k = SC_INSN_JMP;  /* b */
		int other = (w & 0xff000010u) == 0x54000000u || /* b.cond */
			    (w & 0x7e000000u) == 0x34000000u || /* cbz/cbnz */
			    (w & 0x7e000000u) == 0x36000000u || /* tbz/tbnz */
			    (w & 0xfe000000u) == 0xd6000000u || /* br/blr/ret/eret... */
			    (w & 0xff000000u) == 0xd4000000u || /* svc/hvc/brk/hlt... */
			    (w & 0xffff0000u) == 0x00000000u;   /* udf */
		if (k < 0 && !other)
			continue;
		if (k >= 0) {
			int32_t imm = (int32_t)((w & 0x03ffffffu) << 6) >> 6;
			if (p + (intptr_t)imm * 4 == (const uint8_t *)tramp) {
				*insn = (uint8_t *)p;
				*kind = k;
				return 1;
			}
		}
		*why = "anchor: another control transfer comes before the "
		       "trampoline call";
		return 0;
	}
	*why = "anchor: no trampoline call within reach";
	return 0;
}
