/* A target that re-targets its own key while it is being called (the
 * returning site has already been patched), and recursion through a key. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int second(int x);
static int first(int x);
int (*STATIC_CALL rk)(int) = first;

static int first(int x)
{
	static_call_update(rk, second); /* the call site we return to changes */
	return x + 1;
}

static int second(int x)
{
	static_call_update(rk, first);
	return x + 2;
}

static int fact(int n);
int (*STATIC_CALL rec)(int) = fact;
static int fact(int n) { return n <= 1 ? 1 : n * rec(n - 1); }
static int tri(int n) { return n <= 0 ? 0 : n + rec(n - 1); }

__attribute__((noinline)) int call_rk(int x) { return rk(x); }
__attribute__((noinline)) int call_rec(int n) { return rec(n); }

int main(void)
{
	SC_LIVE_KEY(rk);
	SC_LIVE_KEY(rec);
	int s = 0;
	for (int i = 0; i < 10; i++) {
		int r = call_rk(i * 10);
		printf("%d ", r);
		s += r;
	}
	printf("| %d\n", s);
	SC_CHECK();
	printf("fact=%d\n", call_rec(10));
	SC_UPDATE(rec, tri);
	printf("tri=%d\n", call_rec(100));
	SC_UPDATE(rec, fact);
	printf("fact=%d\n", call_rec(6));
	return sc_live_exit();
}
