/*
 * arch_aarch64.c - the AArch64 instruction forms the runtime writes, and the
 * word writes that change one form into another safely.
 *
 * A site is `bl tramp` (SC_INSN_CALL) or `b tramp` (SC_INSN_JMP, a tail
 * call): one 4-byte, 4-byte aligned instruction. Re-targeting rewrites the
 * whole instruction with one store, and only ever between B, BL and NOP,
 * the instructions the architecture allows to be modified while another
 * PE executes them (Arm ARM B2.2.5, "Concurrent modification and execution
 * of instructions"): another thread executes either the old or the new
 * instruction, never a mix. The writer then cleans and invalidates the
 * caches for the word (__builtin___clear_cache) and syncs the other cores
 * (membarrier SYNC_CORE); docs/PATCHING.md has the table.
 *
 * `b`/`bl` reach +-128 MiB. A target further away keeps the site on its
 * trampoline, whose first word (its slot) is `b target` when the target is
 * within range of the trampoline, else NOP, falling through to a fixed
 * slow path that loads the key variable into x16 and `br x16` (which any
 * target reaches: BTI `bti c` landing pads accept `br x16`).
 *
 * The slot is handled as the trampoline's first aligned quadword, like on
 * x86-64: word 0 (little-endian low half) is `b target` or NOP, word 1 is
 * the slow path's first instruction (`adrp x16, ...`, or what a linker
 * relaxed it to: `adr x16, ...` or NOP) and is never written. Lazy
 * binding adds a third form of word 0: `b` to the trampoline's bind block
 * (SC_A64_BIND_BLOCK bytes before it), which calls __staticcall_bind
 * (bind_aarch64.S) and goes on to the slow path.
 */
#include <string.h>

#include "internal.h"

#define A64_NOP 0xd503201fu
#define A64_B 0x14000000u
#define A64_BL 0x94000000u
#define A64_BRANCH_MASK 0xfc000000u
#define A64_IMM26 0x03ffffffu
#define A64_RANGE (1l << 27) /* bytes: imm26 * 4 */

uint32_t sc_arch_id(void)
{
	return SC_ABI_ARCH_AARCH64;
}
unsigned sc_arch_tramp_align(void)
{
	return SC_A64_TRAMP_ALIGN;
}
_Static_assert(SC_A64_TRAMP_SLOT == SC_TRAMP_SLOT, "slot is one quadword");

int sc_arch_insn_len(int kind)
{
	(void)kind;
	return 4;
}

static uint32_t word32(const uint8_t *b)
{
	uint32_t w;
	memcpy(&w, b, 4);
	return w;
}

static uint32_t opcode_of(int kind)
{
	return kind == SC_INSN_CALL ? A64_BL : A64_B;
}

int sc_arch_match(const uint8_t *b, int kind)
{
	switch (kind) {
	case SC_INSN_CALL:
		return (word32(b) & A64_BRANCH_MASK) == A64_BL;
	case SC_INSN_JMP:
		return (word32(b) & A64_BRANCH_MASK) == A64_B;
	}
	return 0;
}

/* Where a B/BL at `at` goes. */
static void *branch_target(const uint8_t *at, uint32_t insn)
{
	int32_t imm = (int32_t)((insn & A64_IMM26) << 6) >> 6; /* sign-extend */
	return (void *)(at + (intptr_t)imm * 4);
}

/* B/BL from `at` to `dest`, if in range. */
static int encode_branch(const uint8_t *at, const void *dest, uint32_t op,
			 uint32_t *out)
{
	intptr_t d = (intptr_t)dest - (intptr_t)at;
	if (d & 3 || d < -A64_RANGE || d >= A64_RANGE)
		return 0;
	*out = op | ((uint32_t)(d >> 2) & A64_IMM26);
	return 1;
}

int sc_arch_read_site(const struct sc_code *c, const uint8_t *live,
		      void **reaches)
{
	uint32_t w = word32(live);
	if (w == A64_NOP)
		return STATIC_CALL_SITE_NOP;
	if (!sc_arch_match(live, c->kind))
		return STATIC_CALL_SITE_UNVERIFIED;
	*reaches = branch_target(c->insn, w);
	return STATIC_CALL_SITE_DIRECT;
}

int sc_arch_encode_site(const struct sc_code *c, const void *dest,
			uint8_t out[SC_MAX_INSN], const char **why)
{
	uint32_t w;
	/* A guarded site may hold its NOP form now (the kind keeps the
	 * opcode it is re-targeted with). */
	if (!sc_arch_match(c->bytes, c->kind) &&
	    !(c->cond && word32(c->bytes) == A64_NOP)) {
		*why = "site does not hold the instruction the plugin emitted";
		return 0;
	}
	if (!encode_branch(c->insn, dest, opcode_of(c->kind), &w)) {
		*why = "target is out of b/bl range (+-128 MiB) of the site";
		return 0;
	}
	memcpy(out, &w, 4);
	return 1;
}

