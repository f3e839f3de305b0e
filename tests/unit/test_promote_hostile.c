/*
 * Promotion against a hostile user (runtime/promote*.c, issue 16):
 *
 *  - the sampler re-entered from a signal handler on the same thread
 *    (a handler whose indirect calls reach their thunks' sample block
 *    while the interrupted thread is inside the sampler or its flush):
 *    the per-thread buffer is never overrun and flushes go on; and a
 *    handler calling through a site while its thread learns and
 *    re-targets that site gets the right result every time;
 *  - corrupt `__staticcall_promote` tables: one outside any object, one
 *    whose end lies past its object's memory (a huge count), records
 *    naming executable code outside the object or the object's data:
 *    refused (reported), never read out of bounds, nothing written;
 *  - fork() while other threads learn and re-target sites: each child
 *    runs on (the runtime's lock free, its calls right), with no mapping
 *    writable and executable and the object's code not writable;
 *  - static_call_seal(CODE) while threads learn: the site back on its
 *    thunk, the thunk plain, no sample and no promotion after it.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "under_valgrind.h"
#include "promote.h"
#include "staticcall.h"
#include "staticcall/promote.h"
#include "staticcall_abi.h"

void __staticcall_promote_register(const void *, const void *);
void __staticcall_promote_unregister(const void *, const void *);
extern uint8_t pt_thunk_rax[], pt_site_rax_0[];
extern uint8_t __start_pt_promote_table[], __stop_pt_promote_table[];
extern uint8_t pt_t0[], pt_t1[], pt_t2[];
int pt_via_rax_0(void *value);

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void handler(int sig)
{
	(void)sig;
	/* What a handler's indirect calls do when its thread's tick runs
	 * out: samples that name no site (dropped at the flush). */
	for (int i = 0; i < 40; i++)
		sc_promote_sample_entry(0x1000 + i, 0x2000, 0);
}

static volatile int stop;
static void *signaller(void *arg)
{
	pthread_t victim = *(pthread_t *)arg;
	while (!stop) {
		pthread_kill(victim, SIGUSR1);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	return NULL;
}

static unsigned long samples_flushed(void)
{
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	return st.samples;
}

Test(promote_hostile, sampler_reentered_from_a_signal_handler)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	pthread_t self = pthread_self(), th;
	cr_assert_eq(pthread_create(&th, NULL, signaller, &self), 0);
	double end = now_s() + 1.5;
	unsigned long n = 0;
	while (now_s() < end)
		for (int i = 0; i < 1000; i++, n++)
			sc_promote_sample_entry(0x3000 + (i & 7), 0x4000, 0);
	stop = 1;
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_DFL);
	/* the buffer still works: each 32 samples flush */
	unsigned long s0 = samples_flushed();
	for (int i = 0; i < 4 * 32; i++)
		sc_promote_sample_entry(0x5000, 0x6000, 0);
	unsigned long s1 = samples_flushed();
	cr_assert(s1 >= s0 + 3 * 32, "flushed %lu samples of 128 (%lu made)",
		  s1 - s0, n);
}

/* The same through the fixture's sites: the handler calls through a
 * learning site while the interrupted thread calls, samples and flushes
 * (promoting, widening, demoting) through the same site. */
static volatile int wrong;
static void calling_handler(int sig)
{
	(void)sig;
	for (int i = 0; i < 40; i++)
		if (pt_via_rax_0(i & 1 ? pt_t1 : pt_t2) != (i & 1 ? 11 : 12))
			wrong = 1;
}

Test(promote_hostile, signal_handler_calls_through_sites_during_flushes)
{
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = calling_handler;
	sa.sa_flags = SA_RESTART;
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	stop = 0;
	pthread_t self = pthread_self(), th;
	cr_assert_eq(pthread_create(&th, NULL, signaller, &self), 0);
	void *t[3] = { pt_t0, pt_t1, pt_t2 };
	double end = now_s() + 1.5;
	for (unsigned long i = 0; now_s() < end; i++)
		for (int k = 0; k < 1000; k++) {
			int which = (i >> 4) % 3 ? k % ((i >> 4) % 3 + 1) : 0;
			if (pt_via_rax_0(t[which]) != 10 + which)
				wrong = 1;
		}
	stop = 1;
	pthread_join(th, NULL);
	signal(SIGUSR1, SIG_DFL);
	cr_assert(!wrong, "a call through a site reached the wrong target");
	cr_assert_gt(samples_flushed(), 0);
}

/* ---- corrupt tables ---------------------------------------------------- */

static struct sc_abi_promote table[4]; /* in the object's data */

static void set_site(struct sc_abi_promote *r, const void *site, uint32_t flags)
{
	intptr_t d = (intptr_t)site - (intptr_t)&r->site_rel;
	cr_assert(d == (int32_t)d, "site %p out of rel32 range", site);
	r->site_rel = (int32_t)d;
	r->flags = flags;
}

static size_t objects_registered(size_t *rejected)
{
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	if (rejected)
		*rejected = st.rejected;
	return st.objects;
}

Test(promote_hostile, a_table_outside_any_object_is_refused)
{
	struct sc_abi_promote *heap = calloc(4, sizeof *heap);
	__staticcall_promote_register(heap, heap + 4);
	cr_assert_eq(objects_registered(NULL), 0);
	free(heap);
}

