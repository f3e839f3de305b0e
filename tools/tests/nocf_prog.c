/*
 * A program for the inspector's promotion test (test_inspect_promote.py),
 * built promote-plain with -fcf-protection=full: a call and a tail call
 * through `nocf_check` function pointers, which GCC makes calls of the
 * thunk's `_nt_` twin and the runtime puts in place as `notrack call
 * *%reg` / `notrack jmp *%reg`. It calls them until each has had its
 * window, prints "ready" and waits for its standard input to close.
 */
#include <stdio.h>
#include <unistd.h>

typedef long (*nfn)(long) __attribute__((nocf_check));

__attribute__((nocf_check, noinline)) static long n0(long x)
{
	return x + 1;
}

__attribute__((nocf_check, noinline)) static long n1(long x)
{
	return x + 2;
}

static nfn volatile tab[2] = { n0, n1 };

__attribute__((noipa)) long nocf_call(nfn f, long x)
{
	return f(x) + 10;
}

__attribute__((noipa)) long nocf_tail(nfn f, long x)
{
	return f(x);
}

int main(void)
{
	long wrong = 0;
	for (long i = 0; i < 400000; i++) {
		wrong += nocf_call(tab[i & 1], i) != i + 11 + (i & 1);
		wrong += nocf_tail(tab[i & 1], i) != i + 1 + (i & 1);
	}
	printf("ready %ld\n", wrong);
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return wrong != 0;
}
