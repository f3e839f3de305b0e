/* Calls and updates before main: a constructor that runs before or after
 * the runtime registered this object calls through the key (a trampoline
 * reads the variable until the site is patched) and updates it; main then
 * sees every site patched to the last value. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int ta(int x) { return x + 1; }
static int tb(int x) { return x + 2; }
static int tc(int x) { return x + 3; }
int (*STATIC_CALL ck)(int) = ta;

__attribute__((noinline)) int call(int x) { return ck(x); }

static int early1, early2;

/* Priority 101 runs before the default-priority registration constructor. */
__attribute__((constructor(101))) static void very_early(void)
{
	early1 = call(10);
	static_call_update(ck, tb);
	early2 = call(10);
}

__attribute__((constructor)) static void early(void)
{
	static_call_update(ck, tc);
}

int main(void)
{
	SC_LIVE_KEY(ck);
	printf("before main: %d then %d; in main: %d\n", early1, early2, call(10));
	SC_CHECK();
	SC_UPDATE(ck, ta);
	printf("after update: %d\n", call(10));
	return sc_live_exit();
}
