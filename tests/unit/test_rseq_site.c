/*
 * test_rseq_site.c - the write protocol of the inline-compare site form,
 * prototyped on a hand-written site (fixture_rseq_site_x86_64.S;
 * docs/PATCHING.md "What a stub costs"). No plugin emits the form yet:
 * this is the evidence that its two fields (A, the address compared; B,
 * the call's target) can change under running threads without a thread
 * ever calling one target with another's value (DESIGN §2), by
 *
 *   1. A := the site's own address (closed: no value matches, every
 *      thread arriving takes the slow path; one holding the old A still
 *      calls the old B, which is right);
 *   2. membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ): the kernel
 *      restarts every thread inside the sequence (one that compared
 *      against the old A) at its abort handler, the slow path;
 *   3. B := the new target (whoever is inside now holds the closed A);
 *   4. A := the new target.
 *
 * Without rseq (valgrind, GLIBC_TUNABLES=glibc.pthread.rseq=0) or the
 * barrier (a kernel before 5.10, a seccomp filter) the form cannot be
 * made safe and the tests skip: a runtime would leave such sites closed.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

long rs_call(long (*fp)(long), long x);
extern uint8_t rs_start[], rs_closed[], rs_callsite[], rs_end[];
extern long rs_rseq_cs_off;
extern volatile long rs_aborts;
extern volatile int rs_delay;
long rs_t0(long);

static long rs_t1(long x)
{
	return x + 2000;
}
static long rs_t2(long x)
{
	return x + 3000;
}
static long rs_t3(long x)
{
	return x + 4000;
}
static long (*const targets[4])(long) = { rs_t0, rs_t1, rs_t2, rs_t3 };

static struct sc_object obj;

/* Where the site stores its descriptor when the sequence must not be
 * registered (rs_rseq_cs_off must always name a thread's own word: 0
 * would be the TCB's self pointer). */
static __thread uint64_t not_the_rseq_area;
static void store_outside_the_rseq_area(void)
{
	rs_rseq_cs_off =
		(char *)&not_the_rseq_area - (char *)__builtin_thread_pointer();
}

/* len bytes at p (inside one aligned word) become `bytes`, through the
 * runtime's text writer (one CAS of the word, cores synced after). */
static void write_field(uint8_t *p, const void *bytes, size_t len)
{
	uint64_t *word = (uint64_t *)((uintptr_t)p & ~(uintptr_t)7);
	cr_assert_leq(((uintptr_t)p & 7) + len, 8, "a field straddles a word");
	uint64_t old = *word, new = old;
	memcpy((uint8_t *)&new + ((uintptr_t)p & 7), bytes, len);
	struct sc_write w = { word, old, new,
			      0,    1,	 sc_object_exec_prot(&obj, word, 8) };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
}

static void rel32_to(uint8_t *field, const uint8_t *insn_end, void *to)
{
	int32_t rel = (int32_t)((intptr_t)to - (intptr_t)insn_end);
	write_field(field, &rel, 4);
}

/* Where field A (the lea's disp32) points. */
static const uint8_t *compared(void)
{
	int32_t rel;
	memcpy(&rel, rs_start + 3, 4);
	return rs_start + 7 + rel;
}

/* The protocol; barrier 0: the same writes without step 2 (to show what
 * it is for). */
static void retarget(long (*to)(long), int barrier)
{
	rel32_to(rs_start + 3, rs_start + 7, rs_closed);
	if (barrier)
		cr_assert_eq(syscall(SYS_membarrier,
				     MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0,
				     0),
			     0);
	rel32_to(rs_callsite + 1, rs_end, (void *)to);
	rel32_to(rs_start + 3, rs_start + 7, (void *)to);
}

