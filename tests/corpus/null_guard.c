/* NULL keys: guarded calls `if (k) k(args);` are one site, a NOP while the
 * key is NULL and a direct call otherwise; guards whose arguments could
 * trap keep their test; an unguarded call is never made through NULL. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int total;
static void add(int x) { total += x; }
static void sub(int x) { total -= x; }
static int twice(int x) { total += 2 * x; return x; }

void (*STATIC_CALL on_event)(int);
int (*STATIC_CALL on_value)(int);

__attribute__((noinline)) void fire(int x) { if (on_event) on_event(x + 1); }
__attribute__((noinline)) void fire_tail(int x) { if (on_event) on_event(x); }
__attribute__((noinline)) int fire_more(int x)
{
	if (on_value)
		on_value(x * 3); /* result unused */
	return x;
}
__attribute__((noinline)) void fire_ptr(const int *p)
{
	if (on_event)
		on_event(*p); /* *p could trap: keeps its test */
}
__attribute__((noinline)) void fire_neg(int x)
{
	if (!on_event)
		return;
	on_event(-x);
}

static void round_(const char *what)
{
	int v = 4;
	fire(1);
	fire_tail(2);
	fire_more(3);
	fire_ptr(&v);
	fire_neg(5);
	printf("%s: total %d\n", what, total);
}

int main(void)
{
	SC_LIVE_KEY(on_event);
	SC_LIVE_KEY(on_value);
	round_("initially NULL");
	SC_UPDATE(on_event, add);
	SC_UPDATE(on_value, twice);
	round_("add, twice");
	SC_UPDATE(on_event, sub);
	round_("sub");
	if (static_call_update_null(on_event) != 0 ||
	    static_call_update_null(on_value) != 0)
		return 1;
	SC_CHECK();
	round_("NULL again");
	if (static_call_query(on_event) != NULL)
		return 1;
	SC_UPDATE(on_event, add);
	round_("add again");
	return sc_live_exit();
}