/*
 * A form that calls nothing. NOP for a guarded `bl` site: B, BL and NOP
 * are the instructions that may be modified concurrently, so one word
 * store turns the call into nothing and back. A tail `b` site would have
 * to become `ret`, which is not among them: it stays on its (NULL-safe)
 * trampoline. No inline return-zero either (it would take two words).
 */
int sc_arch_encode_form(const struct sc_code *c, int form,
			uint8_t out[SC_MAX_INSN])
{
	uint32_t w = A64_NOP;
	if (form != STATIC_CALL_SITE_NOP || c->kind != SC_INSN_CALL)
		return 0;
	memcpy(out, &w, 4);
	return 1;
}

/* Nothing to keep: a site is re-targeted with the opcode of its kind. */
void sc_arch_keep_compiled(struct sc_code *c, const uint8_t *compiled)
{
	(void)c;
	(void)compiled;
}

/* Every change is one whole instruction: no transient. */
int sc_arch_is_transient(const struct sc_code *c, const uint8_t *live)
{
	(void)c;
	(void)live;
	return 0;
}

/* The slow path's first instruction: adrp x16 / adr x16 / NOP. */
static int slow_path_head(uint32_t w)
{
	return (w & 0x9f00001fu) == 0x90000010u || /* adrp x16, ... */
	       (w & 0x9f00001fu) == 0x10000010u || /* adr x16, ... */
	       w == A64_NOP;
}

/*
 * Lazy binding: the slot's bind form is word 0 `b` to the bind block
 * SC_A64_BIND_BLOCK bytes before the slot (one B written over NOP or B,
 * like any slot change); word 1 stays the slow path's.
 */
uint64_t sc_arch_bind_slot(uint64_t live)
{
	return (live & 0xffffffff00000000ull) | SC_A64_SLOT_BIND;
}

void sc_arch_bind_init(void)
{
}

#define A64_BTI_C 0xd503245fu
#define A64_STP_X16_X30_PRE 0xa9bf7bf0u	 /* stp x16, x30, [sp, #-16]! */
#define A64_LDP_X16_X30_POST 0xa8c17bf0u /* ldp x16, x30, [sp], #16 */

/* Where `adrp x16, X; add x16, x16, :lo12:X` (or `adr x16, X; nop`) at
 * `at` points; NULL if the two words are neither. */
static const uint8_t *x16_address(const uint8_t *at)
{
	uint32_t w0 = word32(at), w1 = word32(at + 4);
	uint64_t immlo = (w0 >> 29) & 3, immhi = (w0 >> 5) & 0x7ffff;
	int64_t imm = (int64_t)((immhi << 2 | immlo) << 43) >> 43;
	if ((w0 & 0x9f00001fu) == 0x10000010u && w1 == A64_NOP)
		return at + imm; /* adr x16, X */
	/* add x16, x16, #imm12 (64-bit, unshifted) */
	if ((w0 & 0x9f00001fu) != 0x90000010u ||
	    (w1 & 0xffc003ffu) != 0x91000210u)
		return NULL;
	uintptr_t page = ((uintptr_t)at & ~(uintptr_t)0xfff) + (imm << 12);
	return (const uint8_t *)(page + ((w1 >> 10) & 0xfff));
}

int sc_arch_bind_block_ok(const uint8_t *slot, const void *desc,
			  const uint8_t **lo, const void **callee)
{
	const uint8_t *b = slot - SC_A64_BIND_BLOCK;
	uint32_t head = word32(b), bl = word32(b + 16), jmp = word32(b + 24);
	if ((head != A64_NOP && head != A64_BTI_C) ||
	    x16_address(b + 4) != desc ||
	    word32(b + 12) != A64_STP_X16_X30_PRE ||
	    (bl & A64_BRANCH_MASK) != A64_BL ||
	    word32(b + 20) != A64_LDP_X16_X30_POST ||
	    (jmp & A64_BRANCH_MASK) != A64_B ||
	    branch_target(b + 24, jmp) != slot + 4 || /* the slow path */
	    word32(b + 28) != A64_NOP)
		return 0;
	*lo = b;
	*callee = branch_target(b + 16, bl);
	return 1;
}

int sc_arch_decode_slot(const uint8_t *slot, uint64_t word, void **reaches)
{
	uint32_t w0 = (uint32_t)word, w1 = (uint32_t)(word >> 32);
	if (!slow_path_head(w1))
		return 0;
	/* the bind block ends in the slow path: it reaches the key's value */
	if (w0 == A64_NOP || w0 == SC_A64_SLOT_BIND) {
		*reaches = NULL;
		return 1;
	}
	if ((w0 & A64_BRANCH_MASK) == A64_B) {
		*reaches = branch_target(slot, w0);
		return 1;
	}
	return 0;
}

