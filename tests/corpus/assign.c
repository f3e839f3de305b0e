/* Plain assignments to a key (`k = f;`), which the plugin routes through
 * the runtime, mixed with static_call_update. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int one(int x) { return x + 1; }
static int two(int x) { return x + 2; }
static int three(int x) { return x + 3; }
int (*STATIC_CALL ak)(int) = one;

static int (*volatile pick)(int) = three;

__attribute__((noinline)) int call_ak(int x) { return ak(x); }
__attribute__((noinline)) void set_ak(int (*f)(int)) { ak = f; }
__attribute__((noinline)) void set_cond(int c) { ak = c ? two : one; }

static void show(const char *when)
{
	printf("%s: %d %d\n", when, call_ak(10), ak(20));
	SC_CHECK();
}

int main(void)
{
	SC_LIVE_KEY(ak);
	show("initial");
	ak = two;
	show("ak=two");
	set_ak(three);
	show("set_ak(three)");
	set_cond(0);
	show("cond 0");
	set_cond(1);
	show("cond 1");
	ak = pick;
	show("from volatile");
	SC_UPDATE(ak, one);
	show("update one");
	ak = one; /* same value again */
	show("same again");
	return sc_live_exit();
}
