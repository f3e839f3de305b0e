/*
 * promote_x86_64.c - the x86-64 part of promotion (promote.h): sites are
 * `E8/E9 rel32` to the unit's thunk (docs/ABI.md "Promotable sites"),
 * stubs compare chains (docs/PATCHING.md "Promoted sites"):
 *
 *	cmp  slot_0(%rip), %reg   # REX.W(+R) 3B /r, disp32
 *	je   target_0             # 0F 84 rel32
 *	...                       # one pair per target
 *	jmp  thunk                # E9 rel32: the unit's retpoline
 *	slot_0: .quad target_0    # the targets, after the code
 *
 * The targets are data (a PIE address does not fit a cmp's imm32) inside
 * the stub's own read-only page.
 */
#include <string.h>

#include "promote.h"
#include "staticcall_abi.h"

/* weak: a build of the runtime's C files alone (the fuzz harness) has no
 * promote_x86_64.S */
extern const char __staticcall_promote_sample[] __attribute__((weak));

int sc_parch_supported(void)
{
	return 1;
}

uint32_t sc_parch_fill(void)
{
	return 0xccccccccu; /* int3 */
}

char sc_parch_reg_letter(void)
{
	return 'r';
}

const void *sc_parch_sample_fn(void)
{
	return __staticcall_promote_sample;
}

size_t sc_parch_site_len(void)
{
	return 5;
}

static int32_t rd32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void wr32(uint8_t *p, int32_t v)
{
	memcpy(p, &v, 4);
}

/* rel32 from `from` (the end of the instruction) to `to`, if in range. */
static int rel32(const void *from, const void *to, int32_t *out)
{
	int64_t d = (int64_t)((uintptr_t)to - (uintptr_t)from);
	if (d != (int32_t)d)
		return 0;
	*out = (int32_t)d;
	return 1;
}

int sc_parch_reach(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	const int64_t lim = INT32_MAX - 4096; /* instruction ends: slack */
	return (int64_t)(p - lo) < lim && (int64_t)(lo - p) < lim &&
	       (int64_t)(p - hi) < lim && (int64_t)(hi - p) < lim;
}

const uint8_t *sc_parch_site_dest(const uint8_t *insn, int tail)
{
	if (insn[0] != (tail ? 0xe9 : 0xe8))
		return NULL;
	return insn + SC_PSITE_LEN + rd32(insn + 1);
}

int sc_parch_site_encode(const uint8_t *insn, int tail, const void *dest,
			 uint8_t out[SC_PSITE_MAX])
{
	int32_t d;
	if (!rel32(insn + SC_PSITE_LEN, dest, &d))
		return 0;
	out[0] = tail ? 0xe9 : 0xe8;
	wr32(out + 1, d);
	return 1;
}

size_t sc_parch_thunk_len(void)
{
	return SC_X86_THUNK_LEN;
}

const uint8_t *sc_parch_thunk_retpoline(const uint8_t *thunk)
{
	return thunk + SC_X86_THUNK_RETPOLINE;
}

uint64_t sc_parch_thunk_slot(int sampling)
{
	return sampling ? SC_X86_THUNK_SLOT_SAMPLE : SC_X86_THUNK_SLOT_PLAIN;
}

/* A promote-plain unit's thunk (-fplugin-arg-...-promote-plain, a build
 * without retpolines): `jmp *%reg` where the retpoline would be, then
 * int3 up to the sample block. */
static int plain_jump(const uint8_t *t, int reg)
{
	const uint8_t *p = t + SC_X86_THUNK_RETPOLINE;
	p += *p == 0x3e; /* notrack: the `_nt_` twin's */
	if (reg >= 8 && *p++ != 0x41)
		return 0;
	if (p[0] != 0xff || p[1] != (0xe0 | (reg & 7)))
		return 0;
	for (p += 2; p < t + SC_X86_THUNK_SAMPLE; p++)
		if (*p != 0xcc)
			return 0;
	return 1;
}

