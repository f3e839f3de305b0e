/*
 * stress.c - concurrent calls while keys are re-targeted.
 *
 *   stress [MAX_UPDATES [SECONDS [MIN_UPDATES]]]
 *
 * The work is bounded by time: the run stops after MAX_UPDATES updates
 * (default 100000) or after SECONDS seconds (default 0: no time bound),
 * whichever comes first, and reports how many updates and calls it made in
 * how long. A run that reaches SECONDS before MIN_UPDATES updates (default
 * 200, at most MAX_UPDATES) goes on until it has made them, but for no
 * longer than STARVED_FACTOR x SECONDS: with fewer updates than that it
 * proves nothing, and it fails saying that the updater was starved.
 *
 * Four caller threads call through two keys in a loop (plain call sites and
 * tail-call sites); every target returns its own id. An updater thread
 * cycles each key through its four targets with static_call_update,
 * publishing a generation number after each completed update. A caller reads the generation before (g0) and after (g1) each
 * call and requires the result to be the target of a generation in
 * [g0 - 1, g1 + 1]: the update in flight may already be visible, and one
 * update of slack is allowed for a caller that saw the new generation but
 * still executes the old instruction bytes. With four targets per key a
 * call that reaches a target two or more updates stale (or any id that is
 * no target) is a failure. Exit 0 on success; a summary line on stdout.
 *
 * A second updater thread concurrently cycles a third key (key_c) through
 * its targets, so updaters contend on the runtime's lock; callers check
 * that key_c's results are always one of its targets. Callers also send
 * SIGUSR1 to the updater threads; the handler calls through all three keys
 * while the interrupted thread may be in the middle of an update (the
 * runtime blocks signals while code is half-written; the handler must
 * neither deadlock nor see an invalid target).
 *
 * Built with or without the plugin (without it the calls are plain
 * indirect calls and the test checks nothing interesting, but passes).
 * Built with it, the live code is checked with livecode.c at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "livecode.h"
#include "staticcall.h"

#define NTARGETS 4
#define NCALLERS 4
/* A run short of MIN_UPDATES at SECONDS gives up at this many times SECONDS. */
#define STARVED_FACTOR 4

#define T(n)                                                                  \
	__attribute__((noinline)) static int a##n(int x)                      \
	{                                                                     \
		return 100 + n + (x & 0);                                     \
	}                                                                     \
	__attribute__((noinline)) static int b##n(int x)                      \
	{                                                                     \
		return 200 + n + (x & 0);                                     \
	}                                                                     \
	__attribute__((noinline)) static int c##n(int x)                      \
	{                                                                     \
		return 300 + n + (x & 0);                                     \
	}
T(0) T(1) T(2) T(3)

static int (*const ta[NTARGETS])(int) = {a0, a1, a2, a3};
static int (*const tb[NTARGETS])(int) = {b0, b1, b2, b3};
static int (*const tc[NTARGETS])(int) = {c0, c1, c2, c3};

int (*STATIC_CALL key_a)(int) = a0;
int (*STATIC_CALL key_b)(int) = b0;
int (*STATIC_CALL key_c)(int) = c0;

/* gen_x = number of completed updates of key x; after update g the key
 * holds target g % NTARGETS. */
static _Atomic unsigned long gen_a, gen_b;
static atomic_int done;
static atomic_ulong calls, invalid, stale;

__attribute__((noinline)) static int call_a(int x) { return key_a(x); }
__attribute__((noinline)) static int call_b(int x) { return key_b(x) + 0 * x; }
__attribute__((noinline)) static int call_c(int x) { return key_c(x); }

static pthread_t updater_threads[2];
static atomic_ulong handler_calls, handler_bad;

static int in_range(int r, int base) { return r >= base && r < base + NTARGETS; }

/* Runs on an updater thread, possibly in the middle of an update. */
static void on_signal(int sig)
{
	(void)sig;
	if (!in_range(call_a(1), 100) || !in_range(call_b(1), 200) ||
	    !in_range(call_c(1), 300) || !in_range(key_a(2), 100))
		atomic_fetch_add(&handler_bad, 1);
	atomic_fetch_add(&handler_calls, 1);
}

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
			if (!in_range(i & 1 ? call_c(x) : key_c(x), 300))
				atomic_fetch_add(&invalid, 1);
			n += 3;
		}
		if ((n & 1023) < 192)
			pthread_kill(updater_threads[n & 1], SIGUSR1);
	}
	atomic_fetch_add(&calls, n);
	return NULL;
}

