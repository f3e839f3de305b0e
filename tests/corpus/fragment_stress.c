/* Sites switching between one-instruction fragments (imul, mov, popcnt),
 * an ordinary call, return-zero (and, where the runtime has them,
 * return-constant and return-argument) while 8 threads call them and are
 * stopped at random instructions (SIGUSR1, a short sleep in the handler).
 * Call and tail sites at 8 paddings, so the sites land at every offset of
 * an aligned word the compiler gives. Every result must be what one of the
 * forms returns for the argument; a torn instruction usually kills the
 * program. 1 s with the plugin (0.2 s without); prints "ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "staticcall.h"

#define NCALLERS 8
#define NOINLINE __attribute__((noinline))

NOINLINE static long t_call(long x) { return 5 * x + 1; }
#if defined(__x86_64__)
STATIC_CALL_FRAGMENT("imul $3, %rdi, %rax")
long f_imul(long x) { return 3 * x; }
STATIC_CALL_FRAGMENT("mov %rdi, %rax")
long f_mov(long x) { return x; }
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
long f_pop(long x) { return __builtin_popcountl((unsigned long)x); }
#elif defined(__aarch64__)
/* (arm64 sites keep calling: these only run as functions) */
STATIC_CALL_FRAGMENT("add x0, x0, x0, lsl #1")
long f_imul(long x) { return 3 * x; }
STATIC_CALL_FRAGMENT("mov x0, x0")
long f_mov(long x) { return x; }
NOINLINE static long f_pop(long x) { return __builtin_popcountl((unsigned long)x); }
#else
NOINLINE static long f_imul(long x) { return 3 * x; }
NOINLINE static long f_mov(long x) { return x; }
NOINLINE static long f_pop(long x) { return __builtin_popcountl((unsigned long)x); }
#endif

long (*STATIC_CALL k)(long) = t_call;

#define PAD(n) __asm__ volatile(".rept " #n "\n\tnop\n\t.endr")
#define SITES(n)                                                          \
	NOINLINE static long call_##n(long x) { PAD(n); return k(x) + 1; } \
	NOINLINE static long tail_##n(long x) { PAD(n); return k(x); }
SITES(0) SITES(1) SITES(2) SITES(3) SITES(4) SITES(5) SITES(6) SITES(7)
static long (*const calls[16])(long) = {
	call_0, call_1, call_2, call_3, call_4, call_5, call_6, call_7,
	tail_0, tail_1, tail_2, tail_3, tail_4, tail_5, tail_6, tail_7,
};

#define CONST_VALUE 7
static int valid(long x, long r)
{
	return r == 5 * x + 1 || r == 3 * x || r == x ||
	       r == __builtin_popcountl((unsigned long)x) || r == 0 ||
	       r == CONST_VALUE;
}

static atomic_int stop, bad;
static atomic_long ncalls;
static int has_popcnt;

static void kicked(int sig)
{
	(void)sig;
	struct timespec ts = { 0, 20 * 1000 };
	nanosleep(&ts, NULL);
}

static void *caller(void *arg)
{
	unsigned long seed = (unsigned long)arg * 0x9e3779b97f4a7c15ul + 1;
	long n = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		long x = (long)(seed >> 20) & 0xffffff;
		int i = (int)(seed >> 8) & 15;
		long r = calls[i](x) - (i < 8);
		if (!valid(x, r)) {
			fprintf(stderr, "site %d: %ld gave %ld\n", i, x, r);
			atomic_fetch_add(&bad, 1);
		}
		n++;
	}
	atomic_fetch_add(&ncalls, n);
	return NULL;
}

static int update(int form)
{
	switch (form) {
	case 0:
		return static_call_update(k, t_call);
	case 1:
		return static_call_update(k, f_imul);
	case 2:
		return static_call_update(k, f_mov);
	case 3:
		return has_popcnt ? static_call_update(k, f_pop) : 0;
	case 4:
		return static_call_update_ret0(k);
#ifdef static_call_update_const
	case 5:
		return static_call_update_const(k, CONST_VALUE);
	case 6:
		return static_call_update_ret_arg(k, 0);
#endif
	default:
		k = f_imul; /* a plain store, routed by the plugin */
		return 0;
	}
}

int main(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;
	has_popcnt = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_POPCNT);
#endif
#ifdef __STATICCALL_PLUGIN__
	const double secs = 1.0;
#else
	const double secs = 0.2;
#endif
	struct sigaction sa = { .sa_handler = kicked };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t th[NCALLERS];
	for (long i = 0; i < NCALLERS; i++)
		if (pthread_create(&th[i], NULL, caller, (void *)(i + 1)))
			return 1;
	struct timespec t0, now, nap = { 0, 50 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long seed = 12345, updates = 0;
	do {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		if (update((int)(seed >> 33) % 8)) {
			fprintf(stderr, "update failed\n");
			atomic_fetch_add(&bad, 1);
		}
		updates++;
		pthread_kill(th[(seed >> 40) % NCALLERS], SIGUSR1);
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 <
		 secs);
	atomic_store(&stop, 1);
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "fragment_stress: %lu updates, %ld calls, %d bad\n",
		updates, atomic_load(&ncalls), atomic_load(&bad));
	if (atomic_load(&bad) || static_call_verify())
		return 1;
	printf("ok\n");
	return 0;
}