int sc_parch_thunk_ok(const uint8_t *t, int reg, uintptr_t call_lo,
		      uintptr_t call_hi, const void *sample_fn)
{
	uint64_t slot;
	memcpy(&slot, t, 8);
	if (reg < 0 || reg > 15 || reg == 4 ||
	    (slot != SC_X86_THUNK_SLOT_PLAIN &&
	     slot != SC_X86_THUNK_SLOT_SAMPLE))
		return 0;
	/* The retpoline, as GCC's own thunk, then int3 padding. */
	const uint8_t retpoline[] = {
		0xe8,
		0x07,
		0,
		0,
		0,
		0xf3,
		0x90,
		0x0f,
		0xae,
		0xe8,
		0xeb,
		0xf9,
		(uint8_t)(0x48 | (reg >= 8 ? 4 : 0)),
		0x89,
		(uint8_t)(0x04 | (reg & 7) << 3),
		0x24,
		0xc3,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
		0xcc,
	};
	if (memcmp(t + 8, retpoline, sizeof retpoline) && !plain_jump(t, reg))
		return 0;
	/* The sample block: push %rax; the tick's offset (IE: mov
	 * disp(%rip),%rax, or relaxed to LE: mov $imm,%rax); decl
	 * %fs:(%rax); pop %rax; jnz retpoline; push %r10; push %r11; push
	 * $reg; push %reg; call sample; pop %reg; add $8,%rsp; pop %r11;
	 * pop %r10; jmp retpoline. Earlier forms (without the %r10/%r11
	 * pushes: the sampler's frame was 16 bytes shorter) are refused. */
	const uint8_t *b = t + SC_X86_THUNK_SAMPLE;
	if (b[0] != 0x50 || b[1] != 0x48 ||
	    !((b[2] == 0x8b && b[3] == 0x05) || (b[2] == 0xc7 && b[3] == 0xc0)))
		return 0;
	const uint8_t mid[] = { 0x64, 0xff, 0x08, 0x58, 0x75, 0xda, 0x41,
				0x52, 0x41, 0x53, 0x6a, (uint8_t)reg };
	if (memcmp(b + 8, mid, sizeof mid))
		return 0;
	const uint8_t *p = b + 20;
	if (reg >= 8 && *p++ != 0x41)
		return 0;
	if (*p++ != 0x50 + (reg & 7) || *p != 0xe8)
		return 0;
	uintptr_t callee = (uintptr_t)(p + 5 + rd32(p + 1));
	if (callee != (uintptr_t)sample_fn &&
	    (callee < call_lo || callee >= call_hi))
		return 0;
	p += 5;
	const uint8_t tail[] = { 0x48, 0x83, 0xc4, 0x08,
				 0x41, 0x5b, 0x41, 0x5a };
	if (reg >= 8 && *p++ != 0x41)
		return 0;
	if (*p++ != 0x58 + (reg & 7) || memcmp(p, tail, sizeof tail))
		return 0;
	p += sizeof tail;
	return p[0] == 0xeb && p[1] == (uint8_t)(t + 8 - (p + 2));
}

size_t sc_parch_stub_size(int n)
{
	size_t code = (size_t)n * 13 + 5;
	return (((code + 7) & ~(size_t)7) + (size_t)n * 8 + 15) & ~(size_t)15;
}

int sc_parch_stub_encode(const uint8_t *at, int reg, void *const *targets,
			 int n, const uint8_t *miss, uint8_t *out)
{
	if (n < 1 || n > SC_PROMOTE_MAX_TARGETS || reg < 0 || reg > 15)
		return 0;
	size_t code = (size_t)n * 13 + 5, slots = (code + 7) & ~(size_t)7;
	memset(out, 0xcc, sc_parch_stub_size(n));
	int32_t d;
	for (int i = 0; i < n; i++) {
		size_t o = (size_t)i * 13;
		out[o] = 0x48 | (reg >= 8 ? 4 : 0);
		out[o + 1] = 0x3b;
		out[o + 2] = 0x05 | (reg & 7) << 3;
		if (!rel32(at + o + 7, at + slots + 8 * i, &d))
			return 0;
		wr32(out + o + 3, d);
		out[o + 7] = 0x0f;
		out[o + 8] = 0x84;
		if (!rel32(at + o + 13, targets[i], &d))
			return 0;
		wr32(out + o + 9, d);
		memcpy(out + slots + 8 * i, &targets[i], 8);
	}
	out[code - 5] = 0xe9;
	if (!rel32(at + code, miss, &d))
		return 0;
	wr32(out + code - 4, d);
	return 1;
}

