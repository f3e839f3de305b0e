/* Two keys sharing a target: updating one must not move the other. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int common(int x) { return x + 100; }
static int other(int x) { return x - 100; }
static int third(int x) { return x * 100; }
int (*STATIC_CALL ka)(int) = common;
int (*STATIC_CALL kb)(int) = common;

__attribute__((noinline)) int call_a(int x) { return ka(x); }
__attribute__((noinline)) int call_b(int x) { return kb(x); }
__attribute__((noinline)) int call_both(int x) { return ka(x) * 10 + kb(x); }

static void show(const char *when)
{
	printf("%s: a=%d b=%d both=%d same=%d\n", when, call_a(1), call_b(2),
	       call_both(3), static_call_query(ka) == static_call_query(kb));
}

int main(void)
{
	SC_LIVE_KEY(ka);
	SC_LIVE_KEY(kb);
	show("initial");
	SC_UPDATE(ka, other);
	show("a=other");
	SC_UPDATE(kb, third);
	show("b=third");
	SC_UPDATE(kb, other);
	show("both other");
	SC_UPDATE(ka, common);
	SC_UPDATE(kb, common);
	show("both common");
	return sc_live_exit();
}
