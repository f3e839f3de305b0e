/* Two translation units each with a `static` key named `k`: they are
 * distinct keys with distinct trampolines and sites. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

int b_call(int x);
int b_set(int which);
void b_register(void);

static int ma(int x) { return x + 1; }
static int mb(int x) { return x + 2; }
static int (*STATIC_CALL k)(int) = ma;

__attribute__((noinline)) int m_call(int x) { return k(x) * 10; }

static void show(const char *when)
{
	printf("%s: main k=%d b k=%d\n", when, m_call(5), b_call(5));
}

int main(void)
{
	SC_LIVE_KEY(k);
	b_register();
	show("initial");
	SC_UPDATE(k, mb);
	show("main k=mb");
	b_set(1);
	SC_CHECK();
	show("b k=1");
	b_set(2);
	SC_CHECK();
	SC_UPDATE(k, ma);
	show("b k=2, main k=ma");
	b_set(0);
	SC_CHECK();
	show("b k=0");
	return sc_live_exit();
}
