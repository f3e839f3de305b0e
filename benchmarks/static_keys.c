/*
 * static_keys.c - what a static key costs (benchmarks/static_keys.sh).
 *
 * 1. Per check: static_branch_unlikely(&k) disabled (a NOP) and enabled (a
 *    jump), against `if (__builtin_expect(flag, 0))` on a load of an int,
 *    with the flag's (and the key's) cache line hot, and evicted (clflush)
 *    before every check; also the key's load and test as compiled (no
 *    runtime: STATICCALL_DISABLE=1 gives the same).
 * 2. Per toggle: static_branch_enable + _disable of a key with 1, 100 and
 *    10,000 sites (one batch each), median of repeated rounds.
 *
 *   static_keys [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <staticcall/kernel.h>

#include "bench_time.h"

/* Each on its own cache line: evicting the flag or the key evicts
 * nothing the taken branches touch (sink). */
#define LINE 64
__attribute__((aligned(LINE))) DEFINE_STATIC_KEY_FALSE(check_key);
__attribute__((aligned(LINE))) int check_flag; /* the load keys replace */
__attribute__((aligned(LINE))) static volatile unsigned long sink;

/* One check per call, its result consumed, the call itself not inlined:
 * each variant pays the same call and loop. */
__attribute__((noinline)) static void by_key(void)
{
	if (static_branch_unlikely(&check_key))
		sink++;
}
__attribute__((noinline)) static void by_flag(void)
{
	if (__builtin_expect(check_flag, 0))
		sink++;
}
__attribute__((noinline)) static void nothing(void)
{
	__asm__ volatile("");
}

static double per_call(void (*f)(void), long n, int evict)
{
	double t[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++) {
			if (evict) {
				_mm_clflush(&check_flag);
				_mm_clflush(&check_key);
				_mm_mfence();
			}
			f();
		}
		t[r] = (now_ns() - t0) / n;
	}
	return median(t, 5);
}

/* Keys with 1, 100 and 10,000 sites. */
DEFINE_STATIC_KEY_FALSE(key1);
DEFINE_STATIC_KEY_FALSE(key100);
DEFINE_STATIC_KEY_FALSE(key10k);
#define S(k) if (static_branch_unlikely(&k)) sink++;
#define S10(k) S(k) S(k) S(k) S(k) S(k) S(k) S(k) S(k) S(k) S(k)
#define S100(k) S10(k) S10(k) S10(k) S10(k) S10(k) S10(k) S10(k) S10(k) S10(k) S10(k)
#define S1000(k) S100(k) S100(k) S100(k) S100(k) S100(k) S100(k) S100(k) S100(k) S100(k) S100(k)
__attribute__((noinline)) void sites1(void) { S(key1) }
__attribute__((noinline)) void sites100(void) { S100(key100) }
__attribute__((noinline)) void sites10k(void)
{
	S1000(key10k) S1000(key10k) S1000(key10k) S1000(key10k) S1000(key10k)
	S1000(key10k) S1000(key10k) S1000(key10k) S1000(key10k) S1000(key10k)
}

static void toggle_cost(struct static_key_false *k, const char *name)
{
	double t[21];
	struct static_key_site_info info;
	int n = static_key_sites(k, &info, 1);
	for (int r = 0; r < 21; r++) {
		double t0 = now_ns();
		if (static_branch_enable(k) || static_branch_disable(k)) {
			printf("toggle %s: failed\n", name);
			return;
		}
		t[r] = (now_ns() - t0) / 2;
	}
	printf("toggle,%s,%d,%.0f\n", name, n, median(t, 21));
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	printf("what,variant,sites,ns\n");
	for (int evict = 0; evict < 2; evict++) {
		long m = evict ? n / 20 : n;
		const char *line = evict ? "evicted" : "hot";
		double base = per_call(nothing, m, evict);
		printf("check,empty call (%s),,%.2f\n", line, base);
		printf("check,flag load and test (%s),,%.2f\n", line,
		       per_call(by_flag, m, evict) - base);
		check_flag = 1;
		printf("check,flag set (%s),,%.2f\n", line,
		       per_call(by_flag, m, evict) - base);
		check_flag = 0;
		printf("check,static key disabled (%s),,%.2f\n", line,
		       per_call(by_key, m, evict) - base);
		static_branch_enable(&check_key);
		printf("check,static key enabled (%s),,%.2f\n", line,
		       per_call(by_key, m, evict) - base);
		static_branch_disable(&check_key);
	}
	sites1();
	sites100();
	sites10k();
	toggle_cost(&key1, "1 site");
	toggle_cost(&key100, "100 sites");
	toggle_cost(&key10k, "10000 sites");
	return 0;
}
