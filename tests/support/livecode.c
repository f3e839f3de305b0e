/*
 * livecode.c - the x86-64 part of the live-code checker of livecode.h, with
 * Zydis; linked with livecode_core.c (the key registry, the walk over the
 * loaded objects and the driver: see livecode_arch.h).
 *
 * Only active when built with a staticcall plugin (__STATICCALL_PLUGIN__);
 * otherwise this file is empty (and Zydis is not needed).
 *
 * An oracle: it spells the instruction and slot bytes (E8, E9, EB 06
 * CC*6) itself, on purpose, rather than asking runtime/arch_x86_64.c, so
 * that a wrong encoding there cannot pass its own check.
 *
 * sc_check_live() walks every loaded object (dl_iterate_phdr) that holds a
 * `__staticcall_tramp.*` symbol or that is not a system library, reads its
 * ELF symbol table from the file (.symtab, else .dynsym), decodes the bytes
 * of every FUNC symbol as they are in memory now and checks:
 *
 *  (a) every relative call/jmp/jcc whose target is a trampoline is a site
 *      the runtime reports (static_call_sites) for a registered key, and is
 *      a 5-byte E8/E9 (a jcc or a short jump to a trampoline can never be
 *      patched);
 *  (b) every reported site of a registered key decodes live as what its
 *      form says: DIRECT / TAIL_JUMP is call / jmp rel32 to exactly
 *      static_call_query(key) (and `reaches` says the same); TRAMPOLINE is
 *      call / jmp rel32 to its trampoline; NOP is a 5-byte NOP and only with
 *      a NULL target. A site whose non-NULL target is within rel32 range
 *      (|target - (site + 5)| < 2^31) must be DIRECT / TAIL_JUMP; an
 *      UNVERIFIED site is a failure; the instruction must lie inside one
 *      aligned quadword (ABI.md); a key registered with sc_live_key must
 *      have at least one site; a trampoline slot is either the slow path
 *      (EB 06 CC..) or E9 rel32 to exactly the current target;
 *  (c) no call/jmp through a memory operand at a key's address remains, nor
 *      (a simple register tracking along straight-line code, forgotten at
 *      calls and at branch targets) a call/jmp through a register that was
 *      loaded from a key (`mov k(%rip),%rax; call *%rax`, or through the
 *      GOT: `mov k@GOTPCREL(%rip),%rax; call *(%rax)`). A value copied out
 *      of a key and called later (through the stack, across a call or a
 *      join) is a legitimate indirect call and is not flagged.
 *
 * Each failure is one line on stderr starting with "livecode:".
 */
#define _GNU_SOURCE
#include "livecode_arch.h"

#ifdef __STATICCALL_PLUGIN__

#include <Zydis/Zydis.h>
#include <string.h>

static int gpr_index(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return -1;
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(
		ZYDIS_MACHINE_MODE_LONG_64, r);
	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return big - ZYDIS_REGISTER_RAX;
	return -1;
}

enum { REG_NONE = 0, REG_KEY_ADDR = 1, REG_KEY_VALUE = 2 };

static ZydisDecoder decoder;
static int decoder_ready;