/* The sample block's call (verified by sc_parch_thunk_ok). */
static const uint8_t *sample_call(const uint8_t *thunk, int reg)
{
	const uint8_t *p = thunk + SC_X86_THUNK_SAMPLE + (reg >= 8 ? 22 : 21);
	return p + 5 + rd32(p + 1);
}

extern __thread int __staticcall_promote_tick;

size_t sc_parch_slow_size(void)
{
	return 64;
}

/*
 *	decl %fs:TICK              # 64 FF 0C 25 disp32 (TP-relative)
 *	jnz  thunk+8               # 0F 85 rel32: the retpoline
 *	push %rax; push %rax
 *	lea  site_end(%rip), %rax  # the site, named as a call's return
 *	mov  %rax, 8(%rsp)         #   address would be
 *	pop  %rax
 *	push %r10; push %r11       # the sampler's frame, as the thunk's
 *	push $reg; push %reg
 *	call sample                # the thunk's: its PLT entry
 *	pop  %reg                  # (a lazy PLT resolver may clobber it)
 *	add  $8, %rsp
 *	pop  %r11; pop %r10
 *	add  $8, %rsp
 *	jmp  thunk+8
 */
int sc_parch_slow_encode(const uint8_t *at, int reg, const uint8_t *site_end,
			 const uint8_t *thunk, uint8_t *out)
{
	intptr_t tick = (intptr_t)&__staticcall_promote_tick -
			(intptr_t)__builtin_thread_pointer();
	if (tick != (int32_t)tick || reg < 0 || reg > 15 || reg == 4)
		return 0;
	uint8_t *p = out;
	int32_t d;
	memset(out, 0xcc, sc_parch_slow_size());
	*p++ = 0x64, *p++ = 0xff, *p++ = 0x0c, *p++ = 0x25;
	wr32(p, (int32_t)tick), p += 4;
	*p++ = 0x0f, *p++ = 0x85;
	if (!rel32(at + (p - out) + 4, thunk + SC_X86_THUNK_RETPOLINE, &d))
		return 0;
	wr32(p, d), p += 4;
	*p++ = 0x50, *p++ = 0x50;
	*p++ = 0x48, *p++ = 0x8d, *p++ = 0x05;
	if (!rel32(at + (p - out) + 4, site_end, &d))
		return 0;
	wr32(p, d), p += 4;
	*p++ = 0x48, *p++ = 0x89, *p++ = 0x44, *p++ = 0x24, *p++ = 0x08;
	*p++ = 0x58;
	*p++ = 0x41, *p++ = 0x52, *p++ = 0x41, *p++ = 0x53;
	*p++ = 0x6a, *p++ = (uint8_t)reg;
	if (reg >= 8)
		*p++ = 0x41;
	*p++ = 0x50 + (reg & 7);
	*p++ = 0xe8;
	if (!rel32(at + (p - out) + 4, sample_call(thunk, reg), &d))
		return 0;
	wr32(p, d), p += 4;
	if (reg >= 8)
		*p++ = 0x41;
	*p++ = 0x58 + (reg & 7);
	*p++ = 0x48, *p++ = 0x83, *p++ = 0xc4, *p++ = 0x08;
	*p++ = 0x41, *p++ = 0x5b, *p++ = 0x41, *p++ = 0x5a;
	*p++ = 0x48, *p++ = 0x83, *p++ = 0xc4, *p++ = 0x08;
	*p++ = 0xe9;
	if (!rel32(at + (p - out) + 4, thunk + SC_X86_THUNK_RETPOLINE, &d))
		return 0;
	wr32(p, d), p += 4;
	return (size_t)(p - out) <= sc_parch_slow_size();
}

