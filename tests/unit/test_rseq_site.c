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

#include "promote.h"

long rs_call(long (*fp)(long), long x);
extern uint8_t rs_start[], rs_closed[], rs_callsite[], rs_end[];
extern long rs_rseq_cs_off;
extern volatile long rs_aborts;
extern volatile uintptr_t rs_hold;
extern volatile int rs_inside;
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
	cr_assert_leq(((uintptr_t)p & 7) + len, 8, "a field straddles a word");
	uint8_t seen[8];
	sc_promote_read_bytes(p, seen, len);
	cr_assert_eq(sc_promote_write_bytes(&obj, p, seen, bytes, len), 0);
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
 * it is for). at_gap(g) runs before step 1 (g 0), after each step (1-3)
 * and after the last (4): the tests put a thread into the site there. */
static void retarget_with(long (*to)(long), int barrier, void (*at_gap)(int))
{
	at_gap(0);
	rel32_to(rs_start + 3, rs_start + 7, rs_closed);
	at_gap(1);
	if (barrier)
		cr_assert_eq(syscall(SYS_membarrier,
				     MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0,
				     0),
			     0);
	at_gap(2);
	rel32_to(rs_callsite + 1, rs_end, (void *)to);
	at_gap(3);
	rel32_to(rs_start + 3, rs_start + 7, (void *)to);
	at_gap(4);
}

static void no_gap(int g)
{
	(void)g;
}

static void retarget(long (*to)(long), int barrier)
{
	retarget_with(to, barrier, no_gap);
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

/* Threads calling while the site is retargeted `rounds` times; the
 * number of wrong results. */
static long run(int rounds, long *restarts)
{
	enum { THREADS = 4 };
	pthread_t th[THREADS];
	wrong = 0;
	stop = 0;
	long aborts = rs_aborts;
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, caller, (void *)i);
	for (int i = 1; i <= rounds; i++) {
		retarget(targets[i % 4], 1);
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
	cr_assert_eq(run(3000, &restarts), 0,
		     "a call reached another target than its value");
	cr_assert_gt(restarts, 0, "no thread was ever restarted");
}

/* ---- a thread held between the compare and the call ------------------ */

static struct {
	int gap;	    /* where it enters */
	long (*with)(long); /* the value it calls with */
	pthread_t th;
	long got;
	volatile int done;
} held;

static void *held_caller(void *arg)
{
	(void)arg;
	rs_hold = (uintptr_t)__builtin_thread_pointer();
	held.got = rs_call(held.with, 1);
	held.done = 1;
	return NULL;
}

/* At each gap, this thread calls through the site with the old target
 * and the new (at once: the state there must be right); at held.gap, a
 * thread enters and is held there if it matched A (rs_inside), else it
 * took the slow path (done). */
static void at_gap_check(int g)
{
	for (int k = 0; k < 2; k++)
		cr_assert_eq(rs_call(targets[k], 1), targets[k](1),
			     "a call with t%d after step %d: a wrong target", k,
			     g);
	if (g != held.gap)
		return;
	cr_assert_eq(pthread_create(&held.th, NULL, held_caller, NULL), 0);
	while (!rs_inside && !held.done)
		sched_yield();
}

/* The site on rs_t0, then retargeted to rs_t1 (with or without the
 * barrier) while a thread calling with `with` enters at `gap`, is held
 * there if it matched A, and goes on after the last step. What its
 * call returned; *held_on: it was held (matched A) and not restarted
 * (by the barrier, or by preemption or an interrupt: the kernel may
 * restart a thread at any of them). */
static long held_through(int gap, long (*with)(long), int barrier, int *held_on)
{
	retarget(rs_t0, 1);
	held.gap = gap;
	held.with = with;
	held.done = 0;
	rs_inside = 0;
	long aborts = rs_aborts;
	retarget_with(rs_t1, barrier, at_gap_check);
	int inside = rs_inside;
	rs_hold = 0;
	pthread_join(held.th, NULL);
	*held_on = inside && rs_aborts == aborts;
	return held.got;
}

/* Each step of the protocol, with a call of the old target and of the
 * new after it, and a thread entering there held between the compare
 * and the call (if it matches A) until the protocol is over: every call
 * reaches its value's function. A held thread the kernel happened to
 * restart (preemption, an interrupt) proves nothing: tried again, up to
 * 20 times, for one that stayed. Any order of the steps that lets a
 * thread match an A whose B then changes, or leaves A and B apart at a
 * step, fails here. */
Test(rseq_site, a_thread_at_each_step_calls_its_value, .init = setup)
{
	for (int gap = 0; gap <= 4; gap++)
		for (int v = 0; v < 2; v++) {
			long (*with)(long) = targets[v];
			int held_on = 0;
			for (int i = 0; i < 20 && !held_on; i++) {
				cr_assert_eq(held_through(gap, with, 1,
							  &held_on),
					     with(1),
					     "held after step %d with t%d: "
					     "a wrong call",
					     gap, v);
				if (!rs_inside)
					break; /* not held: took the slow path */
			}
			if (gap == 0 && !v)
				cr_assert_eq(
					held_on, 0,
					"matched the old A, not restarted");
		}
}

/* The same without the barrier: a thread that matched the old A before
 * step 1 and was not restarted calls the new B with the old value (a
 * try where the kernel restarted it anyway is tried again). The test
 * above sees a protocol missing its barrier. */
Test(rseq_site, without_the_barrier_a_held_thread_calls_the_wrong_target,
     .init = setup)
{
	int held_on = 0;
	long got = 0;
	for (int i = 0; i < 50 && !held_on; i++)
		got = held_through(0, rs_t0, 0, &held_on);
	cr_assert(held_on, "held and not restarted in none of 50 tries");
	cr_assert_eq(got, rs_t1(1), "not the wrong call expected");
}

/* Without the sequence (the site's descriptor stored elsewhere) the
 * kernel restarts nobody, the barrier neither: the held thread calls
 * the wrong target. The restart is the kernel's, not the writes' order. */
Test(rseq_site, without_the_sequence_the_barrier_is_not_enough, .init = setup)
{
	int held_on;
	store_outside_the_rseq_area();
	long got = held_through(0, rs_t0, 1, &held_on);
	cr_assert(held_on);
	cr_assert_eq(got, rs_t1(1), "not the wrong call expected");
}