uint64_t sc_arch_encode_slot(const uint8_t *slot, const void *dest,
			     const char **why)
{
	/* Word 1 is fixed code, never written: keep what is there. */
	uint64_t hi = (uint64_t)__atomic_load_n((const uint32_t *)(slot + 4),
						__ATOMIC_RELAXED)
		      << 32;
	uint32_t w;
	if (!dest) {
		*why = SC_REASON_TARGET_NULL;
		return hi | A64_NOP;
	}
	if (!encode_branch(slot, dest, A64_B, &w)) {
		*why = "target is out of b range (+-128 MiB) of the trampoline";
		return hi | A64_NOP;
	}
	/* `b` to the bind block's address is the slot's bind form, which
	 * decodes as the slow path: a target there (only where no bind
	 * block was emitted) takes the slow path, as it reads */
	if (w == SC_A64_SLOT_BIND) {
		*why = "target is where a bind block would be, 32 bytes before "
		       "the trampoline";
		return hi | A64_NOP;
	}
	*why = NULL;
	return hi | w;
}

/* ---- safe byte changes ----------------------------------------------- */

/*
 * Every change is one whole aligned 4-byte instruction, B/BL/NOP before and
 * after: a single phase. The planner composes it into its aligned quadword
 * (with any neighbouring site's change); the real CAS below then stores
 * only the 4-byte halves that differ.
 */
/* One aligned 4-byte instruction: always one word, never a transient. */
int sc_arch_plan(const struct sc_code *c, const uint8_t *from,
		 const uint8_t *to, int allow_wait, struct sc_byte_patch *out)
{
	int n = 0;
	(void)allow_wait;
	for (int i = 0; i < 4; i++)
		if (to[i] != from[i])
			out[n++] = (struct sc_byte_patch){ c->insn + i, to[i],
							   0, c->prot };
	return n;
}

/* A BRK replaces the whole instruction: nothing can be written around it. */
int sc_arch_breakpoint_at(const struct sc_code *c, const uint8_t *live)
{
	(void)c;
	(void)live;
	return 0;
}

/* ---- the real code word accesses ------------------------------------- */