void sc_lc_arch_decode_func(const struct object *o, const struct func *f)
{
	const ZydisDecoder *dec = &decoder;
	if (!decoder_ready) {
		ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
				 ZYDIS_STACK_WIDTH_64);
		decoder_ready = 1;
	}
	uintptr_t a = f->addr, end = f->addr + f->size;
	int state[16] = {0}, which[16] = {0};
	struct {
		uintptr_t *v;
		size_t n, cap;
	} joins = {0};

	/* Pass 1: branch targets inside the function are join points, where
	 * the register tracking below forgets what it knew. */
	while (a < end) {
		ZydisDecodedInstruction ins;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			    dec, (const void *)a, end - a, &ins, ops))) {
			a++;
			continue;
		}
		ZyanU64 t;
		if (ins.attributes & ZYDIS_ATTRIB_IS_RELATIVE &&
		    ins.operand_count_visible &&
		    ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&ins, &ops[0], a,
							  &t)) &&
		    t > f->addr && t < end)
			PUSH(joins, (uintptr_t)t);
		a += ins.length;
	}
	if (joins.n)
		qsort(joins.v, joins.n, sizeof *joins.v, sc_lc_cmp_uptr);

	a = f->addr;
	while (a < end) {
		ZydisDecodedInstruction ins;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			    dec, (const void *)a, end - a, &ins, ops))) {
			a++;
			memset(state, 0, sizeof state);
			continue;
		}
		if (joins.n && bsearch(&a, joins.v, joins.n, sizeof *joins.v,
				       sc_lc_cmp_uptr))
			memset(state, 0, sizeof state);
		int cat = ins.meta.category;
		int is_call = cat == ZYDIS_CATEGORY_CALL;
		int is_jmp = cat == ZYDIS_CATEGORY_UNCOND_BR;
		int is_jcc = cat == ZYDIS_CATEGORY_COND_BR;
		const ZydisDecodedOperand *op0 =
			ins.operand_count_visible ? &ops[0] : NULL;

		if ((is_call || is_jmp || is_jcc) && op0 &&
		    op0->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    op0->imm.is_relative) {
			ZyanU64 t;
			if (ZYAN_SUCCESS(
				    ZydisCalcAbsoluteAddress(&ins, op0, a, &t))) {
				struct rec r = {a, (uintptr_t)t, ins.length,
						is_call  ? REC_CALL
						: is_jmp ? REC_JMP
							 : REC_JCC};
				PUSH(sc_lc_recs, r);
			}
		} else if (ins.mnemonic == ZYDIS_MNEMONIC_NOP &&
			   ins.length == 5) {
			struct rec r = {a, 0, 5, REC_NOP};
			PUSH(sc_lc_recs, r);
		} else if ((is_call || is_jmp) && op0 &&
			   op0->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			/* (c) call/jmp *k(%rip), *k, or *(%reg) with reg = &k */
			int k = -1;
			ZyanU64 m;
			if ((op0->mem.base == ZYDIS_REGISTER_RIP ||
			     op0->mem.base == ZYDIS_REGISTER_NONE) &&
			    op0->mem.index == ZYDIS_REGISTER_NONE &&
			    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&ins, op0, a,
								  &m)))
				k = sc_lc_key_index((uintptr_t)m);
			int b = gpr_index(op0->mem.base);
			if (k < 0 && b >= 0 && state[b] == REG_KEY_ADDR &&
			    op0->mem.index == ZYDIS_REGISTER_NONE &&
			    op0->mem.disp.value == 0)
				k = which[b];
			/* a test that calls the key's value on purpose (a
			 * select of two keys, which stays indirect) says so */
			if (k >= 0 && !(sc_keys[k].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through key "
				     "'%s' remains",
				     o->name, f->name, (unsigned long)(a - f->addr),
				     (void *)a, is_call ? "call" : "jmp",
				     sc_keys[k].name);
		} else if ((is_call || is_jmp) && op0 &&
			   op0->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			int r = gpr_index(op0->reg.value);
			if (r >= 0 && state[r] == REG_KEY_VALUE &&
			    !(sc_keys[which[r]].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through a "
				     "register loaded from key '%s' remains",
				     o->name, f->name, (unsigned long)(a - f->addr),
				     (void *)a, is_call ? "call" : "jmp",
				     sc_keys[which[r]].name);
		}

		/* Register tracking for (c). */
		if (is_call || is_jmp || ins.mnemonic == ZYDIS_MNEMONIC_RET) {
			memset(state, 0, sizeof state);
		} else {
			int dst = -1, nst = REG_NONE, nk = 0;
			if ((ins.mnemonic == ZYDIS_MNEMONIC_MOV ||
			     ins.mnemonic == ZYDIS_MNEMONIC_LEA) &&
			    ins.operand_count_visible == 2 &&
			    ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    ops[0].size == 64) {
				dst = gpr_index(ops[0].reg.value);
				const ZydisDecodedOperand *src = &ops[1];
				if (src->type == ZYDIS_OPERAND_TYPE_MEMORY) {
					ZyanU64 m;
					int bi = gpr_index(src->mem.base);
					if ((src->mem.base == ZYDIS_REGISTER_RIP ||
					     src->mem.base ==
						     ZYDIS_REGISTER_NONE) &&
					    src->mem.index ==
						    ZYDIS_REGISTER_NONE &&
					    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(
						    &ins, src, a, &m))) {
						int k = sc_lc_key_index(
							(uintptr_t)m);
						if (k >= 0) {
							nst = ins.mnemonic ==
									      ZYDIS_MNEMONIC_LEA
								      ? REG_KEY_ADDR
								      : REG_KEY_VALUE;
							nk = k;
						} else if (ins.mnemonic ==
								   ZYDIS_MNEMONIC_MOV &&
							   (k = sc_lc_got_slot_key(
								    o, (uintptr_t)m)) >= 0) {
							nst = REG_KEY_ADDR;
							nk = k;
						}
					} else if (ins.mnemonic ==
							   ZYDIS_MNEMONIC_MOV &&
						   bi >= 0 &&
						   state[bi] == REG_KEY_ADDR &&
						   src->mem.index ==
							   ZYDIS_REGISTER_NONE &&
						   src->mem.disp.value == 0) {
						nst = REG_KEY_VALUE;
						nk = which[bi];
					}
				} else if (src->type ==
						   ZYDIS_OPERAND_TYPE_REGISTER &&
					   ins.mnemonic == ZYDIS_MNEMONIC_MOV) {
					int s = gpr_index(src->reg.value);
					if (s >= 0) {
						nst = state[s];
						nk = which[s];
					}
				}
			}
			for (int i = 0; i < ins.operand_count; i++) {
				if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
				    !(ops[i].actions &
				      ZYDIS_OPERAND_ACTION_MASK_WRITE))
					continue;
				int r = gpr_index(ops[i].reg.value);
				if (r >= 0)
					state[r] = REG_NONE;
			}
			if (dst >= 0) {
				state[dst] = nst;
				which[dst] = nk;
			}
		}
		a += ins.length;
	}
	free(joins.v);
}

