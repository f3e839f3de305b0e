/* Struct-field keys (docs/FIELD_KEYS.md): calls through marked members of
 * global objects (nested structs, arrays with constant indices, a static
 * object) are sites; every store the plugin sees that may change such a
 * member re-targets them: member stores (direct and through pointers),
 * struct assignment, compound literals, `*p = *q`, memcpy, memset, and
 * static_call_update/_null/_ret0. After each step SC_CHECK requires every
 * site to reach the value its key holds now. */
#include <stdio.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x) { return x + 1; }
static int dbl(int x) { return 2 * x; }
static int neg(int x) { return -x; }
static int sq(int x) { return x * x; }
static int events;
static void note(int x) { events += x; }
static void note2(int x) { events += 100 * x; }
static long seven(void) { return 7; }

struct unary {
	int (*STATIC_CALL fn)(int);
	int weight;
};
struct hooks {
	void (*STATIC_CALL on_event)(int);
	int (*STATIC_CALL filter)(int);
};
struct config {
	int flags;
	struct hooks hooks;
	struct unary ops[3];
	long (*STATIC_CALL counter)(void);
};

struct config cfg = { 1, { note, inc }, { { inc, 1 }, { dbl, 2 }, { neg, 3 } },
		      seven };
static struct unary single = { sq, 0 };
struct unary table[2][2]; /* all NULL */

__attribute__((noinline)) int call_filter(int x) { return cfg.hooks.filter(x) + 1; }
__attribute__((noinline)) int call_op0(int x) { return cfg.ops[0].fn(x) + 1; }
__attribute__((noinline)) int call_op1(int x) { return cfg.ops[1].fn(x) + 1; }
__attribute__((noinline)) int tail_op2(int x) { return cfg.ops[2].fn(x); }
__attribute__((noinline)) int call_single(int x) { return single.fn(x) + 1; }
__attribute__((noinline)) long count(void) { return cfg.counter() + 1; }
__attribute__((noinline)) void fire(int x)
{
	if (cfg.hooks.on_event)
		cfg.hooks.on_event(x);
}
__attribute__((noinline)) int call_table(int x)
{
	if (!table[1][0].fn)
		return -1;
	return table[1][0].fn(x) + 1;
}

/* Ordinary indirect calls: through a pointer, with a variable index. */
static struct unary *volatile any_unary = &cfg.ops[1];
static volatile int any_index = 2;
__attribute__((noinline)) int call_any(struct unary *u, int x) { return u->fn(x); }
__attribute__((noinline)) int call_idx(int i, int x) { return cfg.ops[i].fn(x); }

/* Stores through pointers the plugin cannot resolve. */
static struct hooks *volatile hooks_ptr = &cfg.hooks;
__attribute__((noinline)) void set_filter(struct hooks *h, int (*f)(int)) { h->filter = f; }
__attribute__((noinline)) void copy_hooks(struct hooks *d, const struct hooks *s) { *d = *s; }
__attribute__((noinline)) void copy_bytes(void *d, const void *s, size_t n) { memcpy(d, s, n); }
__attribute__((noinline)) void set_op(int i, struct unary u) { cfg.ops[i] = u; }

static void show(const char *when)
{
	events = 0;
	fire(3);
	printf("%-28s filter %d ops %d %d %d single %d count %ld any %d %d "
	       "table %d events %d\n", when, call_filter(5), call_op0(5),
	       call_op1(5), tail_op2(5), call_single(5), count(),
	       call_any(any_unary, 4), call_idx(any_index, 4), call_table(6),
	       events);
	SC_CHECK();
}

int main(void)
{
	SC_LIVE_KEY(cfg.hooks.filter);
	SC_LIVE_KEY(cfg.hooks.on_event);
	SC_LIVE_KEY(cfg.ops[0].fn);
	SC_LIVE_KEY(cfg.ops[1].fn);
	SC_LIVE_KEY(cfg.ops[2].fn);
	SC_LIVE_KEY(cfg.counter);
	SC_LIVE_KEY(single.fn);
	SC_LIVE_KEY(table[1][0].fn);
	show("initial");

	SC_UPDATE(cfg.hooks.filter, dbl);
	SC_UPDATE(cfg.ops[0].fn, sq);
	SC_UPDATE(single.fn, neg);
	show("static_call_update");

	cfg.hooks.filter = neg;
	cfg.ops[2].fn = inc;
	single.fn = dbl;
	table[1][0].fn = sq;
	show("member stores");

	set_filter(hooks_ptr, sq);
	show("store through a pointer");

	struct hooks h = { note2, inc };
	cfg.hooks = h;
	show("struct assignment");

	cfg.hooks = (struct hooks){ .on_event = note, .filter = dbl };
	show("compound literal");

	struct hooks h2 = { note2, neg };
	copy_hooks(hooks_ptr, &h2);
	show("*p = *q");

	struct unary u = { sq, 9 };
	memcpy(&cfg.ops[1], &u, sizeof u);
	show("memcpy into the object");

	struct unary u2 = { neg, 8 };
	copy_bytes(&cfg.ops[0], &u2, sizeof u2);
	show("memcpy through void *");

	set_op(2, (struct unary){ sq, 7 });
	show("array element assignment");

	struct config saved = cfg;
	memset(&cfg.hooks, 0, sizeof cfg.hooks);
	cfg.hooks.filter = inc; /* the unguarded one must stay callable */
	show("memset, then a store");

	if (static_call_update_ret0(cfg.counter))
		return 1;
	static_call_update_null(cfg.hooks.on_event);
	SC_CHECK();
	show("ret0 and null");

	cfg = saved;
	show("whole object restored");

	memset(table, 0, sizeof table);
	show("memset of an array");
	return sc_live_exit();
}
