/*
 * The x86-64 instruction forms: every encoding decodes back to what was
 * asked, touches only the displacement, and every refusal says why. The
 * expected bytes are spelled here on purpose (an oracle independent of
 * runtime/arch_x86_64.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "internal.h"

static _Alignas(16) uint8_t code[64];

static void put_insn(uint8_t *insn, int kind, const void *dest)
{
	int len = sc_arch_insn_len(kind);
	int32_t rel = (int32_t)((intptr_t)dest - (intptr_t)(insn + len));
	if (kind == SC_INSN_JCC) {
		insn[0] = 0x0f;
		insn[1] = 0x85;
	} else {
		insn[0] = kind == SC_INSN_CALL ? 0xe8 : 0xe9;
	}
	memcpy(insn + len - 4, &rel, 4);
}

static struct sc_code code_at(uint8_t *insn, int kind)
{
	struct sc_code c = { 0 };
	c.insn = insn;
	c.kind = (uint8_t)kind;
	c.len = (uint8_t)sc_arch_insn_len(kind);
	memcpy(c.bytes, insn, c.len);
	sc_arch_keep_compiled(&c, insn);
	c.state = SC_CODE_OK;
	return c;
}

Test(arch_x86_64, site_roundtrip_every_kind)
{
	for (int kind = SC_INSN_CALL; kind <= SC_INSN_JCC; kind++) {
		memset(code, 0x90, sizeof code);
		uint8_t *insn = code + 9, *tramp = code + 48;
		put_insn(insn, kind, tramp);
		struct sc_code c = code_at(insn, kind);
		struct sc_decoded d = sc_decode_site(&c, insn, tramp);
		cr_assert_eq(d.form, STATIC_CALL_SITE_TRAMPOLINE);
		cr_assert_eq(d.reaches, tramp);

		uint8_t nb[SC_MAX_INSN];
		const char *why = NULL;
		void *dest = code + 32;
		cr_assert(sc_arch_encode_site(&c, dest, nb, &why));
		d = sc_decode_site(&c, nb, tramp);
		cr_assert_eq(d.form, kind == SC_INSN_CALL ? STATIC_CALL_SITE_DIRECT
							  : STATIC_CALL_SITE_TAIL_JUMP);
		cr_assert_eq(d.reaches, dest);
		/* the opcode (and jcc condition) is kept */
		int opl = c.len - 4;
		cr_assert_eq(memcmp(nb, c.bytes, opl), 0);
	}
}

Test(arch_x86_64, site_refusals_say_why)
{
	memset(code, 0x90, sizeof code);
	uint8_t *insn = code + 8, nb[SC_MAX_INSN];
	put_insn(insn, SC_INSN_CALL, code + 48);
	struct sc_code c = code_at(insn, SC_INSN_CALL);
	const char *why = NULL;

	void *far = (void *)((uintptr_t)insn + (1ull << 33));
	cr_assert_not(sc_arch_encode_site(&c, far, nb, &why));
	cr_assert(why && strstr(why, "range"));

	/* A breakpoint on the opcode is not a site. */
	c.bytes[0] = 0xcc;
	sc_arch_keep_compiled(&c, c.bytes);
	why = NULL;
	cr_assert_not(sc_arch_encode_site(&c, code, nb, &why));
	cr_assert_not_null(why);
	cr_assert_eq(sc_decode_site(&c, c.bytes, code + 48).form,
		     STATIC_CALL_SITE_UNVERIFIED);
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

	cr_assert_not(sc_arch_decode_slot(slot, 0x9090909090909090ull, &reaches));
	cr_assert_not(sc_arch_decode_slot(slot, direct ^ (0xffull << 56), &reaches));
}

