/*
 * promote_aarch64.c - the arm64 part of promotion (promote.h): sites are
 * `bl` to the unit's thunk (-mharden-sls=blr's shape, docs/ABI.md
 * "Promotable sites"), re-targeted by rewriting that one `bl` (a
 * concurrent modification the architecture allows: B/BL to B/BL). Stubs
 * compare chains (docs/PATCHING.md "Promoted sites"):
 *
 *	ldr  x16, slot_0          # LDR (literal): the stub's own data
 *	cmp  xN, x16
 *	b.ne 1f
 *	b    target_0             # +-128 MiB (b.cond reaches only 1 MiB)
 *   1:	...                       # four instructions per target
 *	b    thunk                # the miss: the unit's thunk (its slot)
 *	slot_0: .quad target_0    # 8-byte aligned, after the code
 *
 * x16 is the intra-procedure-call scratch register: the thunk itself
 * and any linker veneer clobber it. Tail calls (`br`) are not turned
 * into thunk calls by -mharden-sls=blr: they stay indirect, no sites.
 */
#include <string.h>

#include "promote.h"
#include "staticcall_abi.h"

/* weak: a build of the runtime's C files alone (the fuzz harness) has no
 * promote_aarch64.S */
extern const char __staticcall_promote_sample[] __attribute__((weak));

#define A64_BRK_UNUSED 0xd4200b80u /* brk #0x5c: padding never run */

int sc_parch_supported(void)
{
	return 1;
}

uint32_t sc_parch_fill(void)
{
	return A64_BRK_UNUSED;
}

char sc_parch_reg_letter(void)
{
	return 'x';
}

const void *sc_parch_sample_fn(void)
{
	return __staticcall_promote_sample;
}