/* The slot's bind form (lazy binding): jmp to the bind block. */
static const unsigned char bind_slot[8] = {0xeb, 0xde, 0xcc, 0xcc,
					   0xcc, 0xcc, 0xcc, 0xcc};

/*
 * A multi-instruction fragment (written only while the process was
 * single-threaded, at a site of a STATIC_CALL_BOOT key): the site's first
 * bytes are the function's body after its endbr64 up to its `ret`, the
 * rest one-byte NOPs. 1 if site a holds that for function t.
 */
static int holds_sequence(const unsigned char *a, const unsigned char *t)
{
	int k = 0, n = 0;
	ZydisDecodedInstruction ins;
	while (k < 5 && t[k] != 0xc3) {
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(
			    &decoder, NULL, t + k, 15, &ins)))
			return 0;
		k += ins.length;
		n++;
	}
	if (n < 2 || k > 5 || t[k] != 0xc3 || memcmp(a, t, (size_t)k))
		return 0;
	for (int i = k; i < 5; i++)
		if (a[i] != 0x90)
			return 0;
	return 1;
}

/*
 * An inline form (docs/PATCHING.md): a call site holding, as ONE 5-byte
 * instruction, exactly the instruction the key's value executes: the
 * live bytes less their 2e padding prefixes equal the function's body
 * after its endbr64, which returns right after them (or a sequence:
 * holds_sequence).
 */
static void check_inline(const struct static_call_site_info *s,
			 const char *kn, uintptr_t target)
{
	const unsigned char *a = s->address, *t = (const void *)target;
	const char *obj = s->object ? s->object : "?";
	ZydisDecodedInstruction ins;
	if (!decoder_ready) {
		ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
				 ZYDIS_STACK_WIDTH_64);
		decoder_ready = 1;
	}
	if (s->tail)
		FAIL("key '%s': tail site %p (%s) reported %s: a tail site has "
		     "no one-instruction inline form", kn, (void *)a, obj,
		     sc_lc_form_name(s->form));
	static const unsigned char endbr[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	if (s->form == STATIC_CALL_SITE_FRAGMENT && target &&
	    (uintptr_t)s->reaches == target &&
	    holds_sequence(a, t + (memcmp(t, endbr, 4) ? 0 : 4)))
		return;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, NULL, a, 15,
							 &ins)) ||
	    ins.length != 5)
		FAIL("key '%s': site %p (%s) reported %s but its 5 bytes are "
		     "not one instruction", kn, (void *)a, obj,
		     sc_lc_form_name(s->form));
	if ((uintptr_t)s->reaches != target || !target) {
		FAIL("key '%s': site %p (%s) inline form of %p, key holds %p",
		     kn, (void *)a, obj, s->reaches, (void *)target);
		return;
	}
	int pad = 0;
	while (pad < 5 && a[pad] == 0x2e)
		pad++;
	static const unsigned char endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	if (!memcmp(t, endbr64, 4))
		t += 4;
	if (memcmp(a + pad, t, (size_t)(5 - pad)) || t[5 - pad] != 0xc3)
		FAIL("key '%s': site %p (%s) holds %02x %02x %02x %02x %02x, "
		     "not the instruction of its target %p", kn, (void *)a,
		     obj, a[0], a[1], a[2], a[3], a[4], (void *)target);
}

