/*
 * promote_dispatch.c - jump sites (computed gotos, jump tables) under
 * promotion, measured (promote_dispatch.sh): the interpreter loops of
 * promote_dispatch_loop.c built plain, with retpolines
 * (-mindirect-branch=thunk-inline) and in promote mode, running a
 * program whose handlers each have one successor and the switch four
 * targets ("steady": every site promotable) and one of 64 pseudo-random
 * operations over all 8 ("random": the handlers' sites and the switch
 * megamorphic, given up on: no worse than the retpoline). Medians of
 * ROUNDS runs (the variants' order rotating each round), ns per
 * dispatched operation, and the ratios side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <staticcall/promote.h>

#include "bench_time.h"

/* clang-format off */
#define DECL(v) unsigned long v##_goto(const unsigned char *, long), \
	v##_switch(const unsigned char *, long);
DECL(plain) DECL(retpoline) DECL(promoted)
/* clang-format on */

enum { INC, DBL, XOR, ROT, SUB, MUL, NEG, LOOP };
static unsigned long sink;

#define NV 3
static const char *const vname[NV] = { "plain", "retpoline", "promoted" };
static unsigned long (*const fgoto[NV])(const unsigned char *, long) = {
	plain_goto, retpoline_goto, promoted_goto
};
static unsigned long (*const fswitch[NV])(const unsigned char *, long) = {
	plain_switch, retpoline_switch, promoted_switch
};

/* ns per operation of each variant's f, medians of `rounds`. */
static void measure(unsigned long (*const *f)(const unsigned char *, long),
		    const unsigned char *code, int len, long ops, int rounds,
		    double med[NV])
{
	static double t[NV][64];
	long loops = ops / len;
	if (rounds > 64)
		rounds = 64;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NV; k++) {
			int v = (k + r) % NV;
			double t0 = now_ns();
			sink += f[v](code, loops);
			t[v][r] = (now_ns() - t0) / ((double)loops * len);
		}
	for (int v = 0; v < NV; v++)
		med[v] = median(t[v], rounds);
}

static void row(const char *name, const double m[NV])
{
	printf("%-16s %9.2f %9.2f %9.2f   %8.2fx %8.2fx %8.2fx\n", name, m[0],
	       m[1], m[2], m[1] / m[0], m[2] / m[0], m[2] / m[1]);
}

int main(int argc, char **argv)
{
	long ops = argc > 1 ? atol(argv[1]) : 4000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	static const unsigned char steady[] = { INC, DBL, XOR, ROT, LOOP };
	static const unsigned char steady4[] = { INC, DBL, XOR, LOOP };
	unsigned char rnd[65];
	unsigned x = 12345;
	for (int i = 0; i < 64; i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (unsigned char)(x >> 16) % 7; /* INC..NEG */
	}
	rnd[64] = LOOP;
	/* warm-up: learning, promotion, giving up */
	for (int v = 0; v < NV; v++) {
		sink += fgoto[v](steady, ops / 5) + fswitch[v](steady4, ops / 4);
		sink += fgoto[v](rnd, ops / 65) + fswitch[v](rnd, ops / 65);
	}
	double m[NV];
	printf("%-16s %9s %9s %9s   %9s %9s %9s\n", "ns/op", vname[0],
	       vname[1], vname[2], "retp/pl", "prom/pl", "prom/retp");
	measure(fgoto, steady, 5, ops, rounds, m);
	row("goto steady", m);
	measure(fswitch, steady4, 4, ops, rounds, m);
	row("switch steady", m);
	measure(fgoto, rnd, 65, ops, rounds, m);
	row("goto random", m);
	measure(fswitch, rnd, 65, ops, rounds, m);
	row("switch random", m);
	struct static_call_promote_stats st;
	int n = static_call_promote_stats(&st) ? 0 :
						  static_call_promote_sites(NULL, 0);
	struct static_call_promote_site_info *si =
		n > 0 ? calloc((size_t)n, sizeof *si) : NULL;
	size_t jumps = 0, promoted = 0, mega = 0;
	if (si)
		n = static_call_promote_sites(si, (size_t)n);
	for (int i = 0; si && i < n; i++) {
		jumps += si[i].tail == 2;
		promoted += si[i].tail == 2 && si[i].state == 3;
		mega += si[i].tail == 2 && si[i].state == 4;
	}
	free(si);
	printf("jump sites: %zu, promoted %zu, given up %zu (checksum %lu)\n",
	       jumps, promoted, mega, sink & 0xff);
	return 0;
}