SC_NO_SANITIZE uint64_t sc_code_load64(const uint64_t *word)
{
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

/*
 * The real compare-and-swap of one aligned code quadword: a 32-bit CAS of
 * each instruction word that changes (low address first), so instructions
 * that do not change are never stored to. If the second CAS fails the first
 * is undone and the whole replacement fails, as an 8-byte CAS would.
 */
int sc_arch_cas_code(uint64_t *word, uint64_t expect, uint64_t value)
{
	uint32_t *w = (uint32_t *)word;
	int done[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		uint32_t e = (uint32_t)(expect >> (32 * i));
		uint32_t v = (uint32_t)(value >> (32 * i));
		if (e == v) {
			if (__atomic_load_n(&w[i], __ATOMIC_ACQUIRE) != e)
				goto fail;
			continue;
		}
		if (!__atomic_compare_exchange_n(&w[i], &e, v, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			goto fail;
		done[i] = 1;
	}
	return 1;
fail:
	for (int i = 1; i >= 0; i--)
		if (done[i]) {
			uint32_t e = (uint32_t)(value >> (32 * i));
			__atomic_compare_exchange_n(
				&w[i], &e, (uint32_t)(expect >> (32 * i)), 0,
				__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
	return 0;
}

/* ---- static keys: NOP <-> B (static_keys.c) --------------------------- */

int sc_arch_jump_len(void)
{
	return 4;
}

int sc_arch_jump_encode(const uint8_t *site, const void *dest,
			uint8_t out[SC_MAX_INSN])
{
	uint32_t w = A64_NOP;
	if (dest && !encode_branch(site, dest, A64_B, &w))
		return 0;
	memcpy(out, &w, 4);
	return 1;
}

int sc_arch_jump_read(const uint8_t *site, const uint8_t *live, void **dest)
{
	uint32_t w = word32(live);
	if (w == A64_NOP)
		return STATIC_KEY_SITE_NOP;
	if ((w & A64_BRANCH_MASK) != A64_B)
		return STATIC_KEY_SITE_UNVERIFIED;
	*dest = branch_target(site, w);
	return STATIC_KEY_SITE_JUMP;
}

/* Where `adrp x16, sym; ldr x16, [x16, #:lo12:sym]` at p reads from.
 * GNU ld's Cortex-A53 erratum 843419 fix rewrites an adrp at a page's
 * offset 0xff8 or 0xffc into `adr x16, <sym's page>` when in range, so
 * whether a site's block has it depends on where the block lands. */
static const uint8_t *adrp_ldr_x16(const uint8_t *p)
{
	uint32_t adrp = word32(p), ldr = word32(p + 4);
	int adr = (adrp & 0x9f00001fu) == 0x10000010u;
	if ((!adr && (adrp & 0x9f00001fu) != 0x90000010u) ||
	    (ldr & 0xffc003ffu) != 0xf9400210u)
		return NULL;
	int64_t imm =
		(int64_t)((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3));
	imm = (imm << 43) >> 43; /* sign-extend 21 bits */
	uintptr_t page = adr ? (uintptr_t)p + (uintptr_t)imm :
			       ((uintptr_t)p & ~(uintptr_t)0xfff) + (imm << 12);
	return (const uint8_t *)(page + ((ldr >> 10) & 0xfff) * 8);
}

/* kernel.h's load and test, word for word. */
int sc_arch_jump_test_ok(const uint8_t *t, const uint8_t *site,
			 const void *keyref, const void *target, int likely)
{
	static const uint32_t mid[] = {
		0xb9400210u, /* ldr w16, [x16] */
		0x7100021fu, /* cmp w16, #0 */
		0xa8c147f0u, /* ldp x16, x17, [sp], #16 */
	};
	_Static_assert(9 * 4 == SC_JUMP_TEST_A64, "the load and test");
	if (word32(t) != 0xa9bf47f0u || /* stp x16, x17, [sp, #-16]! */
	    adrp_ldr_x16(t + 4) != keyref)
		return 0;
	for (int i = 0; i < 3; i++)
		if (word32(t + 12 + 4 * i) != mid[i])
			return 0;
	/* b.le / b.gt over the next instruction */
	if (word32(t + 24) != (0x54000040u | (likely ? 0xcu : 0xdu)))
		return 0;
	uint32_t b1 = word32(t + 28), b2 = word32(t + 32);
	return (b1 & A64_BRANCH_MASK) == A64_B &&
	       branch_target(t + 28, b1) == target &&
	       (b2 & A64_BRANCH_MASK) == A64_B &&
	       branch_target(t + 32, b2) == site + 4;
}

/* ---- inline forms (inline.c) ----------------------------------------- */

/*
 * None at a site: while other threads run, an instruction may be changed
 * only to or from B, BL and NOP (the architecture's concurrent-modification
 * list), so a `movz x0` may not replace a `bl`. A site of a key holding an
 * inline form calls the generated function with `bl` (or its trampoline
 * when out of range, as for any far target).
 */
int sc_arch_inline_site(const struct sc_code *c, const uint8_t *bytes, int len,
			int ninsn, uint8_t out[SC_MAX_INSN])
{
	(void)c;
	(void)bytes;
	(void)len;
	(void)ninsn;
	(void)out;
	return 0;
}

int sc_arch_inline_const(uint64_t v, int size, uint8_t out[SC_MAX_INSN])
{
	(void)v;
	(void)size;
	(void)out;
	return 0;
}

int sc_arch_inline_ret_arg(int n, uint8_t out[SC_MAX_INSN])
{
	(void)n;
	(void)out;
	return 0;
}

static int put32(uint8_t *out, int at, uint32_t w)
{
	memcpy(out + at, &w, 4);
	return at + 4;
}

#define A64_MOVZ_X 0xd2800000u /* movz xd, #imm16, lsl #(16 * hw) */
#define A64_MOVK_X 0xf2800000u /* movk xd, #imm16, lsl #(16 * hw) */
#define A64_MOV_X0 0xaa0003e0u /* orr x0, xzr, xN (mov x0, xN) */
#define A64_RET 0xd65f03c0u

/* bti c (the key's value is reached by `br` from the slow path: BTI),
 * movz/movk x0, ret. */
int sc_arch_gen_const(uint64_t v, int size, uint8_t out[SC_GEN_MAX])
{
	(void)size; /* inline.c already cut a narrow type's value to 32 bits */
	int at = put32(out, 0, A64_BTI_C);
	at = put32(out, at, A64_MOVZ_X | (uint32_t)(v & 0xffff) << 5);
	for (uint32_t hw = 1; hw < 4; hw++) {
		uint32_t part = (uint32_t)(v >> (16 * hw)) & 0xffff;
		if (part)
			at = put32(out, at, A64_MOVK_X | hw << 21 | part << 5);
	}
	return put32(out, at, A64_RET);
}

/* Arguments in x0..x7: `mov x0, xN` (none for x0), ret. */
int sc_arch_gen_ret_arg(int n, uint8_t out[SC_GEN_MAX])
{
	if (n < 0 || n >= 8)
		return 0;
	int at = put32(out, 0, A64_BTI_C);
	if (n)
		at = put32(out, at, A64_MOV_X0 | (uint32_t)n << 16);
	return put32(out, at, A64_RET);
}