/*
 * The counting stub (PATCHING.md "Hit counters"): per target
 *
 *	cmp  slot_i(%rip), %reg        # 7 bytes
 *	jne  1f                        # 75 19
 *	testb $1, hits_i+3(%rip)       # F6 05 disp32 01: reached 2^24?
 *	jnz  target_i                  # 0F 85 rel32: then only read
 *	incq hits_i(%rip)              # 48 FF 05 disp32
 *	jmp  target_i                  # E9 rel32
 * 1:
 *
 * then `incq misses(%rip); jmp thunk` and the slots. A counter stops at
 * STATIC_CALL_PROMOTE_HITS_MAX: a site hot on many cores then shares its
 * line read-only instead of writing it on every call. The counters live
 * in a read-write page of their own: the stub itself stays read-only.
 */
#define SC_COUNTED_PAIR 34

size_t sc_parch_counted_stub_size(int n)
{
	size_t code = (size_t)n * SC_COUNTED_PAIR + 12;
	return (((code + 7) & ~(size_t)7) + (size_t)n * 8 + 15) & ~(size_t)15;
}

static int inc_rip(uint8_t *out, const uint8_t *end, const void *counter)
{
	int32_t d;
	out[0] = 0x48;
	out[1] = 0xff;
	out[2] = 0x05;
	if (!rel32(end, counter, &d))
		return 0;
	wr32(out + 3, d);
	return 1;
}

int sc_parch_counted_stub_encode(const uint8_t *at, int reg,
				 void *const *targets, int n,
				 const uint8_t *miss, uint64_t *counters,
				 uint8_t *out)
{
	if (n < 1 || n > SC_PROMOTE_MAX_TARGETS || reg < 0 || reg > 15 ||
	    reg == 4)
		return 0;
	size_t code = (size_t)n * SC_COUNTED_PAIR + 12,
	       slots = (code + 7) & ~(size_t)7;
	memset(out, 0xcc, sc_parch_counted_stub_size(n));
	int32_t d;
	for (int i = 0; i < n; i++) {
		size_t o = (size_t)i * SC_COUNTED_PAIR;
		out[o] = 0x48 | (reg >= 8 ? 4 : 0);
		out[o + 1] = 0x3b;
		out[o + 2] = 0x05 | (reg & 7) << 3;
		if (!rel32(at + o + 7, at + slots + 8 * i, &d))
			return 0;
		wr32(out + o + 3, d);
		out[o + 7] = 0x75;
		out[o + 8] = SC_COUNTED_PAIR - 9;
		out[o + 9] = 0xf6;
		out[o + 10] = 0x05;
		if (!rel32(at + o + 16,
			   (const uint8_t *)&counters[i] + SC_PROMOTE_HITS_MAX_BIT / 8,
			   &d))
			return 0;
		wr32(out + o + 11, d);
		out[o + 15] = 1u << SC_PROMOTE_HITS_MAX_BIT % 8;
		out[o + 16] = 0x0f;
		out[o + 17] = 0x85;
		if (!rel32(at + o + 22, targets[i], &d))
			return 0;
		wr32(out + o + 18, d);
		if (!inc_rip(out + o + 22, at + o + 29, &counters[i]))
			return 0;
		out[o + 29] = 0xe9;
		if (!rel32(at + o + 34, targets[i], &d))
			return 0;
		wr32(out + o + 30, d);
		memcpy(out + slots + 8 * i, &targets[i], 8);
	}
	size_t o = (size_t)n * SC_COUNTED_PAIR;
	if (!inc_rip(out + o, at + o + 7, &counters[n]))
		return 0;
	out[o + 7] = 0xe9;
	if (!rel32(at + code, miss, &d))
		return 0;
	wr32(out + o + 8, d);
	return 1;
}

int sc_parch_thunk_plain(const uint8_t *thunk, int reg)
{
	return reg >= 0 && reg <= 15 && reg != 4 && plain_jump(thunk, reg);
}

/* 16 bytes: stubs stay 16-byte aligned in their page. */
size_t sc_parch_jump_stub_size(void)
{
	return 16;
}

/*	jmp *%reg                 # (3E) (41) FF E0+r
 *	int3 ...
 * notrack when the thunk's jump is (its targets may have no ENDBR).
 */
