/*
 * stress.c - concurrent calls while keys are re-targeted.
 *
 *   stress [UPDATES]      (default 100000)
 *
 * Four caller threads call through two keys in a loop (plain call sites and
 * tail-call sites); every target returns its own id. An updater thread
 * cycles each key through its four targets UPDATES times with
 * static_call_update, publishing a generation number after each completed
 * update. A caller reads the generation before (g0) and after (g1) each
 * call and requires the result to be the target of a generation in
 * [g0 - 1, g1 + 1]: the update in flight may already be visible, and one
 * update of slack is allowed for a caller that saw the new generation but
 * still executes the old instruction bytes. With four targets per key a
 * call that reaches a target two or more updates stale (or any id that is
 * no target) is a failure. Exit 0 on success; one summary line on stdout.
 *
 * Built with or without the plugin (without it the calls are plain
 * indirect calls and the test checks nothing interesting, but passes).
 * Built with it, the live code is checked with livecode.c at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "livecode.h"
#include "staticcall.h"

#define NTARGETS 4
#define NCALLERS 4

#define T(n)                                                                  \
	__attribute__((noinline)) static int a##n(int x)                      \
	{                                                                     \
		return 100 + n + (x & 0);                                     \
	}                                                                     \
	__attribute__((noinline)) static int b##n(int x)                      \
	{                                                                     \
		return 200 + n + (x & 0);                                     \
	}
T(0) T(1) T(2) T(3)

static int (*const ta[NTARGETS])(int) = {a0, a1, a2, a3};
static int (*const tb[NTARGETS])(int) = {b0, b1, b2, b3};

int (*STATIC_CALL key_a)(int) = a0;
int (*STATIC_CALL key_b)(int) = b0;

/* gen_x = number of completed updates of key x; after update g the key
 * holds target g % NTARGETS. */
static _Atomic unsigned long gen_a, gen_b;
static atomic_int done;
static atomic_ulong calls, invalid, stale;

__attribute__((noinline)) static int call_a(int x) { return key_a(x); }
__attribute__((noinline)) static int call_b(int x) { return key_b(x) + 0 * x; }

static int check(int r, int base, unsigned long g0, unsigned long g1)
{
	int id = r - base;
	if (id < 0 || id >= NTARGETS) {
		atomic_fetch_add(&invalid, 1);
		return -1;
	}
	/* generations g0-1 .. g1+1 hold targets (g % NTARGETS) */
	unsigned long lo = g0 ? g0 - 1 : 0, hi = g1 + 1;
	if (hi - lo + 1 >= NTARGETS)
		return 0; /* every target was possible */
	for (unsigned long g = lo; g <= hi; g++)
		if ((int)(g % NTARGETS) == id)
			return 0;
	atomic_fetch_add(&stale, 1);
	return -1;
}

static void *caller(void *arg)
{
	unsigned long n = 0;
	int x = (int)(long)arg;
	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		for (int i = 0; i < 64; i++) {
			unsigned long g0 = atomic_load(&gen_a);
			int r = (i & 1) ? call_a(x) : key_a(x);
			unsigned long g1 = atomic_load(&gen_a);
			if (check(r, 100, g0, g1) && invalid + stale < 10)
				fprintf(stderr, "stress: key_a returned %d "
					"between generations %lu and %lu\n",
					r, g0, g1);
			g0 = atomic_load(&gen_b);
			r = (i & 1) ? key_b(x) : call_b(x);
			g1 = atomic_load(&gen_b);
			if (check(r, 200, g0, g1) && invalid + stale < 10)
				fprintf(stderr, "stress: key_b returned %d "
					"between generations %lu and %lu\n",
					r, g0, g1);
			n += 2;
		}
	}
	atomic_fetch_add(&calls, n);
	return NULL;
}

static unsigned long updates;
static atomic_int update_errors;

static void *updater(void *arg)
{
	(void)arg;
	for (unsigned long g = 1; g <= updates; g++) {
		if (static_call_update(key_a, ta[g % NTARGETS]) != 0)
			atomic_fetch_add(&update_errors, 1);
		atomic_store(&gen_a, g);
		if (static_call_update(key_b, tb[g % NTARGETS]) != 0)
			atomic_fetch_add(&update_errors, 1);
		atomic_store(&gen_b, g);
	}
	atomic_store_explicit(&done, 1, memory_order_release);
	return NULL;
}

int main(int argc, char **argv)
{
	updates = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	pthread_t c[NCALLERS], u;

	SC_LIVE_KEY(key_a);
	SC_LIVE_KEY(key_b);
	SC_CHECK();
	for (long i = 0; i < NCALLERS; i++)
		if (pthread_create(&c[i], NULL, caller, (void *)i) != 0) {
			perror("pthread_create");
			return 2;
		}
	if (pthread_create(&u, NULL, updater, NULL) != 0) {
		perror("pthread_create");
		return 2;
	}
	pthread_join(u, NULL);
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(c[i], NULL);

	/* After the last update both keys must be settled everywhere. */
	int fa = sc_check_key(&key_a, ta[updates % NTARGETS]);
	int fb = sc_check_key(&key_b, tb[updates % NTARGETS]);
	int ra = call_a(0), rb = call_b(0);
	int settled = ra == 100 + (int)(updates % NTARGETS) &&
		      rb == 200 + (int)(updates % NTARGETS);

	int ok = !invalid && !stale && !update_errors && !fa && !fb &&
		 settled && !sc_live_failures();
	printf("stress: %s: %lu updates x 2 keys, %lu calls by %d threads, "
	       "%lu invalid, %lu stale, %d update errors, live-code "
	       "failures %d, settled %s\n",
	       ok ? "ok" : "FAILED", updates, (unsigned long)calls, NCALLERS,
	       (unsigned long)invalid, (unsigned long)stale,
	       (int)update_errors, fa + fb + sc_live_failures(),
	       settled ? "yes" : "no");
	return ok ? 0 : 1;
}
