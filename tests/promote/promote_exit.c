/*
 * promote_exit.c - exit while other threads call through promoted sites
 * (tests/promote/run.sh). Four threads call through a promoted call site
 * and a promoted tail site without end; main returns once both are
 * promoted. At exit the loader runs the destructors, the runtime's
 * unregistration among them, while the threads keep running this
 * program's code, so the stubs must stay mapped: a destructor that runs
 * after the unregistration (priority 101: the .fini_array entries run
 * last to first) gives the threads 100 ms to call through them. Exit
 * status 0 and "exit: ok", or a crash (the stubs were unmapped at
 * unregistration: an atexit flag registered by the runtime's constructor
 * ran after the loader's handler).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "staticcall/promote.h"

typedef long (*fn)(long);
__attribute__((noinline)) static long twice(long x)
{
	__asm__ volatile("");
	return 2 * x;
}
static fn volatile target = twice;

__attribute__((noinline)) long call_site(long x)
{
	return target(x) + 1;
}

__attribute__((noinline)) long tail_site(long x)
{
	return target(x);
}

static volatile long sink;
static void *caller(void *arg)
{
	(void)arg;
	for (long i = 0;; i++)
		sink += call_site(i) + tail_site(i);
	return NULL;
}

__attribute__((destructor(101))) static void after_the_runtime(void)
{
	struct timespec d = { 0, 100 * 1000 * 1000 };
	nanosleep(&d, NULL);
	puts("exit: ok");
	fflush(stdout);
}

int main(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, caller, NULL))
			return 2;
	struct static_call_promote_stats st = { 0 };
	for (int k = 0; k < 400 && st.promoted < 2; k++) {
		struct timespec d = { 0, 10 * 1000 * 1000 };
		nanosleep(&d, NULL);
		if (static_call_promote_stats(&st))
			return 3;
	}
	if (st.promoted < 2) {
		fprintf(stderr, "exit: %zu sites promoted\n", st.promoted);
		return 1;
	}
	return 0;
}
