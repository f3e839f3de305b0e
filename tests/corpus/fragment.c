/* One-instruction fragments (STATIC_CALL_FRAGMENT) for CPU dispatch: the
 * program picks popcnt, tzcnt, lzcnt, andn, pdep and rdpid from CPUID at
 * start-up, as code picks IFUNC or target_clones variants. With the
 * plugin, each call site of a key pointing to a fragment holds the
 * instruction itself (x86-64), tail sites jump to the function; the output
 * is the same as the plugin-free build's, which runs the C bodies. A CPU
 * without an instruction skips its case, saying why (the same in both
 * builds). */
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "livecode.h"
#include "staticcall.h"

/* The portable versions. */
static unsigned long pop_soft(unsigned long x)
{
	unsigned long n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}
static unsigned long ctz_soft(unsigned long x)
{
	unsigned long n = 0;
	if (!x)
		return 64;
	for (; !(x & 1); x >>= 1)
		n++;
	return n;
}
static unsigned long clz_soft(unsigned long x)
{
	unsigned long n = 0;
	if (!x)
		return 64;
	for (; !(x >> 63); x <<= 1)
		n++;
	return n;
}
static unsigned long andn_soft(unsigned long a, unsigned long b)
{
	return ~a & b;
}
static unsigned long pdep_soft(unsigned long src, unsigned long mask)
{
	unsigned long r = 0;
	for (unsigned long bit = 1; mask; bit <<= 1) {
		unsigned long low = mask & -mask;
		if (src & bit)
			r |= low;
		mask &= mask - 1;
	}
	return r;
}

#if defined(__x86_64__)
/* The fragments: one instruction each with the plugin; without it, the
 * same meaning in C (the portable versions). */
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
unsigned long pop_hw(unsigned long x) { return pop_soft(x); }
STATIC_CALL_FRAGMENT("tzcnt %rdi, %rax")
unsigned long ctz_hw(unsigned long x) { return ctz_soft(x); }
STATIC_CALL_FRAGMENT("lzcnt %rdi, %rax")
unsigned long clz_hw(unsigned long x) { return clz_soft(x); }
/* AT&T: andn src2, src1, dest = ~src1 & src2 */
STATIC_CALL_FRAGMENT("andn %rsi, %rdi, %rax")
unsigned long andn_hw(unsigned long a, unsigned long b) { return andn_soft(a, b); }
STATIC_CALL_FRAGMENT("pdep %rsi, %rdi, %rax")
unsigned long pdep_hw(unsigned long s, unsigned long m) { return pdep_soft(s, m); }
STATIC_CALL_FRAGMENT("rdpid %rax")
unsigned long rdpid_hw(void) { return 0; }
#endif

unsigned long (*STATIC_CALL popcount)(unsigned long) = pop_soft;
unsigned long (*STATIC_CALL ctz)(unsigned long) = ctz_soft;
unsigned long (*STATIC_CALL clz)(unsigned long) = clz_soft;
unsigned long (*STATIC_CALL andn)(unsigned long, unsigned long) = andn_soft;
unsigned long (*STATIC_CALL pdep)(unsigned long, unsigned long) = pdep_soft;

/* Call sites (values kept live across the call) and tail sites. */
__attribute__((noinline)) unsigned long call_pop(unsigned long x)
{
	return popcount(x) * 3 + x;
}
__attribute__((noinline)) unsigned long tail_pop(unsigned long x)
{
	return popcount(x);
}
__attribute__((noinline)) unsigned long call_ctz(unsigned long x)
{
	return ctz(x) + clz(x) * 100;
}
__attribute__((noinline)) unsigned long call_bits(unsigned long a,
						  unsigned long b)
{
	return andn(a, b) ^ pdep(a, b);
}

static const unsigned long inputs[] = {
	0, 1, 2, 3, 0x80, 0xff00ff00ff00ff00ul, 0x8000000000000000ul,
	0x123456789abcdef0ul, ~0ul,
};
#define N (sizeof inputs / sizeof inputs[0])

