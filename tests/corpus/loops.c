/* Calls in loops (hot loops, unrolled/vectorised at -O3), with updates
 * between loop runs and in the middle of a loop. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static unsigned mul3(unsigned x) { return x * 3u; }
static unsigned xor5(unsigned x) { return x ^ 0x55555555u; }
static unsigned rot(unsigned x) { return (x << 7) | (x >> 25); }
unsigned (*STATIC_CALL step)(unsigned) = mul3;

__attribute__((noinline)) unsigned run(unsigned seed, int n)
{
	unsigned acc = seed;
	for (int i = 0; i < n; i++)
		acc = step(acc) + (unsigned)i;
	return acc;
}

__attribute__((noinline)) unsigned sum(const unsigned *v, int n)
{
	unsigned s = 0;
	for (int i = 0; i < n; i++)
		s += step(v[i]);
	return s;
}

int main(void)
{
	static unsigned (*const targets[])(unsigned) = {mul3, xor5, rot};
	unsigned v[64];
	for (int i = 0; i < 64; i++)
		v[i] = i * 2654435761u;

	SC_LIVE_KEY(step);
	printf("initial: %u %u\n", run(1, 1000), sum(v, 64));
	/* update in the middle of a loop that calls through the key */
	unsigned acc = 7;
	for (int i = 0; i < 300; i++) {
		if (i % 50 == 0) {
			SC_UPDATE(step, targets[(i / 50) % 3]);
			printf("at %d: %u\n", i, acc);
		}
		acc = step(acc) + (unsigned)i;
	}
	printf("mid-loop: %u\n", acc);
	for (int t = 0; t < 3; t++) {
		SC_UPDATE(step, targets[(t + 1) % 3]);
		printf("t%d: %u %u\n", t, run(t, 500), sum(v, 64));
	}
	return sc_live_exit();
}
