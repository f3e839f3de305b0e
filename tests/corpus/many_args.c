/* More than six integer and eight floating arguments: stack arguments,
 * mixed int/double. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

typedef long (*many_fn)(int, double, long, double, char, double, short,
			double, int, double, long, double, int, double, long,
			double, double, int);

static long sum_all(int a, double b, long c, double d, char e, double f,
		    short g, double h, int i, double j, long k, double l,
		    int m, double n, long o, double p, double q, int r)
{
	return a + (long)b + c + (long)d + e + (long)f + g + (long)h + i +
	       (long)j + k + (long)l + m + (long)n + o + (long)p + (long)q + r;
}

static long weigh(int a, double b, long c, double d, char e, double f,
		  short g, double h, int i, double j, long k, double l, int m,
		  double n, long o, double p, double q, int r)
{
	return 1L * a + 2 * (long)b + 3 * c + 4 * (long)d + 5 * e +
	       6 * (long)f + 7 * g + 8 * (long)h + 9 * i + 10 * (long)j +
	       11 * k + 12 * (long)l + 13 * m + 14 * (long)n + 15 * o +
	       16 * (long)p + 17 * (long)q + 18 * r;
}

static long last_ones(int a, double b, long c, double d, char e, double f,
		      short g, double h, int i, double j, long k, double l,
		      int m, double n, long o, double p, double q, int r)
{
	(void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g;
	(void)h, (void)i, (void)j, (void)k, (void)l, (void)m, (void)n;
	return o * 1000000 + (long)(p * 1000) + (long)(q * 10) + r;
}

many_fn STATIC_CALL many = sum_all;

__attribute__((noinline)) long call_many(int base)
{
	return many(base, 1.5, 100000L, 2.5, 'x', 3.5, -7, 4.5, base * 2, 5.5,
		    -99999L, 6.5, 13, 7.5, 123456L, 8.25, 9.75, -base);
}

/* Tail position with stack arguments (GCC may or may not sibcall it). */
__attribute__((noinline)) long forward(int a, double b, long c, double d,
				       char e, double f, short g, double h,
				       int i, double j, long k, double l,
				       int m, double n, long o, double p,
				       double q, int r)
{
	return many(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r);
}

static void show(const char *when)
{
	printf("%s: %ld %ld %ld\n", when, call_many(1), call_many(-50),
	       forward(9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5, -6,
		       -7, -8));
}

int main(void)
{
	SC_LIVE_KEY(many);
	show("initial");
	SC_UPDATE(many, weigh);
	show("weigh");
	SC_UPDATE(many, last_ones);
	show("last");
	SC_UPDATE(many, sum_all);
	show("sum");
	return sc_live_exit();
}
