/*
 * promote_layout.c - a monomorphic promoted site where its loop falls
 * against the 64-byte fetch line (promote_layout.sh): the loops of
 * promote_loop.c (direct call, stub form, inline form), each linked
 * after a pad that moves it by 16-byte steps, one program per step. A tight
 * loop costs a cycle or two more per pass when its body crosses a line
 * (measured here on AMD Zen: 2.0 ns against 2.4), so one placement says
 * little about a form: the script runs every step. Prints, for this
 * placement, each loop's start modulo 64 and its ns per call (medians
 * of ROUNDS, the variants' order rotating), then the ratios.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_time.h"

extern long (*volatile pt_mono)(long);
extern long (*pt_all[64])(long);
long direct_mono(long), promoted_mono(long), inlined_mono(long);
static long sink;

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 2000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	long (*const loop[3])(long) = { direct_mono, promoted_mono,
					inlined_mono };
	static double t[3][64];
	if (rounds > 64)
		rounds = 64;
	pt_mono = pt_all[0];
	for (int i = 0; i < 20; i++) /* the sites learn and open */
		sink += promoted_mono(100000) + inlined_mono(100000);
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 3; k++) {
			int v = (k + r) % 3;
			double t0 = now_ns();
			sink += loop[v](calls);
			t[v][r] = (now_ns() - t0) / calls;
		}
	double d = median(t[0], rounds), p = median(t[1], rounds),
	       i = median(t[2], rounds);
	printf("%2u %2u %2u  %6.2f %6.2f %6.2f  %5.2f %5.2f\n",
	       (unsigned)((uintptr_t)direct_mono & 63),
	       (unsigned)((uintptr_t)promoted_mono & 63),
	       (unsigned)((uintptr_t)inlined_mono & 63), d, p, i, p / d,
	       i / d);
	return (int)(sink & 0);
}
