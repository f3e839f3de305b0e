/* corpus-cflags: -fcf-protection=full
 *
 * A unit built for CET (endbr64 in every function, IBT-marked). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static long i1(long x) { return x * 9; }
static long i2(long x) { return x - 9; }
long (*STATIC_CALL ik)(long) = i1;

__attribute__((noinline)) long call(long x) { return ik(x) + 1; }
__attribute__((noinline)) long tail(long x) { return ik(x); }

static void show(const char *when)
{
	printf("%s: %ld %ld\n", when, call(5), tail(6));
}

int main(void)
{
	SC_LIVE_KEY(ik);
	show("initial");
	SC_UPDATE(ik, i2);
	show("i2");
	SC_UPDATE(ik, i1);
	show("i1");
	return sc_live_exit();
}