int sc_parch_jump_stub_encode(const uint8_t *thunk, int reg, uint8_t *out)
{
	if (reg < 0 || reg > 15 || reg == 4)
		return 0;
	uint8_t *p = out;
	memset(out, 0xcc, sc_parch_jump_stub_size());
	if (thunk[SC_X86_THUNK_RETPOLINE] == 0x3e)
		*p++ = 0x3e;
	if (reg >= 8)
		*p++ = 0x41;
	*p++ = 0xff;
	*p = (uint8_t)(0xe0 | (reg & 7));
	return 1;
}

/*
 * In place: the site's five bytes become one NOP and the call or jump
 * (docs/PATCHING.md "Given-up sites of a plain build"):
 *
 *	0F 1F 00 | FF D0+r          nopl (%rax); call *%reg
 *	66 90    | 41 FF D0+r       xchg %ax,%ax; call *%r8..r15
 *	0F 1F 00 | FF E0+r          (tail) jmp *%reg
 *	66 90    | 3E FF D0+r/E0+r  (the thunk's jump notrack) notrack
 *	90       | 3E 41 FF D0+r/E0+r
 *
 * The call or jump ends at site+5, so a call's return address is the
 * site's, as in every other form. Its prefixes are the thunk's jump's:
 * the same hardening as the path the site had (a call through a
 * `nocf_check` pointer reaches the `_nt_` thunk, and goes in place as
 * `notrack call`).
 */
int sc_parch_in_place_encode(const uint8_t *thunk, int reg, int tail,
			     uint8_t out[SC_PSITE_MAX])
{
	static const uint8_t nop[4][3] = {
		{ 0 }, { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }
	};
	const uint8_t *j = thunk + SC_X86_THUNK_RETPOLINE;
	uint8_t insn[SC_PSITE_MAX];
	size_t n = 0;
	int notrack = *j == 0x3e;
	if (reg < 0 || reg > 15 || reg == 4)
		return 0;
	j += notrack;
	if ((reg >= 8 && *j++ != 0x41) || j[0] != 0xff ||
	    j[1] != (0xe0 | (reg & 7)))
		return 0;
	if (notrack)
		insn[n++] = 0x3e;
	if (reg >= 8)
		insn[n++] = 0x41;
	insn[n++] = 0xff;
	insn[n++] = (uint8_t)((tail ? 0xe0 : 0xd0) | (reg & 7));
	size_t pad = SC_PSITE_LEN - n;
	if (pad < 1 || pad > 3)
		return 0;
	memcpy(out, nop[pad], pad);
	memcpy(out + pad, insn, n);
	return 1;
}

/* x86-64 sites are the plugins' thunks only (no SC_PROMOTE_SLS) */
int sc_parch_sls_thunk_reg(const uint8_t *t)
{
	(void)t;
	return -1;
}
size_t sc_parch_sls_entry_size(void)
{
	return 0;
}
int sc_parch_sls_entry_encode(const uint8_t *at, int reg, const void *sample_fn,
			      uint8_t *out)
{
	(void)at, (void)reg, (void)sample_fn, (void)out;
	return 0;
}

/* ---- inline sites (SC_PROMOTE_INLINE; staticcall_abi.h's layout) ---- */

/* Where the site's fields are: A, the `leaq`'s rel32, and B, the
 * `call`'s; each counts from the end of its instruction. */
static const uint8_t *inline_field(const uint8_t *start, int field,
				   const uint8_t **end)
{
	const uint8_t *insn =
		start + (field ? SC_X86_INLINE_CALL : SC_X86_INLINE_SEQ);
	*end = insn + (field ? 5 : 8);
	return insn + (field ? 1 : 4);
}

void sc_parch_inline_slow_span(const uint8_t *slow, const uint8_t **lo,
				const uint8_t **hi)
{
	*lo = slow - 8; /* filler, signature */
	*hi = slow + 10; /* call thunk; jmp back */
}

