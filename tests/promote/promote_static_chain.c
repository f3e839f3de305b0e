/*
 * promote_static_chain.c - calls through a pointer that pass a static
 * chain (__builtin_call_with_static_chain: %r10 on x86-64), a call and a
 * tail call (tests/promote/run.sh: GCC in each promote mode, Clang): the callee
 * must see the chain on every call. The thunk's sampling reaches the
 * runtime through a lazily bound PLT entry whose resolver clobbers
 * %r10; a review found the first sampled call handed the resolver's
 * value. Such functions keep their own retpoline. Exit status 0 and
 * "chain: ok", else the first wrong calls.
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

int main(void)
{
	long wrong = 0;
	for (long i = 0; i < 300000; i++) {
		long c = call_chain(chain_target, i, (void *)0x1000),
		     t = tail_chain(chain_target, i, (void *)0x2000);
		if ((c != i + 0x1001 || t != i + 0x2000) && wrong++ < 3)
			printf("call %ld: chains seen %#lx, %#lx\n", i,
			       c - i - 1, t - i);
	}
	if (wrong)
		return printf("chain: %ld wrong\n", wrong), 1;
	printf("chain: ok\n");
	return 0;
}
