/*
 * promote_cost.c - promotion of indirect calls (issue 16), measured
 * (promote_cost.sh): a monomorphic site after warm-up against a direct
 * call to an opaque function and against the retpoline call; a site
 * alternating two targets and a megamorphic one (64 targets, uniform)
 * against the retpoline; and how long a site whose one target changes
 * takes to be promoted again; a site whose one target changes among four
 * every 65,536 calls, stub and inline. The plain build too: the same loops (and a
 * phase-changing site, two megamorphic sites in one loop) as
 * plain `call *%reg` against promote-plain mode (its thunks' slow path a
 * plain `jmp *%reg`). Medians of ROUNDS runs (the variants' order
 * rotating each round), ns per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <staticcall/promote.h>

#include "bench_time.h"

extern long (*volatile pt_mono)(long);
extern long (*pt_all[64])(long);
/* clang-format off */
#define DECL(v) long v##_mono(long), v##_two(long), v##_mega(long), \
	v##_phase(long), v##_mega2(long);
DECL(direct) DECL(retpoline) DECL(promoted) DECL(indirect) DECL(plainpromoted)
DECL(inlined)
/* defined by a form its compiler cannot build (promote_loop.c MISSING) */
extern const int inlined_missing __attribute__((weak)),
	plainpromoted_missing __attribute__((weak));

static long sink;
/* clang-format on */

#define NV 22
static long (*const loops[NV])(long) = {
	direct_mono,	    retpoline_mono,	 retpoline_two,
	retpoline_mega,	    promoted_mono,	 promoted_two,
	promoted_mega,	    indirect_mono,	 indirect_two,
	indirect_mega,	    plainpromoted_mono,	 plainpromoted_two,
	plainpromoted_mega, indirect_phase,	 plainpromoted_phase,
	indirect_mega2,	    plainpromoted_mega2, inlined_mono,
	inlined_two,	    inlined_mega,	 promoted_phase,
	inlined_phase,
};

/* ns per call of each loop, medians of `rounds`, the order rotating
 * each round. */
static void measure(long calls, int rounds, double med[NV])
{
	static double t[NV][64];
	if (rounds > 64)
		rounds = 64;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NV; k++) {
			int v = (k + r) % NV;
			double t0 = now_ns();
			sink += loops[v](calls);
			t[v][r] = (now_ns() - t0) / calls;
		}
	for (int v = 0; v < NV; v++)
		med[v] = median(t[v], rounds);
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
			promoted_mega(100000) + plainpromoted_mono(100000) +
			plainpromoted_two(100000) + plainpromoted_mega(100000) +
			plainpromoted_phase(100000) +
			plainpromoted_mega2(100000) + inlined_mono(100000) +
			inlined_two(100000) + inlined_mega(100000) +
			promoted_phase(100000) + inlined_phase(100000);
	double m[NV];
	measure(calls, rounds, m);
	double d = m[0], rm = m[1], r2 = m[2], r64 = m[3], pm = m[4], p2 = m[5],
	       p64 = m[6];
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
	double im = m[17], i2 = m[18], i64 = m[19];
	if (&inlined_missing)
		printf("promote-inline: not built by this compiler\n");
	else {
		printf("promote-inline (the compare at the site)\n");
		printf("  inline, 1 target                %6.2f\n", im);
		printf("  inline, 2 targets               %6.2f\n", i2);
		printf("  inline, 64 targets              %6.2f\n", i64);
		printf("  inline 1 / direct               %6.2f  (<= 1.15)\n",
		       im / d);
		printf("  inline 1 / retpoline 1          %6.2f  (<= 0.25)\n",
		       im / rm);
		printf("  inline 2 / retpoline 2          %6.2f  (<= 0.35)\n",
		       i2 / r2);
		printf("  inline 64 / retpoline 64        %6.2f  (<= 1.05)\n",
		       i64 / r64);
	}
	/* 4 targets in turn, 65,536 calls each: a stub widens to hold
	 * them all; an inline site learns again at each change */
	printf("four phases of 65,536 calls (retpoline build)\n");
	printf("  promoted (stub)                 %6.2f\n", m[20]);
	if (!&inlined_missing)
		printf("  inline                          %6.2f\n", m[21]);
	if (&plainpromoted_missing)
		printf("plain build: promote-plain not built by this "
		       "compiler\n");
	else
		printf("plain build: call *%%reg / promote-plain (direct "
		       "%.2f)\n",
		       d);
	static const char *const kind[5] = { "1 target", "2 targets",
					     "64 targets", "phase change",
					     "2 x 64" };
	for (int k = 0; k < 5 && !&plainpromoted_missing; k++) {
		double a = k < 3 ? m[7 + k] : m[13 + 2 * (k - 3)],
		       b = k < 3 ? m[10 + k] : m[14 + 2 * (k - 3)];
		printf("  %-12s %6.2f / %6.2f  ratio %5.2f  (<= 1.00: not "
		       "slower)\n",
		       kind[k], a, b, b / a);
	}
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
