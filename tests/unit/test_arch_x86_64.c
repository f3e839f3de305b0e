/*
 * The x86-64 instruction forms: every word the runtime would write decodes
 * back to what was asked, touches only the instruction's own bytes, and
 * every refusal says why.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "internal.h"

/* A 16-byte aligned scratch area standing for code. */
static _Alignas(16) uint8_t code[64];

static uint64_t word_at(const uint8_t *insn)
{
	uint64_t w;
	memcpy(&w, (const void *)((uintptr_t)insn & ~(uintptr_t)7), 8);
	return w;
}

static void put_insn(uint8_t *insn, uint8_t op, const void *dest)
{
	int32_t rel = (int32_t)((intptr_t)dest - (intptr_t)(insn + 5));
	insn[0] = op;
	memcpy(insn + 1, &rel, 4);
}

Test(arch_x86_64, site_roundtrip_every_offset_and_form)
{
	for (int off = 0; off <= 3; off++)
		for (int tail = 0; tail <= 1; tail++) {
			memset(code, 0x90, sizeof code);
			uint8_t *insn = code + 8 + off;
			uint8_t *tramp = code + 48;
			put_insn(insn, tail ? 0xe9 : 0xe8, tramp);
			uint64_t old = word_at(insn), nw;
			struct sc_decoded d = sc_arch_decode_site(insn, old, tail, tramp);
			cr_assert_eq(d.form, STATIC_CALL_SITE_TRAMPOLINE);
			cr_assert_eq(d.reaches, tramp);

			const char *why = NULL;
			void *dest = code + 32;
			cr_assert(sc_arch_encode_site(insn, old, tail, dest, &nw, &why));
			d = sc_arch_decode_site(insn, nw, tail, tramp);
			cr_assert_eq(d.form, tail ? STATIC_CALL_SITE_TAIL_JUMP
						  : STATIC_CALL_SITE_DIRECT);
			cr_assert_eq(d.reaches, dest);
			/* Only the 4 displacement bytes may differ. */
			for (int b = 0; b < 8; b++)
				if (b < off + 1 || b > off + 4)
					cr_assert_eq((uint8_t)(nw >> (8 * b)),
						     (uint8_t)(old >> (8 * b)),
						     "byte %d outside the instruction changed", b);
		}
}

Test(arch_x86_64, site_refusals_say_why)
{
	memset(code, 0x90, sizeof code);
	uint8_t *insn = code + 8;
	put_insn(insn, 0xe8, code + 48);
	uint64_t old = word_at(insn), nw = 0;
	const char *why = NULL;

	/* Out of rel32 range. */
	void *far = (void *)((uintptr_t)insn + (1ull << 33));
	cr_assert_not(sc_arch_encode_site(insn, old, 0, far, &nw, &why));
	cr_assert_not_null(why);
	cr_assert(strstr(why, "range"));

	/* A call site asked to be a tail jump: the opcode does not match. */
	why = NULL;
	cr_assert_not(sc_arch_encode_site(insn, old, 1, code, &nw, &why));
	cr_assert_not_null(why);

	/* A breakpoint on the opcode is not a site. */
	uint64_t bp = (old & ~0xffull) | 0xcc;
	cr_assert_eq(sc_arch_decode_site(insn, bp, 0, code + 48).form,
		     STATIC_CALL_SITE_UNVERIFIED);

	/* Offsets 4..7 cannot hold a 5-byte instruction in one word. */
	for (int off = 0; off < 8; off++)
		cr_assert_eq(sc_arch_site_aligned(code + off), off <= 3);
}

Test(arch_x86_64, trampoline_slot_forms)
{
	uint8_t *slot = code;
	void *reaches = (void *)1;
	const char *why = "unset";

	uint64_t slow = sc_arch_encode_slot(slot, NULL, &why);
	cr_assert_str_eq(why, "target is NULL");
	cr_assert_eq(slow, 0xcccccccccccc06ebull);
	cr_assert(sc_arch_decode_slot(slot, slow, &reaches));
	cr_assert_null(reaches);

	uint64_t direct = sc_arch_encode_slot(slot, code + 40, &why);
	cr_assert_null(why);
	cr_assert_eq((uint8_t)direct, 0xe9);
	cr_assert(sc_arch_decode_slot(slot, direct, &reaches));
	cr_assert_eq(reaches, code + 40);

	uint64_t far = sc_arch_encode_slot(
		slot, (void *)((uintptr_t)slot + (1ull << 33)), &why);
	cr_assert_eq(far, slow);
	cr_assert(strstr(why, "range"));

	/* Anything else is not a slot. */
	cr_assert_not(sc_arch_decode_slot(slot, 0x9090909090909090ull, &reaches));
	cr_assert_not(sc_arch_decode_slot(slot, direct ^ (0xffull << 56), &reaches));
}
