/*
 * promote_backtrace.c - run under gdb by run.sh: a breakpoint in the
 * runtime's sampler (sc_promote_sample_entry), reached from the thunk's
 * sample block of the site in caller_of_site; the backtrace must walk
 * out through __staticcall_promote_sample and the thunk to
 * caller_of_site and main (the unwind rows of both). Without them gdb
 * read a pushed register as the thunk's return address.
 */
#include <stdio.h>

__attribute__((noinline)) int one(int x)
{
	return x + 1;
}

int (*volatile fp)(int) = one;

__attribute__((noinline)) int caller_of_site(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += fp(i);
	return s;
}

int main(void)
{
	printf("%d\n", caller_of_site(100000));
	return 0;
}
