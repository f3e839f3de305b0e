/*
 * fragment_dispatch.c - a CPU-dispatch hook, popcount in a loop
 * (benchmarks/fragment_dispatch.sh), per call, in one program:
 *
 *   fragment   a static call whose key points to a one-instruction fragment
 *              (STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")): the site holds
 *              the popcnt itself
 *   static     a static call to an ordinary function compiled to the same
 *              popcnt; ret (a direct call)
 *   ifunc      a target_clones("popcnt", "default") function (IFUNC,
 *              through the PLT)
 *   pointer    a plain function pointer to the popcnt function
 *   builtin    __builtin_popcountl inlined with target("popcnt") (the
 *              floor: no call at all)
 *
 * Each variant runs the same loop (one call per iteration, its result
 * summed), rounds rotating the order; medians of ns per call. Built with
 * the GCC plugin, plain and with retpolines (the pointer variant then
 * pays one; the PLT's jump does not). Exits 2 (skip) without POPCNT.
 *
 *   fragment_dispatch [calls [rounds]]
 */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staticcall.h"

#include "bench_time.h"

static unsigned long pop_soft(unsigned long x)
{
	return __builtin_popcountl(x);
}

STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
unsigned long pop_fragment(unsigned long x)
{
	return pop_soft(x);
}

/* The same instruction as an ordinary function: popcnt; ret. */
__attribute__((noinline, noipa, target("popcnt"))) unsigned long
pop_function(unsigned long x)
{
	return __builtin_popcountl(x);
}

__attribute__((target_clones("popcnt", "default"))) unsigned long
pop_ifunc(unsigned long x)
{
	return __builtin_popcountl(x);
}

unsigned long (*STATIC_CALL frag_key)(unsigned long) = pop_soft;
unsigned long (*STATIC_CALL call_key)(unsigned long) = pop_soft;
unsigned long (*volatile plain_ptr)(unsigned long) = pop_soft;

#define LOOP(name, call)                                              \
	__attribute__((noinline)) static unsigned long name(long n)   \
	{                                                             \
		unsigned long s = 0;                                  \
		for (long i = 0; i < n; i++)                          \
			s += call((unsigned long)i * 0x9e3779b97f4a7c15ul); \
		return s;                                             \
	}

LOOP(by_fragment, frag_key)
LOOP(by_static, call_key)
LOOP(by_ifunc, pop_ifunc)
__attribute__((noinline)) static unsigned long by_pointer(long n)
{
	unsigned long s = 0;
	unsigned long (*f)(unsigned long) = plain_ptr; /* loaded once */
	for (long i = 0; i < n; i++) {
		__asm__ volatile("" : "+r"(f)); /* an indirect call each time */
		s += f((unsigned long)i * 0x9e3779b97f4a7c15ul);
	}
	return s;
}
__attribute__((noinline, target("popcnt"))) static unsigned long
by_builtin(long n)
{
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s += __builtin_popcountl((unsigned long)i *
					 0x9e3779b97f4a7c15ul);
	return s;
}

struct variant {
	const char *name;
	unsigned long (*run)(long);
};
static const struct variant variants[] = {
	{ "fragment", by_fragment }, { "static", by_static },
	{ "ifunc", by_ifunc },	     { "pointer", by_pointer },
	{ "builtin", by_builtin },
};
#define NV (sizeof variants / sizeof variants[0])
#define MAX_ROUNDS 101

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 20000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 11;
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_POPCNT)) {
		printf("skipped: CPU lacks POPCNT\n");
		return 2;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 11;
	if (static_call_update(frag_key, pop_fragment) ||
	    static_call_update(call_key, pop_function))
		return 1;
	plain_ptr = pop_function;
	static_call_bind_all(); /* sites bind at their first call otherwise */
	struct static_call_site_info info[4];
	int n = static_call_sites(frag_key, info, 4), frag = 0;
	for (int i = 0; i < n && i < 4; i++)
		frag += info[i].form == STATIC_CALL_SITE_FRAGMENT;
	printf("# fragment key: %d of %d sites hold popcnt\n", frag, n);

	static double t[NV][MAX_ROUNDS];
	unsigned long want = by_builtin(calls), got;
	for (int r = 0; r < rounds; r++)
		for (unsigned k = 0; k < NV; k++) {
			const struct variant *v = &variants[(k + r) % NV];
			double t0 = now_ns();
			got = v->run(calls);
			t[(k + r) % NV][r] = (now_ns() - t0) / calls;
			if (got != want) {
				printf("%s: wrong sum\n", v->name);
				return 1;
			}
		}
	double m[NV];
	for (unsigned k = 0; k < NV; k++)
		m[k] = median(t[k], rounds);
	printf("variant,ns_per_call,vs_fragment\n");
	for (unsigned k = 0; k < NV; k++)
		printf("%s,%.3f,%.2f\n", variants[k].name, m[k], m[k] / m[0]);
	return 0;
}
