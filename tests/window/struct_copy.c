/*
 * struct_copy.c - the struct-copy window (docs/PATCHING.md, "A key and its
 * data in one struct"): two callers call `g.fn(g.ctx)` while the main
 * thread copies whole structs into g, each with a function and a ctx made
 * for it (never reused), through the steps plugin-built code takes for a
 * struct copy: __staticcall_store_range_begin, the copy,
 * __staticcall_store_range. A sequence count, odd during the copy alone,
 * tells the two ways a call can get a ctx with another copy's function:
 *   - the copy overlapped the caller's loads of g.ctx and g.fn (its
 *     sequence moved, or was odd): plain C's own race, only counted;
 *   - no copy overlapped them, yet the call reached an older function: a
 *     site the runtime had not re-targeted yet, a window call.
 *
 *   struct_copy SECONDS [nobegin]   nobegin: skip the begin step (the
 *                                   runtime before the fix: the window)
 * Exit 0 if no window call was seen, 1 if one was, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "staticcall.h"

/* What the plugins emit around a struct copy (staticcall_abi.h). */
void __staticcall_store_range_begin(void *addr, const void *src, size_t len);
void __staticcall_store_range(void *addr, size_t len);
/* A copy the plugins do not see (called through a pointer), so that the
 * sequence count can bracket the copy alone. */
static void *(*volatile plain_copy)(void *, const void *, size_t) = memcpy;

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
static unsigned seq; /* odd while the main thread copies */
static int stop;
static __thread int mismatch;

static void check(struct ctx *c, int me)
{
	if (c->fn_index != me)
		mismatch = 1;
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
		unsigned s1 = __atomic_load_n(&seq, __ATOMIC_ACQUIRE);
		mismatch = 0;
		g.fn(g.ctx); /* a site of field key g.fn */
		unsigned s2 = __atomic_load_n(&seq, __ATOMIC_ACQUIRE);
		if (mismatch)
			__atomic_add_fetch(s1 == s2 && !(s1 & 1) ?
						   &window_calls :
						   &plain_races,
					   1, __ATOMIC_RELAXED);
		n++;
	}
	__atomic_add_fetch(&calls, n, __ATOMIC_RELAXED);
	return NULL;
}

/* A struct copy the plugin routes (struct_copy.sh checks that it puts
 * __staticcall_store_range_begin before it). */
__attribute__((noinline)) static void copy_in(const struct hook *src)
{
	g = *src;
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
	int begin = !(argc > 2 && !strcmp(argv[2], "nobegin"));
	pthread_t t[2];
	struct static_call_site_info info[4];
	ctxs[0].fn_index = 0;
	copy_in(&(struct hook){ fn_a, &ctxs[0] });
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
		if (begin)
			__staticcall_store_range_begin(&g, &src, sizeof g);
		__atomic_add_fetch(&seq, 1, __ATOMIC_RELEASE);
		plain_copy(&g, &src, sizeof g);
		__atomic_add_fetch(&seq, 1, __ATOMIC_RELEASE);
		__staticcall_store_range(&g, sizeof g);
		copies++;
		if (__atomic_load_n(&window_calls, __ATOMIC_RELAXED))
			break; /* shown: no need to wait */
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	int form = static_call_sites(g.fn, info, 4) > 0 ? info[0].form : -1;
	printf("struct_copy: %lu copies, %lu calls, %lu window calls, %lu "
	       "plain-C races; site %s\n",
	       copies, calls, window_calls, plain_races,
	       static_call_form_name(form));
	return window_calls ? 1 : 0;
}
