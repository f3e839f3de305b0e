/*
 * promote_terminal.c - a promote-plain unit's given-up sites in place
 * (tests/promote/run.sh; docs/PATCHING.md "Given-up sites of a plain
 * build"): a megamorphic call site and a megamorphic tail site (16
 * targets, uniform), called by 6 threads, every result checked, while
 * the runtime gives them up on and writes each, in its own five bytes,
 * as a NOP and `call *%reg` (`jmp *%reg`); then static_call_seal(CODE)
 * while the threads keep calling: the sites keep those bytes (a thread
 * may be parked between the NOP and the call), and every call stays
 * right. Bounded: 4 s to be given up on, 0.3 s of calls after sealing.
 * Exit status 0 and "terminal: ok" on stdout, else a reason on stderr.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <staticcall.h>
#include <staticcall/promote.h>

#define NTHREADS 6

#define F(n)                                               \
	__attribute__((noinline)) static long f##n(long x) \
	{                                                  \
		return x * (n + 5) + n;                    \
	}
/* clang-format off */
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13)
F(14) F(15)
static long (*const table[16])(long) = { f0, f1, f2,  f3,  f4,  f5,
					 f6, f7, f8,  f9,  f10, f11,
					 f12, f13, f14, f15 };
/* clang-format on */

/* the call site: `call thunk` */
__attribute__((noinline)) static long call_site(long (*f)(long), long x)
{
	return f(x) + 1;
}
/* the tail site: `jmp thunk` */
__attribute__((noinline)) long tail_site(long (*f)(long), long x)
{
	return f(x);
}
/* keeps the compiler from seeing through the pointers */
long (*volatile via_call)(long (*)(long), long) = call_site;
long (*volatile via_tail)(long (*)(long), long) = tail_site;

static volatile int stop;
static int started;

static void *caller(void *arg)
{
	unsigned x = (unsigned)(uintptr_t)arg * 2654435761u;
	long calls = 0, errors = 0;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	while (!stop) {
		x = x * 1103515245u + 12345u;
		int k = (int)(x >> 16) % 16;
		long v = (long)(x >> 8 & 0xffff);
		long want = v * (k + 5) + k;
		errors += via_call(table[k], v) != want + 1;
		errors += via_tail(table[k], v) != want;
		calls += 2;
	}
	return (void *)(errors ? -1 : calls);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Does the site at p hold a NOP and `call *%reg` (tail: `jmp *%reg`),
 * ending at p+5? (runtime/promote_x86_64.c, sc_parch_in_place_encode) */
static int in_place(const unsigned char *p, int reg, int tail)
{
	unsigned char op = (unsigned char)((tail ? 0xe0 : 0xd0) | (reg & 7));
	if (reg < 8)
		return p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x00 &&
		       p[3] == 0xff && p[4] == op;
	return p[0] == 0x66 && p[1] == 0x90 && p[2] == 0x41 && p[3] == 0xff &&
	       p[4] == op;
}

/* Is the site at a inside fn (its first 64 bytes)? */
static int inside(const void *a, const void *fn)
{
	return (const char *)a >= (const char *)fn &&
	       (const char *)a < (const char *)fn + 64;
}

/* The two sites' info (the callers' calls through via_call and via_tail
 * are sites too: monomorphic, promoted): 0 when both are found; given:
 * both given up on. */
static int sites(struct static_call_promote_site_info si[2], int *given)
{
	struct static_call_promote_site_info all[16];
	int n = static_call_promote_sites(all, 16), found = 0;
	*given = 1;
	for (int i = 0; i < n && i < 16; i++) {
		int t = inside(all[i].address, (const void *)tail_site) ? 1 :
			inside(all[i].address, (const void *)call_site) ? 0 :
									  -1;
		if (t < 0 || all[i].tail != t)
			continue;
		si[t] = all[i];
		found |= 1 << t;
		*given &= all[i].state == STATIC_CALL_PROMOTE_MEGAMORPHIC;
	}
	return found == 3 ? 0 : -1;
}

/* _exit: the threads are still calling (exit's destructors would run
 * under them) */
static void fail(const char *why)
{
	fprintf(stderr, "promote_terminal: %s\n", why);
	fflush(stderr);
	_exit(1);
}

int main(void)
{
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, caller, (void *)(i + 1));
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NTHREADS)
		sched_yield();
	struct static_call_promote_site_info si[2];
	int given = 0;
	double t0 = now();
	while (now() - t0 < 4.0) {
		if (sites(si, &given))
			fail("the two sites are not registered");
		if (given)
			break;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	if (!given)
		fail("not given up on within 4 s");
	unsigned char before[2][5];
	for (int t = 0; t < 2; t++) {
		memcpy(before[t], si[t].address, 5);
		if (!in_place(before[t], si[t].reg, t)) {
			fprintf(stderr,
				"promote_terminal: %s site not in place: "
				"%02x %02x %02x %02x %02x\n",
				t ? "tail" : "call", before[t][0], before[t][1],
				before[t][2], before[t][3], before[t][4]);
			fail("(above)");
		}
	}
	/* sealing while the threads call: the sites stay as they are */
	if (static_call_seal(STATIC_CALL_SEAL_CODE))
		fail("static_call_seal(CODE) failed");
	t0 = now();
	while (now() - t0 < 0.3) {
		for (int t = 0; t < 2; t++)
			if (memcmp(before[t], si[t].address, 5))
				fail("a site in place written again");
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	stop = 1;
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		if ((long)r <= 0)
			fail((long)r < 0 ? "a call got a wrong result" :
					   "a thread made no call");
	}
	if (sites(si, &given) || !given)
		fail("not given up on after sealing");
	printf("terminal: ok\n");
	return 0;
}