static unsigned long max_updates, min_updates, updates;
static double seconds;
static atomic_int update_errors, starved;
static atomic_ulong updates_c;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The second updater: contends for the runtime with the first. */
static void *updater_c(void *arg)
{
	(void)arg;
	unsigned long g;
	for (g = 1; !atomic_load(&done); g++)
		if (static_call_update(key_c, tc[g % NTARGETS]) != 0)
			atomic_fetch_add(&update_errors, 1);
	atomic_store(&updates_c, g - 1);
	return NULL;
}

/* Whether update number g (1-based, not yet made) is one too many. */
static int time_is_up(unsigned long g, double start)
{
	if (seconds <= 0 || (g & 15) != 0)
		return 0;
	double t = now() - start;
	if (t < seconds)
		return 0;
	if (g > min_updates)
		return 1;
	if (t < seconds * STARVED_FACTOR)
		return 0;
	atomic_store(&starved, 1);
	return 1;
}

static void *updater(void *arg)
{
	double start = *(double *)arg;
	unsigned long g;
	for (g = 1; g <= max_updates && !time_is_up(g, start); g++) {
		if (static_call_update(key_a, ta[g % NTARGETS]) != 0)
			atomic_fetch_add(&update_errors, 1);
		atomic_store(&gen_a, g);
		if (static_call_update(key_b, tb[g % NTARGETS]) != 0)
			atomic_fetch_add(&update_errors, 1);
		atomic_store(&gen_b, g);
	}
	updates = g - 1;
	atomic_store_explicit(&done, 1, memory_order_release);
	return NULL;
}

int main(int argc, char **argv)
{
	max_updates = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	seconds = argc > 2 ? strtod(argv[2], NULL) : 0;
	min_updates = argc > 3 ? strtoul(argv[3], NULL, 0) : 200;
	if (min_updates > max_updates)
		min_updates = max_updates;
	pthread_t c[NCALLERS], u;

	SC_LIVE_KEY(key_a);
	SC_LIVE_KEY(key_b);
	SC_LIVE_KEY(key_c);
	SC_CHECK();
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	/* Updaters first, so callers only ever see their final thread ids;
	 * callers are joined before the updaters, so no signal is ever sent
	 * to a joined thread. */
	pthread_t u2;
	double start = now();
	if (pthread_create(&u, NULL, updater, &start) != 0 ||
	    pthread_create(&u2, NULL, updater_c, NULL) != 0) {
		perror("pthread_create");
		return 2;
	}
	updater_threads[0] = u;
	updater_threads[1] = u2;
	for (long i = 0; i < NCALLERS; i++)
		if (pthread_create(&c[i], NULL, caller, (void *)i) != 0) {
			perror("pthread_create");
			return 2;
		}
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(c[i], NULL);
	pthread_join(u, NULL);
	pthread_join(u2, NULL);
	double elapsed = now() - start;

	/* After the last update both keys must be settled everywhere. */
	int fa = sc_check_key(&key_a, ta[updates % NTARGETS]);
	int fb = sc_check_key(&key_b, tb[updates % NTARGETS]);
	int ra = call_a(0), rb = call_b(0);
	int settled = ra == 100 + (int)(updates % NTARGETS) &&
		      rb == 200 + (int)(updates % NTARGETS);

	int enough = updates >= min_updates && !starved;
	int ok = !invalid && !stale && !update_errors && !fa && !fb &&
		 settled && !handler_bad && !sc_live_failures() && enough;
	printf("stress: %s: %lu updates x 2 keys (+ %lu by a 2nd updater on "
	       "key_c), %lu calls by %d threads in %.1f s, %lu invalid, "
	       "%lu stale, %d update errors, signal handler calls %lu (%lu "
	       "bad), live-code failures %d, settled %s\n",
	       ok ? "ok" : "FAILED", updates, (unsigned long)updates_c,
	       (unsigned long)calls, NCALLERS, elapsed, (unsigned long)invalid,
	       (unsigned long)stale, (int)update_errors,
	       (unsigned long)handler_calls, (unsigned long)handler_bad,
	       fa + fb + sc_live_failures(), settled ? "yes" : "no");
	if (!enough)
		printf("stress: FAILED: only %lu updates in %.1f s (at least %lu "
		       "needed): the updater was starved, the run proves "
		       "nothing\n", updates, elapsed, min_updates);
	return ok ? 0 : 1;
}
