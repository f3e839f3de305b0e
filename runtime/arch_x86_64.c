/*
 * arch_x86_64.c - the x86-64 instruction forms the runtime writes.
 *
 * A site is a 5-byte `call rel32` (E8) or `jmp rel32` (E9) that the plugin
 * placed inside one aligned quadword (docs/ABI.md). Re-targeting rewrites
 * only the displacement, by replacing that whole quadword in one atomic
 * store, so another thread fetches either the old or the new instruction.
 *
 * A trampoline's first quadword (its slot) is one of:
 *   slow path  EB 06 CC CC CC CC CC CC   jmp +6 to the indirect jump
 *   direct     E9 rel32 CC CC CC         jmp target
 */
#include <string.h>

#include "internal.h"

#define OP_CALL 0xe8
#define OP_JMP 0xe9
#define SLOT_SLOW 0xcccccccccccc06ebull /* EB 06 CC*6, little endian */

uint32_t sc_arch_id(void) { return SC_ABI_ARCH_X86_64; }

static uint8_t word_byte(uint64_t w, unsigned i) { return (uint8_t)(w >> (8 * i)); }

static int32_t word_rel32(uint64_t w, unsigned at)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)word_byte(w, at + i) << (8 * i);
	return (int32_t)v;
}

static uint64_t word_set_rel32(uint64_t w, unsigned at, int32_t rel)
{
	uint32_t v = (uint32_t)rel;
	for (unsigned i = 0; i < 4; i++) {
		w &= ~(0xffull << (8 * (at + i)));
		w |= (uint64_t)((v >> (8 * i)) & 0xff) << (8 * (at + i));
	}
	return w;
}

/* rel32 from the end of a 5-byte instruction at `insn` to `dest`. */
static int rel32_to(const uint8_t *insn, const void *dest, int32_t *rel)
{
	intptr_t d = (intptr_t)dest - (intptr_t)(insn + 5);
	if (d < INT32_MIN || d > INT32_MAX)
		return 0;
	*rel = (int32_t)d;
	return 1;
}

int sc_arch_site_aligned(const uint8_t *insn)
{
	return ((uintptr_t)insn & 7) <= 3;
}

struct sc_decoded sc_arch_decode_site(const uint8_t *insn, uint64_t word,
				      int tail, const void *tramp)
{
	struct sc_decoded d = { STATIC_CALL_SITE_UNVERIFIED, NULL };
	unsigned o = (uintptr_t)insn & 7;
	if (o > 3 || word_byte(word, o) != (tail ? OP_JMP : OP_CALL))
		return d;
	d.reaches = (void *)(insn + 5 + word_rel32(word, o + 1));
	if (d.reaches == tramp)
		d.form = STATIC_CALL_SITE_TRAMPOLINE;
	else
		d.form = tail ? STATIC_CALL_SITE_TAIL_JUMP : STATIC_CALL_SITE_DIRECT;
	return d;
}

int sc_arch_encode_site(const uint8_t *insn, uint64_t old_word, int tail,
			const void *dest, uint64_t *new_word, const char **why)
{
	unsigned o = (uintptr_t)insn & 7;
	int32_t rel;
	if (o > 3 || word_byte(old_word, o) != (tail ? OP_JMP : OP_CALL)) {
		*why = "site does not hold the instruction the plugin emitted";
		return 0;
	}
	if (!rel32_to(insn, dest, &rel)) {
		*why = "target is out of rel32 range of the site";
		return 0;
	}
	*new_word = word_set_rel32(old_word, o + 1, rel);
	return 1;
}

int sc_arch_decode_slot(const uint8_t *slot, uint64_t word, void **reaches)
{
	if (word == SLOT_SLOW) {
		*reaches = NULL;
		return 1;
	}
	if (word_byte(word, 0) == OP_JMP && (word >> 40) == 0xcccccc) {
		*reaches = (void *)(slot + 5 + word_rel32(word, 1));
		return 1;
	}
	return 0;
}

uint64_t sc_arch_encode_slot(const uint8_t *slot, const void *dest,
			     const char **why)
{
	int32_t rel;
	if (!dest) {
		*why = "target is NULL";
		return SLOT_SLOW;
	}
	if (!rel32_to(slot, dest, &rel)) {
		*why = "target is out of rel32 range of the trampoline";
		return SLOT_SLOW;
	}
	*why = NULL;
	return word_set_rel32(0xcccccc00000000e9ull, 1, rel);
}
