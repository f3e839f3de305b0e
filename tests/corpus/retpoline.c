/* corpus-cflags-gcc: -mindirect-branch=thunk -mfunction-return=keep
 * corpus-cflags-clang: -mretpoline
 *
 * A unit built with retpolines: the trampolines' slow path is a retpoline,
 * the patched sites are plain direct calls. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int r1(int x) { return x ^ 0x5a; }
static int r2(int x) { return x + 0x100; }
int (*STATIC_CALL rk)(int) = r1;
int (*STATIC_CALL unset)(int);

static int (*volatile plain)(int) = r2; /* an ordinary indirect call */

__attribute__((noinline)) int call(int x) { return rk(x) + plain(x); }
__attribute__((noinline)) int tail(int x) { return rk(x); }
__attribute__((noinline)) int maybe(int x) { return unset ? unset(x) : -1; }

static void show(const char *when)
{
	printf("%s: %d %d %d\n", when, call(1), tail(2), maybe(3));
}

int main(void)
{
	SC_LIVE_KEY(rk);
	SC_LIVE_KEY(unset);
	show("initial");
	SC_UPDATE(rk, r2);
	SC_UPDATE(unset, r1);
	show("r2");
	SC_UPDATE(rk, r1);
	show("r1");
	return sc_live_exit();
}