Test(arch_x86_64, plan_one_word_when_the_changed_bytes_fit)
{
	/* call: the displacement (+1..+4) fits one word at offsets 0-3 and
	 * 7; the whole instruction only at 0-3. */
	for (int off = 0; off < 8; off++)
		for (int wait = 0; wait < 2; wait++) {
			memset(code, 0x90, sizeof code);
			uint8_t *insn = code + 16 + off, nb[SC_MAX_INSN];
			put_insn(insn, SC_INSN_CALL, code + 48);
			struct sc_code c = code_at(insn, SC_INSN_CALL);
			const char *why;
			cr_assert(sc_arch_encode_site(&c, code + 2, nb, &why));
			struct sc_byte_patch bp[SC_MAX_BYTE_PATCHES];
			int n = sc_arch_plan(&c, c.bytes, nb, wait, bp);
			int fits = off <= 3 || off == 7;
			if (!fits && !wait) {
				cr_assert_eq(n, -1, "offset %d: straddling "
					     "displacement planned without the "
					     "wait", off);
				continue;
			}
			int spin = 0;
			for (int i = 0; i < n; i++) {
				cr_assert(bp[i].addr >= insn &&
						  bp[i].addr < insn + c.len,
					  "byte outside the instruction");
				if (bp[i].phase == 0)
					spin = 1;
				if (fits)
					cr_assert_eq(bp[i].phase, 2);
			}
			cr_assert_eq(spin, !fits, "offset %d", off);
			/* A form change (opcode too) fits one word only when
			 * the whole instruction does; at offset 7 even the
			 * wait cannot help (`jmp .` would straddle). */
			uint8_t nop[SC_MAX_INSN];
			cr_assert(sc_arch_encode_form(&c, STATIC_CALL_SITE_NOP, nop));
			n = sc_arch_plan(&c, c.bytes, nop, wait, bp);
			if (off <= 3)
				cr_assert_gt(n, 0);
			else if (off == 7 || !wait)
				cr_assert_eq(n, -1, "offset %d: torn form change "
					     "planned", off);
		}
}

/* Lazy binding's slot form: one 2-byte jump at the slot's first byte (a
 * thread inside the slot is only ever there), landing on the bind block
 * SC_X86_BIND_BLOCK bytes before the slot; it reaches the key's value
 * (through the slow path) as the slow form does. */
Test(arch_x86_64, bind_slot_is_one_jump_to_the_bind_block)
{
	uint64_t bind = sc_arch_bind_slot(SC_X86_SLOT_SLOW);
	uint8_t b[8];
	memcpy(b, &bind, 8);
	cr_assert_eq(b[0], 0xeb);
	cr_assert_eq(2 + (int8_t)b[1], -(int)SC_X86_BIND_BLOCK);
	for (int i = 2; i < 8; i++)
		cr_assert_eq(b[i], 0xcc, "byte %d never runs: int3", i);
	void *reaches = (void *)1;
	cr_assert(sc_arch_decode_slot(code, bind, &reaches));
	cr_assert_null(reaches);
}

/* The bind block is checked byte by byte before a slot is pointed at it:
 * the exact block passes and names its callee; any change to its fixed
 * bytes, another descriptor, or a jump that misses the slow path fails. */
Test(arch_x86_64, bind_block_verified_before_use)
{
	static _Alignas(16) uint8_t t[SC_X86_BIND_BLOCK + 16];
	static uint8_t desc[16];
	uint8_t *blk = t, *slot = t + SC_X86_BIND_BLOCK;
	uint8_t *callee = t + sizeof t - 1;
	memset(t, 0xcc, sizeof t);
	int32_t rel = (int32_t)((intptr_t)desc - (intptr_t)(blk + 7));
	blk[0] = 0x4c, blk[1] = 0x8d, blk[2] = 0x1d; /* leaq desc(%rip), %r11 */
	memcpy(blk + 3, &rel, 4);
	blk[7] = 0x41, blk[8] = 0x53; /* pushq %r11 */
	blk[9] = 0xe8;		       /* call callee */
	rel = (int32_t)((intptr_t)callee - (intptr_t)(blk + 14));
	memcpy(blk + 10, &rel, 4);
	blk[14] = 0x41, blk[15] = 0x5b; /* popq %r11 */
	blk[16] = 0xeb;			/* jmp slot + 8 */
	blk[17] = (uint8_t)(slot + 8 - (blk + 18));

	const uint8_t *lo = NULL;
	const void *got = NULL;
	cr_assert(sc_arch_bind_block_ok(slot, desc, &lo, &got));
	cr_assert_eq(lo, blk);
	cr_assert_eq(got, callee);
	cr_assert_not(sc_arch_bind_block_ok(slot, desc + 8, &lo, &got));
	for (int i = 0; i < 18; i++) {
		if (i >= 10 && i < 14)
			continue; /* the callee's displacement: any target */
		uint8_t keep = blk[i];
		blk[i] ^= 0x01;
		cr_assert_not(sc_arch_bind_block_ok(slot, desc, &lo, &got),
			      "byte %d changed, block still accepted", i);
		blk[i] = keep;
	}
	cr_assert(sc_arch_bind_block_ok(slot, desc, &lo, &got));
}

