/* Store routing (docs/FIELD_KEYS.md, "Which stores are routed"): every
 * store that may reach a key still re-targets its sites after the plugins
 * stopped routing the stores that cannot, and routed stores became an
 * inline range check. Here the writes that must be routed go through
 * pointers the compiler cannot place (function parameters, `void *`,
 * arrays of structures, a pointer chosen at run time, one whose points-to
 * set holds the global), and writes into locals, heap blocks, unrelated
 * globals and through a pointer to one of two locals sit next to them. After each
 * write SC_CHECK requires every site to reach the value its key holds now.
 * tests/build/store_routing.py counts the runtime calls in the code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x)
{
	return x + 1;
}
static int dbl(int x)
{
	return 2 * x;
}
static int neg(int x)
{
	return -x;
}

struct ops {
	int (*STATIC_CALL fn)(int);
	long weight;
};
struct plain {
	int (*fn)(int);
	long weight;
};

struct ops cfg = { inc, 1 };
struct ops table[3] = { { inc, 1 }, { dbl, 2 }, { neg, 3 } };
struct plain unrelated = { inc, 1 };
char bytes[64];

__attribute__((noinline)) int call_cfg(int x)
{
	return cfg.fn(x);
}
__attribute__((noinline)) int call_table(int x)
{
	int r = 0;
	if (table[0].fn)
		r += table[0].fn(x);
	if (table[1].fn)
		r += 10 * table[1].fn(x);
	if (table[2].fn)
		r += 100 * table[2].fn(x);
	return r;
}

/* A pointer that may point to the key-holding global. */
__attribute__((noinline)) void copy_to(struct ops *dst, const struct ops *s)
{
	*dst = *s;
}
__attribute__((noinline)) void set_through_void(void *dst, const void *s,
						size_t n)
{
	memcpy(dst, s, n);
}
__attribute__((noinline)) void zero_element(struct ops *arr, int i)
{
	memset(&arr[i], 0, sizeof arr[i]);
}
__attribute__((noinline)) void copy_array(struct ops *dst, const struct ops *s,
					  int n)
{
	memcpy(dst, s, n * sizeof *dst);
}

/* Writes that cannot reach a key. */
__attribute__((noinline)) long into_local(const struct ops *s)
{
	struct ops local;
	memcpy(&local, s, sizeof local);
	return local.weight;
}
__attribute__((noinline)) long into_heap(const struct ops *s)
{
	struct ops *h = malloc(sizeof *h);
	if (!h)
		return -1;
	memcpy(h, s, sizeof *h);
	long w = h->weight;
	free(h);
	return w;
}
__attribute__((noinline)) void into_unrelated(const struct plain *s)
{
	memcpy(&unrelated, s, sizeof unrelated);
	memset(bytes, 1, sizeof bytes);
}

/* A pointer chosen at run time: its points-to set holds the key-holding
 * global (routed), or only locals (key-free at -O1 and up). */
__attribute__((noinline)) void copy_maybe_cfg(int c, const struct ops *s)
{
	struct ops local = { 0 };
	struct ops *p = c ? &cfg : &local;
	*p = *s;
	printf("maybe cfg: local %ld\n", local.weight);
}
__attribute__((noinline)) long copy_locals(int c, const struct ops *s)
{
	struct ops a = { 0 }, b = { 0 };
	struct ops *p = c ? &a : &b;
	*p = *s;
	return a.weight + b.weight;
}

static struct ops *volatile pick = &cfg;

static void show(const char *when)
{
	printf("%-14s cfg %d table %d\n", when, call_cfg(5), call_table(5));
	SC_CHECK();
}

int main(void)
{
	SC_LIVE_KEY(cfg.fn);
	SC_LIVE_KEY(table[0].fn);
	SC_LIVE_KEY(table[1].fn);
	SC_LIVE_KEY(table[2].fn);
	show("initial");

	struct ops a = { dbl, 2 }, b = { neg, 3 }, saved[3];
	memcpy(saved, table, sizeof saved);

	copy_to(&cfg, &a);
	show("parameter");
	set_through_void(pick, &b, sizeof b);
	show("void *");
	zero_element(table, 1);
	show("element");
	copy_array(table, saved, 3);
	show("array");
	copy_to(pick, &saved[0]);
	show("restored");

	copy_maybe_cfg(1, &b);
	show("maybe cfg");
	copy_maybe_cfg(0, &a);
	printf("locals %ld\n", copy_locals(1, &b));
	show("locals");
	copy_maybe_cfg(1, &saved[0]);
	show("restored");

	struct plain p = { dbl, 4 };
	printf("local %ld heap %ld\n", into_local(&a), into_heap(&b));
	into_unrelated(&p);
	printf("unrelated %ld bytes %d\n", unrelated.weight, bytes[3]);
	show("after");
	return sc_live_exit();
}