static void setup(void)
{
	if (__rseq_size == 0)
		cr_skip_test(
			"no rseq area (valgrind, or glibc.pthread.rseq=0)");
	if (syscall(SYS_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		cr_skip_test("no membarrier RSEQ command (kernel before 5.10)");
	rs_rseq_cs_off = __rseq_offset + offsetof(struct rseq, rseq_cs);
	rs_delay = 0;
	if (!obj.nsegs)
		cr_assert_eq(sc_object_locate(&obj, (void *)rs_call), 0);
}

static volatile int hot, stop;
static long wrong;

/* Calls through the site, mostly with the target the site was last
 * pointed at (the fast path), every 8th call with another. */
static void *caller(void *arg)
{
	uint32_t r = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
	long calls = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		r ^= r << 13, r ^= r >> 17, r ^= r << 5;
		int k = r % 8 ? __atomic_load_n(&hot, __ATOMIC_RELAXED) :
				(int)(r % 4);
		long want = targets[k](calls);
		if (rs_call(targets[k], calls) != want)
			__atomic_fetch_add(&wrong, 1, __ATOMIC_RELAXED);
		calls++;
	}
	return (void *)calls;
}

/* Threads calling while the site is retargeted `rounds` times (with or
 * without the barrier); the number of wrong results. */
static long run(int rounds, int barrier, long *restarts)
{
	enum { THREADS = 4 };
	pthread_t th[THREADS];
	wrong = 0;
	stop = 0;
	long aborts = rs_aborts;
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, caller, (void *)i);
	for (int i = 1; i <= rounds; i++) {
		retarget(targets[i % 4], barrier);
		__atomic_store_n(&hot, i % 4, __ATOMIC_RELAXED);
		usleep(50);
	}
	stop = 1;
	long calls = 0;
	for (int i = 0; i < THREADS; i++) {
		void *c;
		pthread_join(th[i], &c);
		calls += (long)c;
	}
	cr_assert_gt(calls, (long)rounds, "the threads hardly called");
	*restarts = rs_aborts - aborts;
	return wrong;
}

Test(rseq_site, fields_lie_inside_words_and_a_new_site_is_closed)
{
	store_outside_the_rseq_area();
	cr_assert_eq(((uintptr_t)rs_start + 3) % 8 + 4 <= 8, 1);
	cr_assert_eq(((uintptr_t)rs_callsite + 1) % 8 + 4 <= 8, 1);
	cr_assert_eq(rs_callsite[0], 0xe8);
	cr_assert_eq(compared(), rs_closed);
	/* closed: every value its own target, by the slow path */
	for (int k = 0; k < 4; k++)
		cr_assert_eq(rs_call(targets[k], 5), targets[k](5));
}

/* Each target in turn the site's: every call with any value reaches
 * that value's function. */
Test(rseq_site, an_open_site_calls_the_value_it_is_given, .init = setup)
{
	for (int t = 0; t < 4; t++) {
		retarget(targets[t], 1);
		cr_assert_eq(compared(), (const uint8_t *)targets[t]);
		for (int k = 0; k < 4; k++)
			cr_assert_eq(rs_call(targets[k], 7), targets[k](7));
	}
}

/* The protocol while four threads call: never a wrong result, and the
 * kernel restarted some threads it found inside the sequence (the
 * barrier's and preemption's restarts). */
Test(rseq_site, retargeting_under_calling_threads_never_mixes_fields,
     .init = setup, .timeout = 60)
{
	long restarts;
	cr_assert_eq(run(3000, 1, &restarts), 0,
		     "a call reached another target than its value");
	cr_assert_gt(restarts, 0, "no thread was ever restarted");
}

/* The window held open (5,000 pauses between the compare and the call):
 * threads are inside it at almost every write. With the barrier, still
 * never a wrong result; without it, wrong calls (a thread that matched
 * the old A calls the new B): the test above would see a protocol
 * missing its barrier. */
Test(rseq_site, the_barrier_restarts_threads_held_inside_the_window,
     .init = setup, .timeout = 60)
{
	long restarts, wrong_without = 0;
	rs_delay = 5000;
	cr_assert_eq(run(1000, 1, &restarts), 0,
		     "a call reached another target than its value");
	cr_assert_gt(restarts, 100, "threads in the window not restarted");
	/* (most threads in the window are restarted anyway, by preemption:
	 * up to 10 runs for one that was not) */
	for (int i = 0; i < 10 && !wrong_without; i++)
		wrong_without = run(1000, 0, &restarts);
	cr_log_info("rseq_site: without the barrier, %ld wrong calls",
		    wrong_without);
	cr_assert_gt(
		wrong_without, 0,
		"no wrong call without the barrier: this test cannot tell");
}

/* Without the sequence (the site's descriptor stored elsewhere), the
 * barrier restarts nobody: wrong calls again. The restart is the
 * kernel's, not the order of the writes. */
Test(rseq_site, without_the_sequence_the_barrier_is_not_enough, .init = setup,
     .timeout = 60)
{
	long restarts, wrong_calls = 0;
	rs_delay = 5000;
	store_outside_the_rseq_area();
	for (int i = 0; i < 10 && !wrong_calls; i++) {
		wrong_calls = run(1000, 1, &restarts);
		cr_assert_eq(restarts, 0);
	}
	cr_log_info("rseq_site: without the sequence, %ld wrong calls",
		    wrong_calls);
	cr_assert_gt(wrong_calls, 0,
		     "no wrong call with the sequence unregistered");
}
