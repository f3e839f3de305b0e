/* Library functions that write memory (plugin-common/policy.cc's list of
 * them, with each one's length argument) over a global object holding
 * field keys: explicit_bzero, bzero, memset, memcpy and memmove of the
 * whole object are each followed by __staticcall_store_range, with every
 * compiler. After each write SC_CHECK requires every site to reach the
 * value its key holds now; a stale guarded site would also still fire
 * `note` while its key is NULL, and change the output. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x) { return x + 1; }
static int dbl(int x) { return 2 * x; }
static int events;
static void note(int x) { events += x; }
static void note2(int x) { events += 100 * x; }

struct ops {
	void (*STATIC_CALL on_event)(int);
	long weight;
	int (*STATIC_CALL filter)(int);
};

struct ops g = { note, 1, inc };

__attribute__((noinline)) void fire(int x)
{
	if (g.on_event)
		g.on_event(x);
}
__attribute__((noinline)) int filter(int x)
{
	return g.filter ? g.filter(x) + 1 : -1;
}

static void show(const char *when)
{
	events = 0;
	fire(3);
	printf("%-16s filter %d events %d weight %ld\n", when, filter(5),
	       events, g.weight);
	SC_CHECK();
}

int main(void)
{
	SC_LIVE_KEY(g.on_event);
	SC_LIVE_KEY(g.filter);
	show("initial");
	struct ops saved = g, other = { note2, 2, dbl };

	explicit_bzero(&g, sizeof g);
	show("explicit_bzero");

	memcpy(&g, &other, sizeof g);
	show("memcpy");

	bzero(&g, sizeof g);
	show("bzero");

	memmove(&g, &saved, sizeof g);
	show("memmove");

	memset(&g, 0, sizeof g);
	show("memset");

	memcpy(&g, &saved, sizeof g);
	show("restored");
	return sc_live_exit();
}
