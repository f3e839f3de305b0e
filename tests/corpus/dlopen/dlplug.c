/* Loaded with dlopen (never linked): calls a key of the executable and
 * has a static key of its own. */
#include "staticcall.h"

extern int (*STATIC_CALL exe_key)(int);

static int p1(int x) { return x * 1000; }
static int p2(int x) { return x * 2000; }
static int (*STATIC_CALL plug_key)(int) = p1;

__attribute__((noinline)) int plug_call(int x) { return exe_key(x) + 1; }
int plug_tail(int x) { return exe_key(x + 1); }
__attribute__((noinline)) int plug_own(int x) { return plug_key(x); }
const void *plug_key_addr(void) { return &plug_key; }
int plug_flip(int which)
{
	return which ? static_call_update(plug_key, p2)
		     : static_call_update(plug_key, p1);
}
