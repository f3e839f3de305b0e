/* Nested calls: k(k(x)), k(j(k(x))), a key call as an argument of another
 * key call, and a target that itself calls through a key. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x) { return x + 1; }
static int dbl(int x) { return x * 2; }
static int sq(int x) { return x * x; }
int (*STATIC_CALL k)(int) = inc;
int (*STATIC_CALL j)(int) = dbl;

static int add2(int a, int b) { return a + b; }
static int sub2(int a, int b) { return a - b; }
int (*STATIC_CALL k2)(int, int) = add2;

/* A target that calls through k itself. */
static int via_k(int x) { return k(x) + 1000; }

__attribute__((noinline)) int kk(int x) { return k(k(x)); }
__attribute__((noinline)) int kjk(int x) { return k(j(k(x))); }
__attribute__((noinline)) int args(int x) { return k2(k(x), j(x)); }
__attribute__((noinline)) int deep(int x) { return k(k(k(k(k(x))))); }

static void show(const char *when)
{
	printf("%s: %d %d %d %d\n", when, kk(3), kjk(3), args(5), deep(1));
}

int main(void)
{
	SC_LIVE_KEY(k);
	SC_LIVE_KEY(j);
	SC_LIVE_KEY(k2);
	show("initial");
	SC_UPDATE(k, dbl);
	show("k=dbl");
	SC_UPDATE(j, via_k);
	show("j=via_k");
	SC_UPDATE(k, sq);
	SC_UPDATE(k2, sub2);
	show("k=sq");
	SC_UPDATE(k, inc);
	SC_UPDATE(j, dbl);
	show("back");
	return sc_live_exit();
}