const uint8_t *sc_parch_inline_start(const uint8_t *slow)
{
	static const uint8_t sig[8] = { 0xcc, 0x0f, 0xb9, 0x3d,
					0x53, 0x30, 0x05, 0x53 };
	_Static_assert(SC_X86_RSEQ_SIG == 0x53053053u, "sig's bytes");
	if (((uintptr_t)slow & 7) || memcmp(slow - 8, sig, 8) ||
	    slow[0] != 0xe8 || slow[5] != 0xe9)
		return NULL;
	/* the jump back to the end of the site */
	const uint8_t *s = slow + 10 + rd32(slow + 6) - SC_X86_INLINE_LEN;
	return (uintptr_t)s & 7 ? NULL : s;
}

/* The descriptor store's first five bytes: what its `jmp` gives way to. */
static const uint8_t store_head[5] = { 0x64, 0x48, 0xc7, 0x04, 0x25 };

const uint8_t *sc_parch_inline_find(const uint8_t *s, const uint8_t *slow,
				    int reg)
{
	static const uint8_t zero[8], lea[4] = { 0x3e, 0x4c, 0x8d, 0x1d };
	if (reg == 11 || reg == 4 || reg < 0 || reg > 15)
		return NULL;
	const uint8_t cmp[4] = { 0x3e, (uint8_t)(0x4c | (reg >= 8)), 0x39,
				 (uint8_t)(0xd8 | (reg & 7)) };
	/* as compiled: the `jmp`, the store's operands zero */
	if (s[0] != 0xe9 || s + 5 + rd32(s + 1) != slow ||
	    memcmp(s + 5, zero, 8) || memcmp(s + 13, lea, 4) ||
	    memcmp(s + 21, cmp, 4) || s[25] != 0x0f || s[26] != 0x85 ||
	    s + 31 + rd32(s + 27) != slow || s[31] != 0xe8)
		return NULL;
	return s;
}

size_t sc_parch_inline_arm_encode(const uint8_t *start, intptr_t rseq_cs,
				  const void *desc, uint8_t out[16])
{
	(void)start;
	if (rseq_cs != (int32_t)rseq_cs ||
	    (uintptr_t)desc > (uintptr_t)INT32_MAX)
		return 0;
	memcpy(out, store_head, 5);
	wr32(out + 5, (int32_t)rseq_cs);
	wr32(out + 9, (int32_t)(uintptr_t)desc);
	return SC_X86_INLINE_STORE;
}

const void *sc_parch_inline_dest(const uint8_t *start, int field)
{
	const uint8_t *end, *f = inline_field(start, field, &end);
	/* its instruction still there (not a debugger's int3) */
	if (field ? f[-1] != 0xe8 : memcmp(f - 4, "\x3e\x4c\x8d\x1d", 4))
		return NULL;
	return end + rd32(f);
}

const void *sc_parch_inline_closed(const uint8_t *start)
{
	return start + SC_X86_INLINE_SEQ + 8; /* the `cmp` */
}

size_t sc_parch_inline_encode(const uint8_t *start, int field,
			      const void *to, uint8_t out[4])
{
	const uint8_t *end, *f = inline_field(start, field, &end);
	int32_t d;
	if (!rel32(end, to, &d))
		return 0;
	wr32(out, d);
	return (size_t)(f - start);
}

/* jmp slow (e9 rel32) over the store's first 5 of 13 bytes, inside the
 * first word: as compiled. */
size_t sc_parch_inline_bypass_encode(const uint8_t *start, const uint8_t *slow,
				     uint8_t out[8])
{
	int32_t d;
	if (!rel32(start + 5, slow, &d))
		return 0;
	out[0] = 0xe9;
	wr32(out + 1, d);
	return 5;
}

void sc_parch_inline_span(const uint8_t *start, const uint8_t **seq,
			  const uint8_t **end)
{
	*seq = start + SC_X86_INLINE_SEQ;
	*end = start + SC_X86_INLINE_LEN;
}

extern sc_rseq_probe_fn sc_rseq_probe;
extern const uint8_t sc_rseq_probe_start[], sc_rseq_probe_end[];
extern const uint8_t sc_rseq_probe_sig[];

sc_rseq_probe_fn *sc_parch_rseq_probe(const uint8_t **start,
				      const uint8_t **end,
				      const uint8_t **sig)
{
	*start = sc_rseq_probe_start;
	*end = sc_rseq_probe_end;
	*sig = sc_rseq_probe_sig;
	return sc_rseq_probe;
}
