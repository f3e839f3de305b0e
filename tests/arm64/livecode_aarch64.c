/*
 * livecode_aarch64.c - the AArch64 part of the live-code checker of
 * tests/support/livecode.h (the x86-64 one, tests/support/livecode.c, needs
 * Zydis); linked with tests/support/livecode_core.c (the key registry, the
 * walk over the loaded objects and the driver: see livecode_arch.h).
 * run_corpus.py builds it instead of livecode.c with --livecode
 * (tests/arm64/run.sh).
 *
 * Only active when built with a staticcall plugin (__STATICCALL_PLUGIN__);
 * otherwise this file is empty.
 *
 * An oracle: it decodes B/BL/NOP and the slot itself, on purpose, rather
 * than asking runtime/arch_aarch64.c, so that a wrong encoding there
 * cannot pass its own check.
 *
 * Every AArch64 instruction is one aligned 4-byte word, so decoding is
 * reading words. sc_check_live() walks every loaded object that holds a
 * `__staticcall_tramp.*` symbol or is not a system library, reads its ELF
 * symbol table from the file and checks, in the code as it is in memory
 * (`__staticcall_tramp_cond.*`, the NULL-safe variant, counts as one more
 * trampoline):
 *
 *  (a) every B/BL whose target is a trampoline is a site the runtime
 *      reports for a registered key;
 *  (b) every reported site of a registered key decodes as its form says:
 *      DIRECT / TAIL_JUMP is BL / B to exactly the key's current target;
 *      TRAMPOLINE is BL / B to its trampoline, allowed only when the
 *      target is NULL or out of b/bl range (+-128 MiB) of the site;
 *      NOP only with a NULL target; the trampoline slot (word 0) is NOP,
 *      or B to exactly the current target, and NOP only when the target
 *      is NULL or out of range of the trampoline, or (lazy binding) B to
 *      its bind block, 32 bytes before it, while a call site of the
 *      trampoline is not bound yet (such a site calls it); word 1 is the slow
 *      path's `adrp x16` (or its linker relaxations);
 *  (c) no BLR/BR through a register loaded from a key remains (tracking
 *      adrp/add/ldr in straight-line code, forgotten at branch targets
 *      and after calls), through the GOT or not.
 *
 * Each failure is one line on stderr starting with "livecode:".
 */
#define _GNU_SOURCE
#include "livecode_arch.h"

#ifdef __STATICCALL_PLUGIN__

#include <string.h>

#define A64_NOP 0xd503201fu
/* The slot's bind form (lazy binding): `b .-32`, to the bind block. */
#define A64_B_BIND 0x17fffff8u
#define A64_STP_X16_X30 0xa9bf7bf0u /* the block's 4th word */
#define RANGE (INT64_C(1) << 27)

