/*
 * promote_inline.c - inline sites (-fplugin-arg-staticcall_gcc-promote-
 * inline; docs/PATCHING.md "Inline sites") while threads call: 8 threads
 * call through one site, each checking every result against the target
 * it passed; the main thread changes the target (three phases: the
 * first opens the site, the next two widen its stub and the inline
 * compare moves to the new target by the runtime's check of the stub's
 * hits; then the three again, all in the stub: moved by the check), and
 * a timer's signal lands on the threads every 200 us, its handler calling
 * through the same site with a target of its own (a thread interrupted
 * inside the sequence resumes on the slow path). While it waits, the
 * main thread runs fresh promotable sites (promote_inline_noise.c), so
 * the runtime keeps flushing samples, where the checks run. Then the
 * site must have been open on each phase's target, and sealing (PROMOTE_INLINE_SEAL=1)
 * closes it with every call still right. A second site, half its calls
 * to one target and half spread over 32, is given up on (megamorphic)
 * and keeps that target inline. Prints "inline: ..." lines;
 * exits 1 on any wrong result. The targets are in
 * promote_inline_targets.c (another unit: opaque to this one).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "staticcall.h"
#include "staticcall/promote.h"
#include "inline_state.h"

#define THREADS 8

typedef long (*fn_t)(long);
long lib_times3(long x), lib_plus7(long x), lib_neg(long x);
extern long (*const lib_many[32])(long);
static fn_t phase_fn[3] = { lib_times3, lib_plus7, lib_neg };
long inline_noise(unsigned k, fn_t f); /* promote_inline_noise.c */
static _Atomic(fn_t) current;
static atomic_int stop, mix;
static atomic_long wrong, calls, signalled;

/* The inline site: GCC compiles this call as one (the pointer in a
 * register other than %r10 and %r11). */
__attribute__((noinline)) static long call_it(fn_t f, long x)
{
	return f(x) + 1;
}

/* A second inline site: half its calls lib_times3, half spread over 32
 * others: no 8 targets cover 90%, so it is given up on (megamorphic),
 * and keeps comparing lib_times3 inline. */
__attribute__((noinline)) static long call_mega(fn_t f, long x)
{
	return f(x) + 2;
}

static long expect(fn_t f, long x)
{
	return (f == lib_times3 ? 3 * x : f == lib_plus7 ? x + 7 : -x) + 1;
}

static void on_timer(int sig)
{
	(void)sig;
	long x = (long)(atomic_fetch_add(&signalled, 1) & 1023);
	if (call_it(lib_neg, x) != expect(lib_neg, x))
		atomic_fetch_add(&wrong, 1);
}

static void *caller(void *arg)
{
	long x = (long)(intptr_t)arg, n = 0;
	while (!atomic_load(&stop)) {
		fn_t f = atomic_load_explicit(&current, memory_order_relaxed);
		x = (x * 1103515245 + 12345) & 0xffff;
		if (atomic_load_explicit(&mix, memory_order_relaxed))
			f = (x >> 4) & 1 ? lib_plus7 : lib_neg;
		if (call_it(f, x) != expect(f, x))
			atomic_fetch_add(&wrong, 1);
		n++;
	}
	atomic_fetch_add(&calls, n);
	return NULL;
}

