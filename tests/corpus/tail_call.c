/* Calls in tail position: at -O2/-O3 these become `jmp` sites. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int plus10(int x) { return x + 10; }
static int times3(int x) { return x * 3; }
static int minus1(int x) { return x - 1; }
int (*STATIC_CALL tk)(int) = plus10;

static long lsum(long a, long b, long c) { return a + b + c; }
static long lmul(long a, long b, long c) { return a * b * c; }
long (*STATIC_CALL tk3)(long, long, long) = lsum;

__attribute__((noinline)) int direct_tail(int x) { return tk(x); }
__attribute__((noinline)) int shifted_tail(int x) { return tk(x + 1); }
__attribute__((noinline)) int cond_tail(int x)
{
	if (x > 100)
		return tk(x - 100);
	if (x < 0)
		return tk(-x);
	return x;
}
/* Not a tail call: the result is used. */
__attribute__((noinline)) int not_tail(int x) { return tk(x) + 1; }
/* Argument reordering before a tail call. */
__attribute__((noinline)) long rotate_tail(long a, long b, long c)
{
	return tk3(c, a, b);
}

static void show(const char *when)
{
	printf("%s: %d %d %d %d %d %d %ld\n", when, direct_tail(5),
	       shifted_tail(5), cond_tail(150), cond_tail(-7), cond_tail(50),
	       not_tail(2), rotate_tail(2, 3, 4));
}

int main(void)
{
	SC_LIVE_KEY(tk);
	SC_LIVE_KEY(tk3);
	show("initial");
	SC_UPDATE(tk, times3);
	show("times3");
	SC_UPDATE(tk, minus1);
	SC_UPDATE(tk3, lmul);
	show("minus1");
	SC_UPDATE(tk, plus10);
	show("plus10");
	return sc_live_exit();
}