static int64_t sext(uint64_t v, int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* Direct branch target of B/BL/B.cond/CBZ/CBNZ/TBZ/TBNZ at pc, or 0. */
static uintptr_t branch_target(uint32_t w, uintptr_t pc, int *kind)
{
	*kind = -1;
	if ((w & 0x7c000000u) == 0x14000000u) { /* b, bl */
		*kind = (w >> 31) ? REC_CALL : REC_JMP;
		return pc + sext(w & 0x03ffffffu, 26) * 4;
	}
	if ((w & 0xff000010u) == 0x54000000u || (w & 0x7e000000u) == 0x34000000u)
		return pc + sext((w >> 5) & 0x7ffff, 19) * 4;
	if ((w & 0x7e000000u) == 0x36000000u)
		return pc + sext((w >> 5) & 0x3fff, 14) * 4;
	return 0;
}

enum { REG_NONE, REG_ADDR, REG_KEY_VALUE };

void sc_lc_arch_decode_func(const struct object *o, const struct func *f)
{
	uintptr_t end = f->addr + (f->size & ~(size_t)3);
	int state[32] = {0}, which[32] = {0};
	uintptr_t val[32] = {0};
	struct { uintptr_t *v; size_t n, cap; } joins = {0};
	int kind;

	for (uintptr_t a = f->addr; a < end; a += 4) {
		uintptr_t t = branch_target(*(const uint32_t *)a, a, &kind);
		if (t > f->addr && t < end)
			PUSH(joins, t);
	}
	if (joins.n)
		qsort(joins.v, joins.n, sizeof *joins.v, sc_lc_cmp_uptr);

	for (uintptr_t a = f->addr; a < end; a += 4) {
		uint32_t w = *(const uint32_t *)a;
		if (joins.n && bsearch(&a, joins.v, joins.n, sizeof *joins.v,
				       sc_lc_cmp_uptr))
			memset(state, 0, sizeof state);
		uintptr_t t = branch_target(w, a, &kind);
		if (kind >= 0) {
			PUSH(sc_lc_recs, ((struct rec){a, t, 4, kind}));
			memset(state, 0, sizeof state);
			continue;
		}
		if (w == A64_NOP) {
			PUSH(sc_lc_recs, ((struct rec){a, 0, 4, REC_NOP}));
			continue;
		}
		unsigned rd = w & 31, rn = (w >> 5) & 31;
		/* br/blr (and their PAC forms) through a tracked register */
		if ((w & 0xfedf0000u) == 0xd61f0000u) { /* br, blr, bra*, blra* */
			int call = (w >> 21) & 1;
			if (state[rn] == REG_KEY_VALUE &&
			    !(sc_keys[which[rn]].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through a "
				     "register loaded from key '%s' remains",
				     o->name, f->name,
				     (unsigned long)(a - f->addr), (void *)a,
				     call ? "call" : "jump",
				     sc_keys[which[rn]].name);
			memset(state, 0, sizeof state);
			continue;
		}
		if ((w & 0xfffffc1fu) == 0xd65f0000u) { /* ret */
			memset(state, 0, sizeof state);
			continue;
		}
		int nst = REG_NONE, nk = 0;
		uintptr_t nv = 0;
		if ((w & 0x9f000000u) == 0x90000000u) { /* adrp */
			uint64_t imm = ((w >> 29) & 3) | (((w >> 5) & 0x7ffff) << 2);
			nst = REG_ADDR;
			nv = (a & ~(uintptr_t)0xfff) + (sext(imm, 21) << 12);
		} else if ((w & 0xff800000u) == 0x91000000u && /* add imm */
			   state[rn] == REG_ADDR) {
			nst = REG_ADDR;
			nv = val[rn] + (((w >> 10) & 0xfff)
					<< (((w >> 22) & 1) ? 12 : 0));
		} else if ((w & 0xffc00000u) == 0xf9400000u && /* ldr x, [x, #] */
			   state[rn] == REG_ADDR) {
			uintptr_t m = val[rn] + ((w >> 10) & 0xfff) * 8;
			int k = sc_lc_key_index(m);
			if (k >= 0) {
				nst = REG_KEY_VALUE;
				nk = k;
			} else if ((k = sc_lc_got_slot_key(o, m)) >= 0) {
				nst = REG_ADDR; /* a GOT slot of a key */
				nv = *(const uintptr_t *)m;
			}
		} else if ((w & 0xffe0ffe0u) == 0xaa0003e0u) { /* mov x, x */
			unsigned rm = (w >> 16) & 31;
			nst = state[rm];
			nk = which[rm];
			nv = val[rm];
		}
		/* Forget what the instruction may write: Rd (bits 0-4) for
		 * nearly everything, also Rt2 (bits 10-14) of load pairs. */
		if ((w & 0x3a000000u) == 0x28000000u)
			state[(w >> 10) & 31] = REG_NONE;
		state[rd] = nst;
		which[rd] = nk;
		val[rd] = nv;
	}
	free(joins.v);
}

static int in_range(uintptr_t from, uintptr_t target)
{
	int64_t d = (int64_t)(target - from);
	return target && !(d & 3) && d >= -RANGE && d < RANGE;
}

void sc_lc_arch_check_site(const struct static_call_site_info *s,
			   const void *key, uintptr_t target)
{
	const char *kn = sc_lc_key_name(key);
	const char *obj = s->object ? s->object : "?";
	uintptr_t a = (uintptr_t)s->address;
	const struct rec *r = sc_lc_find_rec(a);
	int want = s->tail ? REC_JMP : REC_CALL;

	if (!r) {
		FAIL("key '%s': reported site %p (%s, form %s) is not a "
		     "b/bl/nop in a known function",
		     kn, (void *)a, obj, sc_lc_form_name(s->form));
		return;
	}
	switch (s->form) {
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP: {
		int k = s->form == STATIC_CALL_SITE_DIRECT ? REC_CALL : REC_JMP;
		if (r->kind != k || r->kind != want)
			FAIL("key '%s': site %p (%s) reported %s (tail=%d) but "
			     "the live code is not a %s",
			     kn, (void *)a, obj, sc_lc_form_name(s->form),
			     s->tail, k == REC_CALL ? "bl" : "b");
		else if (r->target != target)
			FAIL("key '%s': site %p (%s) reported %s but reaches %p, "
			     "not the current target %p",
			     kn, (void *)a, obj, sc_lc_form_name(s->form),
			     (void *)r->target, (void *)target);
		if ((uintptr_t)s->reaches != r->target)
			FAIL("key '%s': site %p (%s) reports reaches=%p, the code "
			     "reaches %p",
			     kn, (void *)a, obj, s->reaches, (void *)r->target);
		break;
	}
	case STATIC_CALL_SITE_TRAMPOLINE:
		if (r->kind != want || r->target != (uintptr_t)s->trampoline)
			FAIL("key '%s': site %p (%s) reported TRAMPOLINE but the "
			     "live code is not a %s to its trampoline %p",
			     kn, (void *)a, obj, want == REC_CALL ? "bl" : "b",
			     s->trampoline);
		if (!sc_lc_tramp_name((uintptr_t)s->trampoline))
			FAIL("key '%s': site %p (%s): reported trampoline %p is "
			     "no " TRAMP_PREFIX "* symbol",
			     kn, (void *)a, obj, s->trampoline);
		/* lazy binding: a call site that has not run stays on
		 * its trampoline, whose slot is in bind form */
		if (s->reason && strstr(s->reason, "not bound yet")) {
			if (r->kind != REC_CALL ||
			    *(const uint32_t *)s->trampoline != A64_B_BIND)
				FAIL("key '%s': site %p (%s) not bound yet but "
				     "%s", kn, (void *)a, obj,
				     r->kind != REC_CALL ? "not a call site" :
				     "its slot is not in bind form");
			break;
		}
		if (in_range(a, target))
			FAIL("key '%s': site %p (%s) left on its trampoline "
			     "though the target %p is within b/bl range "
			     "(reason: %s)",
			     kn, (void *)a, obj, (void *)target,
			     s->reason ? s->reason : "none given");
		else if (target && !s->reason)
			FAIL("key '%s': site %p (%s) on its trampoline with no "
			     "reason given", kn, (void *)a, obj);
		break;
	case STATIC_CALL_SITE_NOP:
		if (r->kind != REC_NOP || target)
			FAIL("key '%s': site %p (%s) reported NOP (target %p)",
			     kn, (void *)a, obj, (void *)target);
		break;
	default:
		sc_lc_fail_form(s, kn);
	}
}

void sc_lc_arch_check_tramp(const void *key, uintptr_t tramp,
			    uintptr_t target)
{
	const uint32_t *p = (const uint32_t *)tramp;
	uint32_t w0 = p[0], w1 = p[1];
	if ((w1 & 0x9f00001fu) != 0x90000010u &&
	    (w1 & 0x9f00001fu) != 0x10000010u && w1 != A64_NOP)
		FAIL("key '%s': trampoline %p: word 1 %08x is not the slow "
		     "path's adrp x16",
		     sc_lc_key_name(key), (void *)tramp, w1);
	if (w0 == A64_B_BIND) {
		if (p[-8 + 3] != A64_STP_X16_X30)
			FAIL("key '%s': trampoline %p in bind form without its "
			     "bind block", sc_lc_key_name(key), (void *)tramp);
		return;
	}
	if (w0 == A64_NOP) {
		if (in_range(tramp, target))
			FAIL("key '%s': trampoline %p on its slow path though "
			     "the target %p is within b range",
			     sc_lc_key_name(key), (void *)tramp,
			     (void *)target);
		return;
	}
	if ((w0 & 0xfc000000u) == 0x14000000u) {
		uintptr_t t = tramp + sext(w0 & 0x03ffffffu, 26) * 4;
		if (t != target)
			FAIL("key '%s': trampoline %p branches to %p, not to "
			     "the current target %p",
			     sc_lc_key_name(key), (void *)tramp, (void *)t,
			     (void *)target);
		return;
	}
	FAIL("key '%s': trampoline %p slot holds neither form: %08x",
	     sc_lc_key_name(key), (void *)tramp, w0);
}

const char *sc_lc_arch_branch_name(int kind)
{
	return kind == REC_CALL ? "bl" : "b";
}

/* every instruction, b and bl included, is one aligned 4-byte word */
const int sc_lc_arch_site_len = 4;
const uintptr_t sc_lc_arch_func_align = 4;

#endif /* __STATICCALL_PLUGIN__ */
