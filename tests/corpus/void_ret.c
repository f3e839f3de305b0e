/* void keys: no arguments, and side effects through a pointer argument. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int counter;
static void inc(void) { counter += 1; }
static void dec(void) { counter -= 1; }
static void big(void) { counter += 100; }
void (*STATIC_CALL tick)(void) = inc;

static void store7(int *p) { *p = 7; }
static void dbl(int *p) { *p *= 2; }
void (*STATIC_CALL poke)(int *) = store7;

__attribute__((noinline)) void tick3(void)
{
	tick();
	tick();
	tick();
}

__attribute__((noinline)) void tick_tail(void) { tick(); }

static void show(const char *when)
{
	int v = 5;
	counter = 0;
	tick3();
	tick_tail();
	poke(&v);
	poke(&v);
	printf("%s: counter=%d v=%d\n", when, counter, v);
}

int main(void)
{
	SC_LIVE_KEY(tick);
	SC_LIVE_KEY(poke);
	show("initial");
	SC_UPDATE(tick, dec);
	show("dec");
	SC_UPDATE(tick, big);
	SC_UPDATE(poke, dbl);
	show("big");
	SC_UPDATE(tick, inc);
	show("inc");
	return sc_live_exit();
}
