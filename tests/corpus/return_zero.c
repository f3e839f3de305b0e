/* Return-zero keys: every call returns 0 without calling anything, for
 * integer and pointer return types, in call and tail position; back to a
 * real target afterwards. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static long big(int x) { return 1000L * x; }
static const char *name(int x) { return x ? "one" : "zero"; }
static unsigned char byte(void) { return 0xab; }

long (*STATIC_CALL lk)(int) = big;
const char *(*STATIC_CALL pk)(int) = name;
unsigned char (*STATIC_CALL bk)(void) = byte;

__attribute__((noinline)) long call_l(int x) { return lk(x) + 1; }
__attribute__((noinline)) long tail_l(int x) { return lk(x); }
__attribute__((noinline)) const char *call_p(int x) { return pk(x); }
__attribute__((noinline)) int call_b(void) { return bk() + 1; }

static void show(const char *when)
{
	const char *p = call_p(1);
	printf("%s: %ld %ld %s %d\n", when, call_l(7), tail_l(7), p ? p : "(null)",
	       call_b());
}

int main(void)
{
	SC_LIVE_KEY(lk);
	SC_LIVE_KEY(pk);
	SC_LIVE_KEY(bk);
	show("targets");
	if (static_call_update_ret0(lk) || static_call_update_ret0(pk) ||
	    static_call_update_ret0(bk))
		return 1;
	SC_CHECK();
	show("return zero");
	if (static_call_query(lk) != (void *)__staticcall_ret0)
		return 1;
	SC_UPDATE(lk, big);
	SC_UPDATE(pk, name);
	SC_UPDATE(bk, byte);
	show("targets again");
	return sc_live_exit();
}
