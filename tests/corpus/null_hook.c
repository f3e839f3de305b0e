/* A hook that starts NULL, guarded by `if (hook)`, set, reset to NULL by a
 * plain assignment, and set again. */
#include <stddef.h>
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int seen;
static void log_a(int x) { seen += x; }
static void log_b(int x) { seen += 1000 * x; }
void (*STATIC_CALL hook)(int) = NULL;

static int filt_even(int x) { return x % 2 == 0; }
int (*STATIC_CALL filter)(int);  /* tentative: zero-initialised */

__attribute__((noinline)) void event(int x)
{
	if (hook)
		hook(x);
}

__attribute__((noinline)) int count(int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		if (!filter || filter(i))
			c++;
	return c;
}

static void show(const char *when)
{
	seen = 0;
	event(1);
	event(2);
	printf("%s: seen=%d set=%d count=%d\n", when, seen, hook != NULL,
	       count(10));
}

int main(void)
{
	SC_LIVE_KEY(hook);
	SC_LIVE_KEY(filter);
	show("initial");
	SC_CHECK();
	SC_UPDATE(hook, log_a);
	show("a");
	SC_UPDATE(filter, filt_even);
	SC_UPDATE(hook, log_b);
	show("b");
	hook = NULL;
	SC_CHECK();
	show("null");
	hook = log_a;
	SC_CHECK();
	show("a again");
	return sc_live_exit();
}
