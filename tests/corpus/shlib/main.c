/* A key defined in a shared library, called from the library and from the
 * executable, updated from both; a key defined in the executable called
 * from the library. In a non-PIE executable lib_key is copy-relocated. */
#include <stdio.h>

#include "livecode.h"
#include "shlib.h"

static int exe_t(int x) { return x - 5; }
static long e1(long x) { return x + 1; }
static long e2(long x) { return x << 4; }
long (*STATIC_CALL exe_key)(long) = e1;

__attribute__((noinline)) int exe_call(int x) { return lib_key(x) * 3; }
__attribute__((noinline)) long exe_call_own(long x) { return exe_key(x); }

static void show(const char *when)
{
	printf("%s: lib=%d tail=%d exe=%d exe_key: lib=%ld exe=%ld\n", when,
	       lib_call(4), lib_call_tail(4), exe_call(4), lib_call_exe(9),
	       exe_call_own(9));
}

int main(void)
{
	SC_LIVE_KEY(lib_key);
	SC_LIVE_KEY(exe_key);
	show("initial");
	SC_UPDATE(lib_key, lib_t2);
	show("lib_t2 from exe");
	SC_UPDATE(lib_key, exe_t);
	SC_UPDATE(exe_key, e2);
	show("exe_t");
	if (lib_update(0) != 0)
		printf("lib_update failed\n");
	SC_CHECK();
	show("lib_t1 from lib");
	if (lib_update(1) != 0)
		printf("lib_update failed\n");
	SC_CHECK();
	SC_UPDATE(exe_key, e1);
	show("lib_t2 from lib");
	return sc_live_exit();
}