static unsigned long checksum(void)
{
	unsigned long s = 0;
	for (unsigned i = 0; i < N; i++) {
		unsigned long x = inputs[i];
		s = s * 31 + call_pop(x);
		s = s * 31 + tail_pop(x);
		s = s * 31 + call_ctz(x);
		s = s * 31 + call_bits(x, inputs[(i + 3) % N]);
	}
	return s;
}

/* With the plugin on x86-64: how many call sites of the key hold a
 * fragment (a Clang site that straddles an aligned word stays a call
 * while threads may run: docs/PATCHING.md). */
static int fragment_sites(const void *key)
{
#if defined(__STATICCALL_PLUGIN__) && defined(__x86_64__)
	struct static_call_site_info info[16];
	int n = __staticcall_list_sites(key, info, 16), in = 0;
	for (int i = 0; i < n && i < 16; i++)
		in += info[i].form == STATIC_CALL_SITE_FRAGMENT;
	return in;
#else
	(void)key;
	return 1;
#endif
}

int main(void)
{
	SC_LIVE_KEY(popcount);
	SC_LIVE_KEY(ctz);
	SC_LIVE_KEY(clz);
	SC_LIVE_KEY(andn);
	SC_LIVE_KEY(pdep);
	printf("portable: %lx\n", checksum());
#if defined(__x86_64__)
	unsigned a, b, c, d;
	int has_popcnt = 0, has_bmi1 = 0, has_bmi2 = 0, has_lzcnt = 0,
	    has_rdpid = 0;
	if (__get_cpuid(1, &a, &b, &c, &d))
		has_popcnt = !!(c & bit_POPCNT);
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		has_bmi1 = !!(b & bit_BMI);
		has_bmi2 = !!(b & bit_BMI2);
		has_rdpid = !!(c & (1u << 22));
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		has_lzcnt = !!(c & bit_LZCNT);
	/* start-up dispatch: each key to the best its CPU has */
	if (has_popcnt && static_call_update(popcount, pop_hw))
		return 1;
	if (has_bmi1 && (static_call_update(ctz, ctz_hw) ||
			 static_call_update(andn, andn_hw)))
		return 1;
	if (has_lzcnt && static_call_update(clz, clz_hw))
		return 1;
	if (has_bmi2 && static_call_update(pdep, pdep_hw))
		return 1;
	printf("popcnt %s, bmi1 %s, lzcnt %s, bmi2 %s\n",
	       has_popcnt ? "used" : "skipped (CPU lacks POPCNT)",
	       has_bmi1 ? "used" : "skipped (CPU lacks BMI1)",
	       has_lzcnt ? "used" : "skipped (CPU lacks LZCNT)",
	       has_bmi2 ? "used" : "skipped (CPU lacks BMI2)");
	if (has_popcnt &&
	    !(fragment_sites(&popcount) + fragment_sites(&ctz) +
	      fragment_sites(&clz) + fragment_sites(&andn) +
	      fragment_sites(&pdep))) {
		printf("no call site holds a fragment\n");
		return 1;
	}
	SC_CHECK();
	printf("dispatched: %lx\n", checksum());
	if (static_call_verify())
		return 1;
	/* away and back: call form, fragment again */
	if (static_call_update(popcount, pop_soft))
		return 1;
	printf("portable again: %lx\n", checksum());
	if (has_popcnt && static_call_update(popcount, pop_hw))
		return 1;
	printf("dispatched again: %lx\n", checksum());
	if (has_rdpid) {
		/* the processor number: only its range is stable */
		unsigned long (*volatile f)(void) = rdpid_hw;
		printf("rdpid: %s\n", f() < 4096 ? "ok" : "bad");
	} else {
		printf("rdpid: skipped (CPU lacks RDPID)\n");
	}
	SC_CHECK();
	if (static_call_verify())
		return 1;
#endif
	return sc_live_exit();
}
