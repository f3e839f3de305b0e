/*
 * inline_cost.c - what an inline form costs (benchmarks/inline_cost.sh):
 * one loop calling through a key, against the same loop calling an opaque
 * function directly (inline_cost_target.c, another unit: GCC cannot see
 * which registers it keeps, as it cannot for any run-time target).
 *
 *   key -> fn          the site a direct call of the function returning 42
 *   key -> const 42    static_call_update_const: the site is
 *                      `mov $42,%eax`, no call
 *   key -> const 2^40  a constant with no 5-byte form: a call of the
 *                      generated function
 *   key -> arg 0       static_call_update_ret_arg(key, 0): the site is
 *                      `mov %rdi,%rax`, against a direct call of identity
 *   indirect           the plain pointer call (what the plugin replaces)
 *
 *   inline_cost [CALLS [ROUNDS]]: ns per call, median of ROUNDS; CSV.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_time.h"
#include "staticcall.h"

long ret42(long x);    /* inline_cost_target.c */
long identity(long x); /* inline_cost_target.c */

long (*STATIC_CALL hook)(long) = ret42;
long (*volatile plain)(long) = ret42;
static volatile long sink;

__attribute__((noinline)) static long loop_key(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += hook(i);
	return s;
}
__attribute__((noinline)) static long loop_direct(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += ret42(i);
	return s;
}
__attribute__((noinline)) static long loop_identity(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += identity(i);
	return s;
}
__attribute__((noinline)) static long loop_indirect(long n)
{
	long s = 0;
	long (*f)(long) = plain;
	for (long i = 0; i < n; i++)
		s += f(i);
	return s;
}

static double per_call(long (*loop)(long), long n, int rounds)
{
	double t[64];
	loop(n / 10); /* warm, and binds the key's site (lazy binding) */
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		sink = loop(n);
		t[r] = (now_ns() - t0) / (double)n;
	}
	return median(t, rounds);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 50000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 11;
	if (rounds < 1 || rounds > 64)
		rounds = 11;
	static_call_bind(hook);
	double direct = per_call(loop_direct, n, rounds);
	double ident = per_call(loop_identity, n, rounds);
	double key_fn = per_call(loop_key, n, rounds);
	if (static_call_update_const(hook, 42))
		return 1;
	double key_const = per_call(loop_key, n, rounds);
	if (static_call_update_const(hook, 1L << 40))
		return 1;
	double key_big = per_call(loop_key, n, rounds);
	if (static_call_update_ret_arg(hook, 0))
		return 1;
	double key_arg = per_call(loop_key, n, rounds);
	double indirect = per_call(loop_indirect, n, rounds);
	printf("variant,ns_per_call,ratio_to_direct\n");
	printf("direct call of ret42 (opaque),%.3f,1.00\n", direct);
	printf("key -> ret42 (direct call),%.3f,%.2f\n", key_fn, key_fn / direct);
	printf("key -> const 42 (inline mov),%.3f,%.2f\n", key_const,
	       key_const / direct);
	printf("key -> const 2^40 (generated function),%.3f,%.2f\n", key_big,
	       key_big / direct);
	printf("direct call of identity (opaque),%.3f,1.00\n", ident);
	printf("key -> arg 0 (inline mov),%.3f,%.2f\n", key_arg, key_arg / ident);
	printf("indirect call of ret42,%.3f,%.2f\n", indirect,
	       indirect / direct);
	return 0;
}
