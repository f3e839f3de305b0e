/*
 * promote_cost.c - promotion of indirect calls (issue 16), measured
 * (promote_cost.sh): a monomorphic site after warm-up against a direct
 * call to an opaque function and against the retpoline call; a site
 * alternating two targets and a megamorphic one (64 targets, uniform)
 * against the retpoline; and how long a site whose one target changes
 * takes to be promoted again. Medians of ROUNDS runs, ns per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <staticcall/promote.h>

#include "bench_time.h"

extern long (*volatile pt_mono)(long);
extern long (*pt_all[64])(long);
#define DECL(v) long v##_mono(long), v##_two(long), v##_mega(long);
DECL(direct) DECL(retpoline) DECL(promoted)

static long sink;

static double per_call(long (*loop)(long), long calls, int rounds)
{
	double t[64];
	if (rounds > 64)
		rounds = 64;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		sink += loop(calls);
		t[r] = (now_ns() - t0) / calls;
	}
	return median(t, rounds);
}

static unsigned long promotions(void)
{
	struct static_call_promote_stats st;
	return static_call_promote_stats(&st) ? 0 : st.promotions;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 2000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	pt_mono = pt_all[0];
	/* warm-up: the promoted loops learn their sites */
	for (int i = 0; i < 20; i++)
		sink += promoted_mono(100000) + promoted_two(100000) +
			promoted_mega(100000);
	double d = per_call(direct_mono, calls, rounds);
	double rm = per_call(retpoline_mono, calls, rounds);
	double r2 = per_call(retpoline_two, calls, rounds);
	double r64 = per_call(retpoline_mega, calls, rounds);
	double pm = per_call(promoted_mono, calls, rounds);
	double p2 = per_call(promoted_two, calls, rounds);
	double p64 = per_call(promoted_mega, calls, rounds);
	printf("ns/call (median of %d x %ld calls)\n", rounds, calls);
	printf("  direct call, opaque function    %6.2f\n", d);
	printf("  retpoline, 1 target             %6.2f\n", rm);
	printf("  retpoline, 2 targets            %6.2f\n", r2);
	printf("  retpoline, 64 targets           %6.2f\n", r64);
	printf("  promoted, 1 target              %6.2f\n", pm);
	printf("  promoted, 2 targets             %6.2f\n", p2);
	printf("  promoted, 64 targets            %6.2f\n", p64);
	printf("ratios (issue 16's bounds)\n");
	printf("  promoted 1 / direct             %6.2f  (<= 1.15)\n", pm / d);
	printf("  promoted 1 / retpoline 1        %6.2f  (<= 0.25)\n", pm / rm);
	printf("  promoted 2 / retpoline 2        %6.2f  (<= 0.35)\n", p2 / r2);
	printf("  promoted 64 / retpoline 64      %6.2f  (<= 1.05)\n",
	       p64 / r64);
	/* phase change: the one target changes; time until promoted again */
	unsigned long before = promotions();
	pt_mono = pt_all[1];
	double t0 = now_ns(), t = 0;
	while (promotions() == before && (t = now_ns() - t0) < 1e9)
		sink += promoted_mono(1000);
	printf("phase change: promoted again after %.3f ms%s\n", t / 1e6,
	       promotions() == before ? " (not within 1 s)" : "");
	return (int)(sink & 0);
}
