/*
 * promote_static_chain.c - calls through a pointer whose callee reads
 * %r10 (tests/promote/run.sh: GCC in each promote mode, Clang): a call
 * and a tail call passing a static chain (__builtin_call_with_static_chain),
 * and (Clang 19) a preserve_most callee, whose caller keeps values in %r10
 * across the call. The thunk's sampling reaches the runtime through a
 * lazily bound PLT entry whose resolver may clobber %r10 and %r11; two
 * reviews found the first sampled call handed the resolver's value (now
 * the sample block keeps both). Exit status 0 and "chain: ok", else the
 * first wrong calls.
 */
#include <stdio.h>

#ifdef __clang__
#define NOIPA noinline
#else
#define NOIPA noipa
#endif

typedef long (*fn_t)(long);

__attribute__((NOIPA)) long chain_target(long x)
{
	long c;
	__asm__ volatile("mov %%r10, %0" : "=r"(c)); /* the chain */
	return x + c;
}

__attribute__((NOIPA)) long call_chain(fn_t f, long x, void *chain)
{
	return __builtin_call_with_static_chain(f(x), (long *)chain) + 1;
}

__attribute__((NOIPA)) long tail_chain(fn_t f, long x, void *chain)
{
	return __builtin_call_with_static_chain(f(x), (long *)chain);
}

#if defined(__clang__) && __clang_major__ >= 19
/* preserve_most: the caller keeps its values in any register but %r11
 * across the call, %r10 included (Clang 14-16 get this very program
 * wrong without the plugin: left to 19) */
typedef long(__attribute__((preserve_most)) * pm_t)(long);
__attribute__((noinline, preserve_most)) long pm_target(long x)
{
	return 3 * x;
}
pm_t volatile pm_ptr = pm_target;
volatile long live[14];
__attribute__((noinline)) long pm_call(pm_t f, long x)
{
	long a0 = live[0], a1 = live[1], a2 = live[2], a3 = live[3],
	     a4 = live[4], a5 = live[5], a6 = live[6], a7 = live[7],
	     a8 = live[8], a9 = live[9], a10 = live[10], a11 = live[11],
	     a12 = live[12], a13 = live[13];
	long r = f(x);
	return r + a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 +
	       8 * a7 + 9 * a8 + 10 * a9 + 11 * a10 + 12 * a11 + 13 * a12 +
	       14 * a13;
}
static long pm_wrong(long i)
{
	long want = 3 * i;
	for (int k = 0; k < 14; k++)
		want += (k + 1) * live[k];
	return pm_call(pm_ptr, i) != want;
}
#else
static long pm_wrong(long i)
{
	(void)i;
	return 0;
}
#endif

int main(void)
{
	long wrong = 0;
#if defined(__clang__) && __clang_major__ >= 19
	for (int k = 0; k < 14; k++)
		live[k] = 1000 + 7919 * k;
#endif
	for (long i = 0; i < 300000; i++) {
		long c = call_chain(chain_target, i, (void *)0x1000),
		     t = tail_chain(chain_target, i, (void *)0x2000);
		if ((c != i + 0x1001 || t != i + 0x2000) && wrong++ < 3)
			printf("call %ld: chains seen %#lx, %#lx\n", i,
			       c - i - 1, t - i);
		if (pm_wrong(i) && wrong++ < 3)
			printf("call %ld: preserve_most caller's value lost\n",
			       i);
	}
	if (wrong)
		return printf("chain: %ld wrong\n", wrong), 1;
	printf("chain: ok\n");
	return 0;
}
