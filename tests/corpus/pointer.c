/* Pointer arguments and pointer results through keys. */
#include <stdio.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static const char text[] = "the quick brown fox jumps over the lazy dog";

static const char *find_first(const char *s, int c) { return strchr(s, c); }
static const char *find_last(const char *s, int c) { return strrchr(s, c); }
static const char *find_none(const char *s, int c)
{
	(void)s;
	(void)c;
	return NULL;
}

const char *(*STATIC_CALL finder)(const char *, int) = find_first;

static void *ident(void *p) { return p; }
static void *next_byte(void *p) { return (char *)p + 1; }
void *(*STATIC_CALL step)(void *) = ident;

__attribute__((noinline)) long offset_of(int c)
{
	const char *p = finder(text, c);
	return p ? p - text : -1;
}

__attribute__((noinline)) const char *walk(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		p = step((void *)p);
	return p;
}

static void show(const char *when)
{
	printf("%s: o=%ld e=%ld z=%ld walk=%s\n", when, offset_of('o'),
	       offset_of('e'), offset_of('Z'), walk(text, 10));
}

int main(void)
{
	SC_LIVE_KEY(finder);
	SC_LIVE_KEY(step);
	show("initial");
	SC_UPDATE(finder, find_last);
	show("last");
	SC_UPDATE(step, next_byte);
	show("step");
	SC_UPDATE(finder, find_none);
	show("none");
	SC_UPDATE(finder, find_first);
	SC_UPDATE(step, ident);
	show("back");
	return sc_live_exit();
}
