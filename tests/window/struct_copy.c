/*
 * struct_copy.c - the struct-copy window (docs/PATCHING.md, "A key and its
 * data in one struct"): callers call `g.fn(g.ctx)` while the main thread
 * copies whole structs into g, each with a function and the ctx made for
 * it. A call that gets the ctx g holds now with the function of an older
 * copy reached a site the runtime had not re-targeted yet: counted as a
 * window call. A call that gets an older ctx with a newer function is
 * plain C's own race (the copy fell between the caller's two loads): only
 * counted.
 *
 *   struct_copy SECONDS          the copy as plugin-built code routes it
 * Exit 0 if no window call was seen, 1 if one was, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "staticcall.h"

void __staticcall_store_range_begin(void *addr, size_t len);

struct ctx {
	int fn_index; /* the function it was made for */
};

struct hook {
	void (*STATIC_CALL fn)(struct ctx *c);
	struct ctx *ctx;
};

struct hook g;

#define NCTX (1 << 17)
static struct ctx ctxs[NCTX]; /* each copy has its own: never reused */
static unsigned long window_calls, plain_races, calls;
static int stop;

static void check(struct ctx *c, int me)
{
	if (c->fn_index == me)
		return;
	if (c == __atomic_load_n(&g.ctx, __ATOMIC_ACQUIRE))
		__atomic_add_fetch(&window_calls, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&plain_races, 1, __ATOMIC_RELAXED);
}

__attribute__((noinline)) static void fn_a(struct ctx *c)
{
	check(c, 0);
}

__attribute__((noinline)) static void fn_b(struct ctx *c)
{
	check(c, 1);
}

static void *caller(void *arg)
{
	unsigned long n = 0;
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		g.fn(g.ctx); /* a site of field key g.fn */
		n++;
	}
	__atomic_add_fetch(&calls, n, __ATOMIC_RELAXED);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double limit = argc > 1 ? atof(argv[1]) : 3;
	int begin_by_hand = argc > 2 && argv[2][0] == 'b';
	pthread_t t[2];
	struct static_call_site_info info[4];
	ctxs[0].fn_index = 0;
	g = (struct hook){ fn_a, &ctxs[0] };
	if (static_call_sites(g.fn, info, 4) < 1) {
		fprintf(stderr, "struct_copy: g.fn has no registered site\n");
		return 2;
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, caller, NULL);
	double end = now() + limit;
	unsigned long copies = 0;
	for (int i = 1; i < NCTX && now() < end; i++) {
		struct hook src = { (i & 1) ? fn_b : fn_a, &ctxs[i] };
		ctxs[i].fn_index = i & 1;
		if (begin_by_hand) /* what a plugin without it lacks */
			__staticcall_store_range_begin(&g, sizeof g);
		g = src; /* routed: [begin,] the copy, store_range */
		copies++;
		if (__atomic_load_n(&window_calls, __ATOMIC_RELAXED))
			break; /* shown: no need to wait */
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	int form = static_call_sites(g.fn, info, 4) > 0 ? info[0].form : -1;
	printf("struct_copy: %lu copies, %lu calls, %lu window calls, %lu "
	       "plain-C races; site %s\n", copies, calls, window_calls,
	       plain_races, static_call_form_name(form));
	return window_calls ? 1 : 0;
}