Test(promote_hostile, a_table_past_its_objects_memory_is_refused)
{
	uint8_t before[8];
	memcpy(before, pt_site_rax_0, 8);
	set_site(&table[0], pt_site_rax_0, 0);
	/* 2^20 records (8 MiB): past the object's data */
	__staticcall_promote_register(
		table, (const void *)((uintptr_t)table + (8ul << 20)));
	cr_assert_eq(objects_registered(NULL), 0);
	/* end before begin, or misaligned: refused too */
	__staticcall_promote_register(table + 2, table);
	__staticcall_promote_register((char *)table + 1, table + 2);
	cr_assert_eq(objects_registered(NULL), 0);
	cr_assert_eq(memcmp(before, pt_site_rax_0, 8), 0);
}

Test(promote_hostile, records_naming_code_outside_the_object_are_refused)
{
	/* Executable memory near the object holding a perfect site:
	 * `call pt_thunk_rax`, aligned in its word, but not the object's. */
	struct sc_execmem m;
	size_t ps = sc_page_size();
	uintptr_t lo = (uintptr_t)pt_thunk_rax;
	cr_assert_eq(sc_execmem_reserve(&m, lo, lo + 64, ps, sc_parch_reach,
					sc_parch_fill()),
		     0);
	uint8_t *fake = sc_execmem_room(&m, 16);
	cr_assert_not_null(fake);
	fake[0] = 0xe8;
	int32_t rel = (int32_t)(pt_thunk_rax - (fake + 5));
	memcpy(fake + 1, &rel, 4);
	cr_assert_eq(sc_execmem_seal(&m), 0);
	static uint8_t data_site[8] = { 0xe8 }; /* the object's data */
	uint8_t before[2][8];
	memcpy(before[0], fake, 8);
	memcpy(before[1], data_site, 8);
	set_site(&table[0], fake, 0);
	set_site(&table[1], data_site, 0);
	set_site(&table[2], pt_thunk_rax, 0); /* a thunk, not a site */
	size_t rejected;
	__staticcall_promote_register(table, table + 3);
	cr_assert_eq(objects_registered(&rejected), 1);
	cr_assert_eq(rejected, 3);
	struct static_call_promote_site_info si[3];
	cr_assert_eq(static_call_promote_sites(si, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(si[i].state, STATIC_CALL_PROMOTE_REJECTED);
	cr_assert_eq(memcmp(before[0], fake, 8), 0);
	cr_assert_eq(memcmp(before[1], data_site, 8), 0);
	uint64_t slot;
	memcpy(&slot, pt_thunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(0), "a thunk made sampling");
	__staticcall_promote_unregister(table, table + 3);
	cr_assert_eq(objects_registered(NULL), 0);
	sc_execmem_release(&m);
}

/* ---- fork during flushes ------------------------------------------------ */

static void *caller(void *arg)
{
	(void)arg;
	void *t[3] = { pt_t0, pt_t1, pt_t2 };
	/* phases of one, two, three targets: promotions, widenings,
	 * demotions, each a flush writing code under the lock */
	for (unsigned long i = 0; !stop; i++)
		if (pt_via_rax_0(
			    t[(i >> 12) % 3 > 0 ? i % ((i >> 12) % 3 + 1) : 0]) <
		    10)
			abort();
	return NULL;
}

/* In the child: no mapping writable and executable (1), none of the
 * object's code writable (2); the runtime's lock free (stats take it: 4),
 * calls right while flushes go on (8). */
static int child_checks(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	char perms[5];
	int bad = 0;
	uintptr_t code = (uintptr_t)pt_via_rax_0;
	while (f && fscanf(f, "%lx-%lx %4s%*[^\n]", &a, &b, perms) == 3) {
		if (perms[1] == 'w' && perms[2] == 'x' && !under_valgrind())
			bad |= 1;
		if (code >= a && code < b && perms[1] == 'w')
			bad |= 2;
	}
	if (f)
		fclose(f);
	struct static_call_promote_stats st;
	if (static_call_promote_stats(&st))
		bad |= 4;
	for (int i = 0; i < 20000; i++)
		if (pt_via_rax_0(pt_t0) != 10)
			bad |= 8;
	return bad;
}

Test(promote_hostile, fork_while_other_threads_flush)
{
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	stop = 0;
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, caller, NULL), 0);
	double end = now_s() + 1.5;
	int forks = 0;
	while (now_s() < end) {
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (!pid) {
			alarm(5); /* a lock held forever: killed */
			_exit(child_checks());
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "child %d: status %#x (exit: 1 W+X, 2 code writable, "
			  "4 lock, 8 wrong result)",
			  forks, status);
		forks++;
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	/* flushes ran (on a loaded machine, perhaps no promotion yet) */
	cr_assert(st.samples > 0, "no flush while forking");
}

/* ---- sealing the code while sites learn --------------------------------- */

Test(promote_hostile, seal_code_while_threads_promote)
{
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	stop = 0;
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, caller, NULL), 0);
	double end = now_s() + 0.7;
	while (now_s() < end)
		sched_yield();
	cr_assert_eq(static_call_seal(STATIC_CALL_SEAL_CODE), 0);
	struct static_call_promote_stats st0, st1;
	cr_assert_eq(static_call_promote_stats(&st0), 0);
	/* the code is as compiled: the site on its thunk, the thunk plain */
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), pt_thunk_rax);
	uint64_t slot;
	memcpy(&slot, pt_thunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(0));
	end = now_s() + 0.3; /* callers go on: nothing changes any more */
	while (now_s() < end)
		sched_yield();
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(static_call_promote_stats(&st1), 0);
	cr_assert_eq(st1.promotions, st0.promotions);
	cr_assert_eq(st1.samples, st0.samples);
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), pt_thunk_rax);
	cr_assert_eq(pt_via_rax_0(pt_t1), 11);
}