/* The site's inline target now (NULL: closed), and its state. */
static const void *inline_target(int *state)
{
	struct static_call_promote_site_info buf[64];
	int n = static_call_promote_sites(buf, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (buf[i].inline_site) {
			*state = buf[i].state;
			return buf[i].inline_target;
		}
	*state = -1;
	return NULL;
}

/* The megamorphic site: called until given up on (at most 2 s), every
 * result checked. Its state, slow site and inline target. */
static const void *mega_target(int *state, const void **slow)
{
	struct static_call_promote_site_info buf[64];
	for (int round = 0; round < 2000; round++) {
		for (long i = 0; i < 2000; i++) {
			fn_t f = i & 1 ? lib_times3 :
					 lib_many[(i * 7 + round) & 31];
			int k = (int)((i * 7 + round) & 31);
			long want = i & 1 ? 3 * i : i + 100 + (k >> 2) * 10 +
							  (k & 3) + 10;
			if (call_mega(f, i) - 2 != want)
				atomic_fetch_add(&wrong, 1);
		}
		int n = static_call_promote_sites(buf, 64);
		for (int i = 0; i < n && i < 64; i++)
			if (buf[i].inline_site && buf[i].state ==
				    STATIC_CALL_PROMOTE_MEGAMORPHIC) {
				*state = buf[i].state;
				*slow = buf[i].address;
				return buf[i].inline_target;
			}
	}
	*state = -1;
	return NULL;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* (the timer's signals cut a nanosleep short: sleep until the time) */
static void sleep_ms(int ms)
{
	for (long end = now_ms() + ms; now_ms() < end;) {
		struct timespec t = { 0, 1000000L };
		nanosleep(&t, NULL);
	}
}

int main(void)
{
	struct static_call_promote_stats st;
	if (static_call_promote_stats(&st) || st.inline_sites != 2) {
		fprintf(stderr, "inline: %zu inline sites, want 2\n",
			st.inline_sites);
		return 1;
	}
	atomic_store(&current, phase_fn[0]);
	signal(SIGALRM, on_timer);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, caller, (void *)(intptr_t)i);
	/* Two rounds of the three phases: in the first each target is new
	 * (the first learned, the next two added to the stub), in the second
	 * the stub holds every target (its hits are not sampled: the
	 * runtime's check of its hit counters moves the compare); each
	 * phase, the site must open on its target within 4 s (a check every
	 * 50 ms at most, two to move: docs/PATCHING.md "Inline sites"). */
	int opened = 0;
	unsigned noise = 0;
	long sink = 0;
	const int waits = getenv("STATICCALL_PROMOTE_INLINE") ? 0 : 400;
	const long t0 = now_ms();
	for (int p = 0; p < 6; p++) {
		fn_t f = phase_fn[p % 3];
		atomic_store(&current, f);
		int state = -1, w = 0;
		for (; w < waits; w++) {
			if (inline_target(&state) == (const void *)f)
				break;
			sink += inline_noise(noise++, lib_plus7);
			sleep_ms(10);
		}
		int open = inline_target(&state) == (const void *)f;
		opened += open;
		printf("inline: phase %d: %s (state %d, %d waits of 10 ms, "
		       "at %ld ms)\n",
		       p, open ? "open on its target" : "not open on its target",
		       state, w, now_ms() - t0);
		sleep_ms(50);
	}
	/* A steady mix, half lib_plus7 and half lib_neg, for 2 s: the site
	 * compares one of them, and its stub's steady half must not close it
	 * for a probe at every check, nor move it from one to the other (a
	 * probe keeps the target it had unless the other took half as many
	 * hits again, and then waits twice as long before the next). Probes
	 * and moves counted by polling (a probe closes the site for a check,
	 * 50 ms or more). */
	if (!getenv("PROMOTE_INLINE_SEAL") && waits) {
		atomic_store(&mix, 1);
		int probes = 0, polls = 0, on_top = 0, moved = 0, state;
		const void *last = inline_target(&state), *open = last;
		for (long end = now_ms() + 2000; now_ms() < end; polls++) {
			const void *t = inline_target(&state);
			probes += !t && last;
			on_top += t == (const void *)lib_plus7 ||
				  t == (const void *)lib_neg;
			moved += t && open && t != open;
			if (t)
				open = t;
			last = t;
			if (polls % 4 == 0)
				sink += inline_noise(noise++, lib_plus7);
			sleep_ms(5);
		}
		atomic_store(&mix, 0);
		printf("inline: steady mix: %d probes in 2 s, %d moves, open on "
		       "one of its targets %d%% of the time\n",
		       probes, moved, polls ? 100 * on_top / polls : 0);
	}
	if (getenv("PROMOTE_INLINE_SEAL")) {
		int err = static_call_seal(STATIC_CALL_SEAL_CODE);
		int state;
		const void *t = inline_target(&state);
		printf("inline: sealed (%d): %s, state %d\n", err,
		       t ? "still open" : "closed", state);
		if (err || t)
			atomic_fetch_add(&wrong, 1000000);
		atomic_store(&current, phase_fn[1]);
		sleep_ms(20);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	if (!getenv("PROMOTE_INLINE_SEAL")) {
		int state;
		const void *slow = NULL;
		const void *t = mega_target(&state, &slow);
		printf("inline: megamorphic site: state %d, %s\n", state,
		       t == (const void *)lib_times3 ? "keeps its top target" :
		       t    ? "keeps another target" :
		       slow ? inline_state(slow, NULL) :
			      "not given up");
	}
	static_call_promote_stats(&st);
	printf("inline: opened=%d calls=%ld signals=%ld wrong=%ld "
	       "inline_open=%zu promotions=%lu demotions=%lu\n",
	       opened, atomic_load(&calls), atomic_load(&signalled),
	       atomic_load(&wrong), st.inline_open, st.promotions,
	       st.demotions);
	return atomic_load(&wrong) || sink == 42 ? 1 : 0;
}