/* Inline forms (runtime/inline.c): the bytes spelled here. */
Test(arch_x86_64, inline_encodings)
{
	uint8_t b[SC_MAX_INSN], g[SC_GEN_MAX];
	static const uint8_t mov42[5] = { 0xb8, 0x2a, 0, 0, 0 };
	cr_assert_eq(sc_arch_inline_const(42, 8, b), 5);
	cr_assert(!memcmp(b, mov42, 5));
	/* an int's -5: its 32 bits, zero-extended (the upper half is free) */
	static const uint8_t m5[5] = { 0xb8, 0xfb, 0xff, 0xff, 0xff };
	cr_assert_eq(sc_arch_inline_const(0xfffffffbu, 4, b), 5);
	cr_assert(!memcmp(b, m5, 5));
	/* -5 in 64 bits has no 5-byte form; -1 has `or $-1,%rax` */
	cr_assert_eq(sc_arch_inline_const((uint64_t)-5, 8, b), 0);
	static const uint8_t or_m1[4] = { 0x48, 0x83, 0xc8, 0xff };
	cr_assert_eq(sc_arch_inline_const(UINT64_MAX, 8, b), 4);
	cr_assert(!memcmp(b, or_m1, 4));
	/* arguments: rdi rsi rdx rcx r8 r9 into rax */
	static const uint8_t args[6][3] = {
		{ 0x48, 0x89, 0xf8 }, { 0x48, 0x89, 0xf0 }, { 0x48, 0x89, 0xd0 },
		{ 0x48, 0x89, 0xc8 }, { 0x4c, 0x89, 0xc0 }, { 0x4c, 0x89, 0xc8 },
	};
	for (int n = 0; n < 6; n++) {
		cr_assert_eq(sc_arch_inline_ret_arg(n, b), 3);
		cr_assert(!memcmp(b, args[n], 3), "argument %d", n);
	}
	cr_assert_eq(sc_arch_inline_ret_arg(6, b), 0);
	/* padding: 2e prefixes in front, at call sites only */
	put_insn(code, SC_INSN_CALL, code + 40);
	struct sc_code c = code_at(code, SC_INSN_CALL);
	static const uint8_t padded[5] = { 0x2e, 0x2e, 0x48, 0x89, 0xf8 };
	cr_assert(sc_arch_inline_site(&c, args[0], 3, 1, b));
	cr_assert(!memcmp(b, padded, 5));
	put_insn(code + 16, SC_INSN_JMP, code + 40);
	struct sc_code t = code_at(code + 16, SC_INSN_JMP);
	cr_assert(!sc_arch_inline_site(&t, args[0], 3, 1, b), "tail site");
	uint8_t six[6] = { 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf8 };
	cr_assert(!sc_arch_inline_site(&c, six, 6, 1, b), "longer than the site");
	/* generated: endbr64, the instruction, ret */
	static const uint8_t gen64[15] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0xb8,
					   0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56,
					   0x34, 0x12, 0xc3 };
	cr_assert_eq(sc_arch_gen_const(0x123456789abcdef0ull, 8, g), 15);
	cr_assert(!memcmp(g, gen64, 15));
	static const uint8_t genm5[12] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0xc7,
					   0xc0, 0xfb, 0xff, 0xff, 0xff, 0xc3 };
	cr_assert_eq(sc_arch_gen_const((uint64_t)-5, 0, g), 12);
	cr_assert(!memcmp(g, genm5, 12));
}