size_t sc_parch_site_len(void)
{
	return 4;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* B/BL imm26 (words) from the instruction at `from` to `to`. */
static int imm26(const void *from, const void *to, uint32_t *out)
{
	int64_t d = (int64_t)((uintptr_t)to - (uintptr_t)from);
	if ((d & 3) || d < -(1ll << 27) || d >= (1ll << 27))
		return 0;
	*out = (uint32_t)(d >> 2) & 0x3ffffffu;
	return 1;
}

/* LDR (literal) / B.cond imm19 (words), from `from` to `to`. */
static int imm19(const void *from, const void *to, uint32_t *out)
{
	int64_t d = (int64_t)((uintptr_t)to - (uintptr_t)from);
	if ((d & 3) || d < -(1ll << 20) || d >= (1ll << 20))
		return 0;
	*out = (uint32_t)(d >> 2) & 0x7ffffu;
	return 1;
}

int sc_parch_reach(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	const int64_t lim = (1ll << 27) - (1ll << 20); /* 1 MiB slack */
	return (int64_t)(p - lo) < lim && (int64_t)(lo - p) < lim &&
	       (int64_t)(p - hi) < lim && (int64_t)(hi - p) < lim;
}

const uint8_t *sc_parch_site_dest(const uint8_t *insn, int tail)
{
	uint32_t w = rd32(insn);
	if ((w & 0xfc000000u) != (tail ? 0x14000000u : 0x94000000u))
		return NULL;
	int64_t off = (int64_t)((int32_t)(w << 6) >> 6) * 4;
	return insn + off;
}

int sc_parch_site_encode(const uint8_t *insn, int tail, const void *dest,
			 uint8_t out[SC_PSITE_MAX])
{
	uint32_t i;
	if (!imm26(insn, dest, &i))
		return 0;
	wr32(out, (tail ? 0x14000000u : 0x94000000u) | i);
	return 1;
}

const uint8_t *sc_parch_thunk_retpoline(const uint8_t *thunk)
{
	return thunk + SC_A64_THUNK_BODY;
}

uint64_t sc_parch_thunk_slot(int sampling)
{
	return sampling ? SC_A64_THUNK_SLOT_SAMPLE : SC_A64_THUNK_SLOT_PLAIN;
}

/* The registers a thunk may take: not x16/x17 (its scratch), not x30
 * (the `bl` overwrites it), not sp. */
static int thunk_reg(int reg)
{
	return reg >= 0 && reg <= 29 && reg != 16 && reg != 17;
}

size_t sc_parch_thunk_len(void)
{
	return 64;
}

int sc_parch_thunk_ok(const uint8_t *t, int reg, uintptr_t call_lo,
		      uintptr_t call_hi, const void *sample_fn)
{
	uint64_t slot;
	memcpy(&slot, t, 8);
	if (!thunk_reg(reg) || (slot != SC_A64_THUNK_SLOT_PLAIN &&
				slot != SC_A64_THUNK_SLOT_SAMPLE))
		return 0;
	const uint32_t n = (uint32_t)reg;
	/* body: mov x16, xN; br x16; dsb sy; isb */
	const uint32_t body[] = { 0xaa0003f0u | n << 16, 0xd61f0200u,
				  0xd5033f9fu, 0xd5033fdfu };
	for (int i = 0; i < 4; i++)
		if (rd32(t + SC_A64_THUNK_BODY + 4 * i) != body[i])
			return 0;
	/* The sample block: mrs x16, tpidr_el0; the tick's offset into x17
	 * (IE: adrp + ldr from the GOT, or relaxed to LE: movz + movk);
	 * add x16, x16, x17; ldr w17, [x16]; subs w17, w17, #1; str w17,
	 * [x16]; b.ne body; stp x29, x30, [sp, #-32]!; mov x16, #reg;
	 * stp xN, x16, [sp, #16]; bl sample; ldp x29, x30, [sp], #32; b body
	 */
	const uint8_t *b = t + SC_A64_THUNK_SAMPLE;
	uint32_t w1 = rd32(b + 4), w2 = rd32(b + 8);
	/* adrp x17, or adr x17 where GNU ld's erratum 843419 fix
	 * rewrote an adrp at a page's offset 0xff8/0xffc */
	int ie = ((w1 & 0x9f00001fu) == 0x90000011u ||
		  (w1 & 0x9f00001fu) == 0x10000011u) &&
		 (w2 & 0xffc003ffu) == 0xf9400231u;
	int le = (w1 & 0xffe0001fu) == 0xd2a00011u &&
		 (w2 & 0xffe0001fu) == 0xf2800011u;
	if (rd32(b) != 0xd53bd050u || !(ie || le))
		return 0;
	const uint32_t mid[] = {
		0x8b110210u,	      /* add x16, x16, x17 */
		0xb9400211u,	      /* ldr w17, [x16] */
		0x71000631u,	      /* subs w17, w17, #1 */
		0xb9000211u,	      /* str w17, [x16] */
		0x54fffea1u,	      /* b.ne body (-44) */
		0xa9be7bfdu,	      /* stp x29, x30, [sp, #-32]! */
		0xd2800010u | n << 5, /* mov x16, #reg */
		0xa90143e0u | n,      /* stp xN, x16, [sp, #16] */
	};
	for (int i = 0; i < 8; i++)
		if (rd32(b + 12 + 4 * i) != mid[i])
			return 0;
	const uint8_t *call = b + 44;
	uint32_t bl = rd32(call);
	if ((bl & 0xfc000000u) != 0x94000000u)
		return 0;
	uintptr_t callee = (uintptr_t)sc_parch_site_dest(call, 0);
	if (callee != (uintptr_t)sample_fn &&
	    (callee < call_lo || callee >= call_hi))
		return 0;
	return rd32(call + 4) == 0xa8c27bfdu && /* ldp x29, x30, [sp], #32 */
	       rd32(call + 8) == 0x17ffffefu;	/* b body (-68) */
}

static size_t stub_code(int n)
{
	return (size_t)n * 16 + 4;
}

size_t sc_parch_stub_size(int n)
{
	size_t code = stub_code(n);
	return (((code + 7) & ~(size_t)7) + (size_t)n * 8 + 15) & ~(size_t)15;
}

static int chain_encode(const uint8_t *at, int reg, void *const *targets,
			int n, const uint8_t *miss, uint64_t *counters,
			uint8_t *out);

int sc_parch_stub_encode(const uint8_t *at, int reg, void *const *targets,
			 int n, const uint8_t *miss, uint8_t *out)
{
	return chain_encode(at, reg, targets, n, miss, NULL, out);
}

/* Clang's -mharden-sls=blr: `bl __llvm_slsblr_thunk_xN`, a thunk LLVM
 * (14 to 19) defines in every unit, hidden and comdat:
 *	[bti c]              # with -mbranch-protection (LLVM 14)
 *	mov x16, xN
 *	br  x16
 *	dsb sy
 *	isb
 * Nothing else is accepted (an `sb` form, another register). */
int sc_parch_sls_thunk_reg(const uint8_t *t)
{
	if (rd32(t) == 0xd503245fu) /* bti c */
		t += 4;
	uint32_t mov = rd32(t);
	if ((mov & 0xffe0ffffu) != 0xaa0003f0u) /* mov x16, xN (orr) */
		return -1;
	int reg = (int)(mov >> 16 & 31);
	if (!thunk_reg(reg) || rd32(t + 4) != 0xd61f0200u || /* br x16 */
	    rd32(t + 8) != 0xd5033f9fu || rd32(t + 12) != 0xd5033fdfu)
		return -1;
	return reg;
}

extern __thread int __staticcall_promote_tick;

/* The sampling entry of register N (80 bytes, 8-aligned), the sites'
 * `bl` pointed at it instead of the compiler's thunk:
 *   0	mrs  x16, tpidr_el0
 *	movz x17, #tick_hi, lsl #16   # the tick's offset (initial-exec:
 *	movk x17, #tick_lo            #  the same in every thread)
 *	add  x16, x16, x17
 *	ldr  w17, [x16]
 *	subs w17, w17, #1
 *	str  w17, [x16]
 *	b.ne body
 *  32	stp  x29, x30, [sp, #-32]!    # the plugin thunk's frame, as
 *	mov  x16, #N                  #  __staticcall_promote_sample reads
 *	stp  xN, x16, [sp, #16]       #  it (promote_aarch64.S)
 *	ldr  x16, sample              # the runtime may lie beyond a `bl`
 *	blr  x16                      # (its entry: bti c)
 *	ldp  x29, x30, [sp], #32
 *  56 body: mov x16, xN             # the compiler's thunk, word for word
 *	br   x16
 *	dsb  sy
 *	isb
 *  72 sample: .quad sample_fn
 * x16 and x17 are the call's scratch (IP0/IP1, the compiler's thunk
 * clobbers x16); x30 is the site's return address, kept. */
#define A64_ENTRY_SIZE 80u
size_t sc_parch_sls_entry_size(void)
{
	return A64_ENTRY_SIZE;
}

int sc_parch_sls_entry_encode(const uint8_t *at, int reg, const void *sample_fn,
			      uint8_t *out)
{
	intptr_t tick = (intptr_t)&__staticcall_promote_tick -
			(intptr_t)__builtin_thread_pointer();
	if (!thunk_reg(reg) || !sample_fn || ((uintptr_t)at & 7) || tick < 0 ||
	    tick > 0xffffffffll)
		return 0;
	const uint32_t n = (uint32_t)reg, t = (uint32_t)tick;
	const uint32_t code[18] = {
		0xd53bd050u,			  /* mrs x16, tpidr_el0 */
		0xd2a00011u | (t >> 16) << 5,	  /* movz x17, hi, lsl 16 */
		0xf2800011u | (t & 0xffffu) << 5, /* movk x17, lo */
		0x8b110210u,			  /* add x16, x16, x17 */
		0xb9400211u,			  /* ldr w17, [x16] */
		0x71000631u,			  /* subs w17, w17, #1 */
		0xb9000211u,			  /* str w17, [x16] */
		0x540000e1u,			  /* b.ne body (+28) */
		0xa9be7bfdu,			  /* stp x29, x30, ... */
		0xd2800010u | n << 5,		  /* mov x16, #N */
		0xa90143e0u | n,		  /* stp xN, x16, [sp,16] */
		0x580000f0u,			  /* ldr x16, sample (+28) */
		0xd63f0200u,			  /* blr x16 */
		0xa8c27bfdu,			  /* ldp x29, x30, ... */
		0xaa0003f0u | n << 16,		  /* mov x16, xN */
		0xd61f0200u,			  /* br x16 */
		0xd5033f9fu,			  /* dsb sy */
		0xd5033fdfu,			  /* isb */
	};
	for (int i = 0; i < 18; i++)
		wr32(out + 4 * i, code[i]);
	uint64_t fn = (uint64_t)(uintptr_t)sample_fn;
	memcpy(out + 72, &fn, 8);
	return 1;
}

/* No tail sites on arm64 (see the top): no slow stubs. */
size_t sc_parch_slow_size(void)
{
	return 0;
}

int sc_parch_slow_encode(const uint8_t *at, int reg, const uint8_t *site_end,
			 const uint8_t *thunk, uint8_t *out)
{
	(void)at, (void)reg, (void)site_end, (void)thunk, (void)out;
	return 0;
}
/*
 * The counting stub (promote.h; docs/PATCHING.md "Hit counters"): per
 * target
 *
 *	ldr  x16, slot_i
 *	cmp  xN, x16
 *	b.ne 1f                   # .+28
 *	adrp x16, hits_i          # +-4 GiB: the counter pages lie within
 *	ldr  x17, [x16, #lo12]    #   a stub's reach of the code
 *	tbnz x17, #24, 2f         # reached STATIC_CALL_PROMOTE_HITS_MAX:
 *	add  x17, x17, #1         #   then only read (a site hot on many
 *	str  x17, [x16, #lo12]    #   cores shares its line read-only)
 * 2:	b    target_i
 * 1:
 *
 * then the misses' counter (adrp, ldr, add, str: every miss), `b miss`,
 * and the slots.
 * x16 and x17 are the intra-procedure-call scratch registers, free at a
 * call (a veneer may clobber them); the counters live in read-write
 * pages of their own, the stub stays read-only.
 */
#define A64_COUNTED_PAIR 36u

static size_t counted_code(int n)
{
	return (size_t)n * A64_COUNTED_PAIR + 20;
}

size_t sc_parch_counted_stub_size(int n)
{
	size_t code = counted_code(n);
	return (((code + 7) & ~(size_t)7) + (size_t)n * 8 + 15) & ~(size_t)15;
}

/* adrp x16, page of c; ldr x17, [x16, lo]; add x17, x17, #1; str x17,
 * [x16, lo]: 16 bytes at out, for the instruction address `at`; `upto`:
 * 20, with `tbnz x17, #24, .+12` after the ldr (the counter stops at
 * STATIC_CALL_PROMOTE_HITS_MAX). */
static int count_into(uint8_t *out, const uint8_t *at, const uint64_t *c,
		      int upto)
{
	const int64_t page = (int64_t)((uintptr_t)c >> 12) -
			     (int64_t)((uintptr_t)at >> 12);
	const uint32_t lo = (uint32_t)((uintptr_t)c & 0xfff);
	if (page < -(1ll << 20) || page >= (1ll << 20) || (lo & 7))
		return 0;
	const uint32_t imm = (uint32_t)page & 0x1fffffu;
	wr32(out, 0x90000010u | (imm & 3) << 29 | (imm >> 2) << 5);
	wr32(out + 4, 0xf9400211u | (lo / 8) << 10); /* ldr x17, [x16, lo] */
	if (upto) {
		/* tbnz x17, #24, .+12 */
		wr32(out + 8, 0x37000000u | SC_PROMOTE_HITS_MAX_BIT << 19 |
				      3u << 5 | 17u);
		out += 4;
	}
	wr32(out + 8, 0x91000631u);		     /* add x17, x17, #1 */
	wr32(out + 12, 0xf9000211u | (lo / 8) << 10); /* str x17, [x16, lo] */
	return 1;
}

/* Either form: counters NULL, the plain one (16 bytes a target). */
static int chain_encode(const uint8_t *at, int reg, void *const *targets,
			int n, const uint8_t *miss, uint64_t *counters,
			uint8_t *out)
{
	if (n < 1 || n > SC_PROMOTE_MAX_TARGETS || !thunk_reg(reg))
		return 0;
	const size_t pair = counters ? A64_COUNTED_PAIR : 16;
	size_t code = counters ? counted_code(n) : stub_code(n),
	       slots = (code + 7) & ~(size_t)7;
	size_t len = counters ? sc_parch_counted_stub_size(n) :
				sc_parch_stub_size(n);
	for (size_t i = 0; i < len; i += 4)
		wr32(out + i, A64_BRK_UNUSED);
	uint32_t imm;
	for (int i = 0; i < n; i++) {
		size_t o = (size_t)i * pair, b = o + pair - 4;
		if (!imm19(at + o, at + slots + 8 * i, &imm))
			return 0;
		wr32(out + o, 0x58000010u | imm << 5); /* ldr x16, slot_i */
		wr32(out + o + 4, 0xeb10001fu | (uint32_t)reg << 5);
		/* b.ne past the `b target_i` (.+8, counting .+28) */
		wr32(out + o + 8, 0x54000001u | (uint32_t)(pair - 8) / 4 << 5);
		if ((counters &&
		     !count_into(out + o + 12, at + o + 12, &counters[i], 1)) ||
		    !imm26(at + b, targets[i], &imm))
			return 0;
		wr32(out + b, 0x14000000u | imm); /* b target_i */
		memcpy(out + slots + 8 * i, &targets[i], 8);
	}
	if ((counters && !count_into(out + code - 20, at + code - 20,
				     &counters[n], 0)) ||
	    !imm26(at + code - 4, miss, &imm))
		return 0;
	wr32(out + code - 4, 0x14000000u | imm); /* b miss */
	return 1;
}

int sc_parch_counted_stub_encode(const uint8_t *at, int reg,
				 void *const *targets, int n,
				 const uint8_t *miss, uint64_t *counters,
				 uint8_t *out)
{
	return counters &&
	       chain_encode(at, reg, targets, n, miss, counters, out);
}

/* No plain (non-retpoline) thunk form on arm64: given-up sites stay on
 * their thunk's body. */
int sc_parch_thunk_plain(const uint8_t *thunk, int reg)
{
	(void)thunk;
	(void)reg;
	return 0;
}

size_t sc_parch_jump_stub_size(void)
{
	return 0;
}

int sc_parch_jump_stub_encode(const uint8_t *thunk, int reg, uint8_t *out)
{
	(void)thunk;
	(void)reg;
	(void)out;
	return 0;
}

/* No in-place given-up form either: a site is one 4-byte word, which
 * holds no NOP and `blr` together (and there is no plain unit). */
int sc_parch_in_place_encode(const uint8_t *thunk, int reg, int tail,
			     uint8_t out[SC_PSITE_MAX])
{
	(void)thunk, (void)reg, (void)tail, (void)out;
	return 0;
}

/* No inline sites on arm64 (the plugin refuses promote-inline there). */
void sc_parch_inline_slow_span(const uint8_t *slow, const uint8_t **lo,
				const uint8_t **hi)
{
	*lo = *hi = slow;
}

const uint8_t *sc_parch_inline_start(const uint8_t *slow)
{
	(void)slow;
	return NULL;
}

const uint8_t *sc_parch_inline_find(const uint8_t *s, const uint8_t *slow,
				    int reg)
{
	(void)s, (void)slow, (void)reg;
	return NULL;
}

size_t sc_parch_inline_arm_encode(const uint8_t *start, intptr_t rseq_cs,
				  const void *desc, uint8_t out[16])
{
	(void)start, (void)rseq_cs, (void)desc, (void)out;
	return 0;
}

const void *sc_parch_inline_dest(const uint8_t *start, int field)
{
	(void)start, (void)field;
	return NULL;
}

const void *sc_parch_inline_closed(const uint8_t *start)
{
	return start;
}

size_t sc_parch_inline_encode(const uint8_t *start, int field,
			      const void *to, uint8_t out[4])
{
	(void)start, (void)field, (void)to, (void)out;
	return 0;
}

size_t sc_parch_inline_bypass_encode(const uint8_t *start, const uint8_t *slow,
				     uint8_t out[8])
{
	(void)start, (void)slow, (void)out;
	return 0;
}

void sc_parch_inline_span(const uint8_t *start, const uint8_t **seq,
			  const uint8_t **end)
{
	*seq = *end = start;
}

sc_rseq_probe_fn *sc_parch_rseq_probe(const uint8_t **start,
				      const uint8_t **end,
				      const uint8_t **sig)
{
	*start = *end = NULL;
	*sig = NULL;
	return NULL;
}
