/*
 * test_rseq_selftest.c - the kernel self-test that decides whether
 * inline sites may open (runtime/promote_inline.c, kernel_restarts;
 * docs/PATCHING.md "Inline sites"): a thread of the runtime's waits
 * inside a restartable sequence on another CPU and must be sent to its
 * abort handler by the rseq barrier, with no context switch meanwhile.
 *
 *  - this kernel passes it;
 *  - a sequence the kernel never restarts (its descriptor's range empty:
 *    what a kernel that ignores the registration does) fails it;
 *  - a barrier that restarts nobody (a no-op in the barrier's place)
 *    fails it too, though preemption (and this kernel's own abort of a
 *    thread spinning ~100 ms) still restarts the thread: the test tells
 *    the barrier's restart from the others; also when the caller is
 *    pinned to one CPU (the process still has others);
 *  - a real-time caller (SCHED_FIFO, where allowed) still passes, and
 *    does not starve the test's thread.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "promote.h"
#include "promote_inline.h"

extern const unsigned int __rseq_size __attribute__((weak));

static void need_rseq(void)
{
	if (!&__rseq_size || __rseq_size == 0)
		cr_skip_test("no rseq area (valgrind, or glibc.pthread.rseq=0)");
	if (syscall(SYS_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		cr_skip_test("no membarrier RSEQ command (kernel before 5.10)");
}

static void need_two_cpus(void)
{
	cpu_set_t cpus;
	if (sched_getaffinity(0, sizeof cpus, &cpus) || CPU_COUNT(&cpus) < 2)
		cr_skip_test("one CPU: the barrier's restart cannot be told "
			     "from a preemption's");
}

static int nobody_restarted(void)
{
	return 0; /* "done", and no thread was sent anywhere */
}

Test(rseq_selftest, this_kernel_restarts_a_thread_inside_a_sequence)
{
	need_rseq();
	const char *why = sc_pinline_kernel_test();
	cr_assert_null(why, "%s", why);
}

Test(rseq_selftest, a_sequence_never_restarted_fails)
{
	need_rseq();
	sc_pinline_test_probe_outside = 1;
	cr_assert_str_eq(sc_pinline_kernel_test(),
			 "the barrier did not restart a thread inside a "
			 "sequence at once (self-test)");
}

Test(rseq_selftest, a_barrier_that_restarts_nobody_fails)
{
	need_rseq();
	need_two_cpus();
	sc_pinline_test_barrier = nobody_restarted;
	/* the thread is aborted late (this kernel: ~100 ms, no switch), or
	 * never, or every try ends preempted: each way it fails */
	cr_assert_not_null(sc_pinline_kernel_test());
}

Test(rseq_selftest, a_barrier_that_restarts_nobody_fails_for_a_pinned_caller)
{
	need_rseq();
	need_two_cpus();
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	cr_assert_eq(pthread_setaffinity_np(pthread_self(), sizeof one, &one),
		     0);
	sc_pinline_test_barrier = nobody_restarted;
	cr_assert_not_null(sc_pinline_kernel_test());
}

Test(rseq_selftest, a_real_time_caller_still_passes)
{
	need_rseq();
	need_two_cpus();
	struct sched_param fifo = { 10 };
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo))
		cr_skip_test("SCHED_FIFO not allowed here");
	const char *why = sc_pinline_kernel_test();
	cr_assert_null(why, "%s", why);
}