/* Check one reported site against the live code. */
void sc_lc_arch_check_site(const struct static_call_site_info *s,
			   const void *key, uintptr_t target)
{
	const char *kn = sc_lc_key_name(key);
	uintptr_t a = (uintptr_t)s->address;
	const struct rec *r = sc_lc_find_rec(a);
	const char *obj = s->object ? s->object : "?";

	/* Forms that call nothing: one instruction each (`mov $0,%eax`, or
	 * `ret` and never-reached int3s): compare the live bytes themselves
	 * (docs/PATCHING.md). A tail site has no return-zero form. */
	if (s->form == STATIC_CALL_SITE_RETURN_ZERO ||
	    (s->form == STATIC_CALL_SITE_NOP && s->tail)) {
		static const unsigned char ret0_call[5] = {0xb8, 0x00, 0x00, 0x00, 0x00};
		static const unsigned char nop_tail[5] = {0xc3, 0xcc, 0xcc, 0xcc, 0xcc};
		int ret0 = s->form == STATIC_CALL_SITE_RETURN_ZERO;
		if (ret0 && s->tail)
			FAIL("key '%s': tail site %p (%s) reported return-zero: "
			     "no one-instruction form exists there", kn,
			     (void *)a, obj);
		const unsigned char *want = ret0 ? ret0_call : nop_tail;
		if (memcmp((const void *)a, want, 5))
			FAIL("key '%s': site %p (%s) reported %s but the live "
			     "bytes are not that form", kn, (void *)a, obj,
			     sc_lc_form_name(s->form));
		if (ret0 && target != (uintptr_t)__staticcall_ret0)
			FAIL("key '%s': site %p (%s) returns zero but the key "
			     "holds %p", kn, (void *)a, obj, (void *)target);
		if (!ret0 && target)
			FAIL("key '%s': site %p (%s) is a NOP but the key's "
			     "target is %p", kn, (void *)a, obj, (void *)target);
		return;
	}

	if (s->form == STATIC_CALL_SITE_RETURN_CONST ||
	    s->form == STATIC_CALL_SITE_RETURN_ARG ||
	    s->form == STATIC_CALL_SITE_FRAGMENT) {
		check_inline(s, kn, target);
		return;
	}

	if (!r || r->len != 5) {
		FAIL("key '%s': reported site %p (%s, form %s) is not a 5-byte "
		     "call/jmp/nop at an instruction boundary of a known "
		     "function",
		     kn, (void *)a, obj, sc_lc_form_name(s->form));
		return;
	}
	/* A site whose displacement crosses an aligned quadword cannot be
	 * re-targeted by one atomic write: unless STATICCALL_STRADDLE=wait,
	 * it stays on its trampoline whenever the bytes that change do not
	 * share one word (docs/PATCHING.md). */
	int straddles = ((a + 1) & ~(uintptr_t)7) != ((a + 4) & ~(uintptr_t)7);

	int64_t dist = (int64_t)(target - (a + 5));
	int in_range = target && dist > -(INT64_C(1) << 31) &&
		       dist < (INT64_C(1) << 31);
	int want_kind = s->tail ? REC_JMP : REC_CALL;

	switch (s->form) {
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP: {
		int k = s->form == STATIC_CALL_SITE_DIRECT ? REC_CALL : REC_JMP;
		if (r->kind != k)
			FAIL("key '%s': site %p (%s) reported %s but the live "
			     "code is not a %s rel32",
			     kn, (void *)a, obj, sc_lc_form_name(s->form),
			     k == REC_CALL ? "call" : "jmp");
		else if (r->target != target)
			FAIL("key '%s': site %p (%s) reported %s but reaches %p, "
			     "not the current target %p%s",
			     kn, (void *)a, obj, sc_lc_form_name(s->form),
			     (void *)r->target, (void *)target,
			     sc_lc_tramp_name(r->target) ? " (a trampoline)"
							 : "");
		if ((uintptr_t)s->reaches != r->target)
			FAIL("key '%s': site %p (%s) reports reaches=%p, the "
			     "code reaches %p",
			     kn, (void *)a, obj, s->reaches, (void *)r->target);
		if (r->kind != want_kind)
			FAIL("key '%s': site %p (%s): tail=%d but form %s", kn,
			     (void *)a, obj, s->tail,
			     sc_lc_form_name(s->form));
		break;
	}
	case STATIC_CALL_SITE_TRAMPOLINE:
		if (r->kind != want_kind ||
		    r->target != (uintptr_t)s->trampoline)
			FAIL("key '%s': site %p (%s) reported TRAMPOLINE but the "
			     "live code is not a %s to its trampoline %p",
			     kn, (void *)a, obj,
			     want_kind == REC_CALL ? "call" : "jmp",
			     s->trampoline);
		if (!sc_lc_tramp_name((uintptr_t)s->trampoline))
			FAIL("key '%s': site %p (%s): reported trampoline %p "
			     "is no " TRAMP_PREFIX "* symbol",
			     kn, (void *)a, obj, s->trampoline);
		/* lazy binding: a call site that has not run twice stays on
		 * its trampoline, whose slot is in bind form (checked below) */
		if (s->reason && strstr(s->reason, "not bound yet") &&
		    (r->kind != REC_CALL ||
		     memcmp(s->trampoline, bind_slot, 8)))
			FAIL("key '%s': site %p (%s) not bound yet but %s",
			     kn, (void *)a, obj, r->kind != REC_CALL
			     ? "not a call site" : "its slot is not in bind form");
		if (s->reason && strstr(s->reason, "not bound yet"))
			break;
		if (in_range && !(straddles && s->reason &&
				  strstr(s->reason, "straddles")))
			FAIL("key '%s': site %p (%s) left on its trampoline "
			     "though the target %p is within rel32 range "
			     "(reason: %s)",
			     kn, (void *)a, obj, (void *)target,
			     s->reason ? s->reason : "none given");
		break;
	case STATIC_CALL_SITE_NOP:
		if (r->kind != REC_NOP)
			FAIL("key '%s': site %p (%s) reported NOP but the live "
			     "code is not a 5-byte nop",
			     kn, (void *)a, obj);
		if (target)
			FAIL("key '%s': site %p (%s) is a NOP but the key's "
			     "target is %p",
			     kn, (void *)a, obj, (void *)target);
		break;
	default:
		sc_lc_fail_form(s, kn);
		break;
	}
}

