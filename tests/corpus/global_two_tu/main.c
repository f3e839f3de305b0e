/* One global key defined in main.c and called from two translation units
 * of the same executable: one trampoline per linked object (comdat), the
 * sites of both units registered. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

int b_call(int x);
int b_call_tail(int x);
int b_set_from_b(void);

static int m1(int x) { return x + 1; }
static int m2(int x) { return x * 5; }
int (*STATIC_CALL gk)(int) = m1;

__attribute__((noinline)) int m_call(int x) { return gk(x) + 1; }

static void show(const char *when)
{
	printf("%s: %d %d %d\n", when, m_call(3), b_call(3), b_call_tail(3));
}

int main(void)
{
	SC_LIVE_KEY(gk);
	show("initial");
	SC_UPDATE(gk, m2);
	show("m2");
	b_set_from_b();
	SC_CHECK();
	show("set from b");
	SC_UPDATE(gk, m1);
	show("m1");
	return sc_live_exit();
}
