/*
 * lock.c - the registry's one lock, and asynchronous signals around it.
 *
 * Every entry point takes the lock through sc_lock(), which blocks the
 * thread's asynchronous signals first and restores them after the unlock:
 * a handler (SIGALRM, SIGUSR1, a timer) that calls the runtime can then
 * never run on a thread holding the lock, so it never waits for itself;
 * its call simply runs once the interrupted one has finished. Two
 * rt_sigprocmask calls per entry, next to the mprotects and membarriers of
 * an update. Faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) stay
 * deliverable: a blocked fault would kill the process instead of reaching
 * the program's handler. A call made while this thread holds the lock (from
 * such a handler, or from code the runtime calls, e.g. an interposed
 * malloc) is refused with -EDEADLK instead of locking again: lock_owner
 * names the holding thread.
 *
 * Every copy of the runtime guards its own lock; only the chosen one
 * (process.c) is ever taken.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t lock_owner;

int sc_lock_held_by_me(void)
{
	return __atomic_load_n(&lock_owner, __ATOMIC_RELAXED) ==
	       (uintptr_t)pthread_self();
}

int sc_lock(sigset_t *saved)
{
	static const int faults[] = { SIGSEGV, SIGBUS,	SIGILL,
				      SIGFPE,  SIGTRAP, SIGSYS };
	if (sc_lock_held_by_me())
		return -EDEADLK;
	sigset_t block;
	sigfillset(&block);
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		sigdelset(&block, faults[i]);
	pthread_sigmask(SIG_BLOCK, &block, saved);
	pthread_mutex_lock(&lock);
	__atomic_store_n(&lock_owner, (uintptr_t)pthread_self(),
			 __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return 0;
}

/* The binder's: it may run in a thread that holds the lock (a hook
 * called from an interposed malloc, a signal handler), so it never
 * waits. */
int sc_trylock(sigset_t *saved)
{
	uintptr_t owner = __atomic_load_n(&lock_owner, __ATOMIC_RELAXED);
	if (owner == (uintptr_t)pthread_self())
		return -EDEADLK;
	/* Held by another thread: a lock we will not take needs no signal
	 * mask, and a busy binder call then costs no system call (the mask
	 * below is two rt_sigprocmask; only a lock this thread holds must
	 * keep its handlers out). A stale 0 only costs that mask. */
	if (owner)
		return -EBUSY;
	sigset_t block;
	sigfillset(&block);
	sigdelset(&block, SIGSEGV);
	sigdelset(&block, SIGBUS);
	sigdelset(&block, SIGILL);
	sigdelset(&block, SIGFPE);
	sigdelset(&block, SIGTRAP);
	sigdelset(&block, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &block, saved);
	if (pthread_mutex_trylock(&lock)) {
		pthread_sigmask(SIG_SETMASK, saved, NULL);
		return -EBUSY;
	}
	__atomic_store_n(&lock_owner, (uintptr_t)pthread_self(),
			 __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return 0;
}

void sc_unlock(const sigset_t *saved)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&lock_owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void sc_lock_for_fork(void)
{
	pthread_mutex_lock(&lock);
}

void sc_unlock_after_fork(void)
{
	pthread_mutex_unlock(&lock);
}