/* The trampoline's slot must be the slow path, a jmp to the target, or
 * (lazy binding) the jmp to its bind block, which ends in the slow path. */
void sc_lc_arch_check_tramp(const void *key, uintptr_t tramp,
			    uintptr_t target)
{
	const unsigned char *p = (const unsigned char *)tramp;
	static const unsigned char slow[8] = {0xeb, 0x06, 0xcc, 0xcc,
					      0xcc, 0xcc, 0xcc, 0xcc};
	static const unsigned char block[3] = {0x4c, 0x8d, 0x1d};
	if (memcmp(p, slow, 8) == 0)
		return;
	if (memcmp(p, bind_slot, 8) == 0) {
		if (memcmp(p - 32, block, 3))
			FAIL("key '%s': trampoline %p in bind form without its "
			     "bind block", sc_lc_key_name(key), (void *)tramp);
		return;
	}
	if (p[0] == 0xe9 && p[5] == 0xcc && p[6] == 0xcc && p[7] == 0xcc) {
		int32_t rel;
		memcpy(&rel, p + 1, 4);
		uintptr_t t = tramp + 5 + (intptr_t)rel;
		if (t != target)
			FAIL("key '%s': trampoline %p jumps directly to %p, "
			     "not to the current target %p",
			     sc_lc_key_name(key), (void *)tramp, (void *)t,
			     (void *)target);
		return;
	}
	FAIL("key '%s': trampoline %p slot holds neither form: "
	     "%02x %02x %02x %02x %02x %02x %02x %02x",
	     sc_lc_key_name(key), (void *)tramp, p[0], p[1], p[2], p[3], p[4],
	     p[5], p[6], p[7]);
}

const char *sc_lc_arch_branch_name(int kind)
{
	return kind == REC_CALL  ? "call"
	       : kind == REC_JMP ? "jmp"
				 : "conditional jump";
}

/* call / jmp rel32; a jcc or a short jmp to a trampoline cannot be patched */
const int sc_lc_arch_site_len = 5;
const uintptr_t sc_lc_arch_func_align = 1;

#endif /* __STATICCALL_PLUGIN__ */
