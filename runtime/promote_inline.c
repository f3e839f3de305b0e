/*
 * promote_inline.c - inline sites: verification and the protocol that
 * changes them (promote_inline.h; docs/PATCHING.md "Inline sites").
 *
 * An inline site stores its descriptor in the thread's rseq area, then,
 * inside the restartable sequence, loads A, compares it with the
 * register, and calls B. It is compiled with that store a `jmp` to its
 * slow path (the descriptor and the rseq offset are known only here):
 * the first time it opens, the store's operands are written (never
 * executed before), then its first bytes over the `jmp`. Re-targeting
 * it (four steps, each one word written by the text writer, which
 * serializes every core):
 *   1. A := closed (the site's own `cmp`: no function pointer is there);
 *      every thread arriving now takes the slow path, and one that
 *      matched the old A still calls the old B, right for its value;
 *   2. membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ): every thread
 *      between its load of A and its call (inside the sequence) is sent
 *      to the abort handler, the slow path: none is left there;
 *   3. B := the new target (a thread arriving holds the closed A);
 *   4. A := the new target.
 * A barrier that fails leaves the site closed (its slow path, correct
 * for any value), and owes one before B may change. A site's descriptor
 * never changes once its store is written; descriptors live in runtime
 * memory below 2 GiB (the store's operand is 32 bits) that is never
 * unmapped, emptied when their object goes: a thread keeps the last
 * descriptor's address in its area and the kernel reads it (and the
 * signature before its abort handler) at that thread's next preemption,
 * even outside the range.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <linux/membarrier.h>
#include <linux/rseq.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "promote.h"
#include "promote_inline.h"

#ifndef MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ (1 << 7)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ (1 << 8)
#endif

/* struct rseq_cs (linux/rseq.h), as the kernel reads it */
struct sc_rseq_cs {
	uint32_t version, flags;
	uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

/* glibc 2.35 and later: where its rseq area is (from the thread
 * pointer) and how much of it the kernel has (0: not registered). Weak:
 * an older glibc has no inline sites open. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

/* An emptied descriptor's abort handler: the signature the kernel reads
 * before it, then nothing (never jumped to: an empty range holds no
 * thread). */
static const uint32_t nowhere[2] = { SC_PARCH_RSEQ_SIG, 0 };

/* rseq_cs's offset in the thread's rseq area */
#define RSEQ_CS offsetof(struct rseq, rseq_cs)

#ifndef MAP_32BIT
#define MAP_32BIT 0 /* (an arch without inline sites) */
#endif

/* Descriptors: pages below 2 GiB that are never unmapped, handed out in
 * order, an emptied one reused. */
#define DESC_PAGE 4096
static struct sc_rseq_cs *page;
static size_t page_used;
static struct sc_rseq_cs **spare;
static size_t nspare, capspare;

static struct sc_rseq_cs *desc_new(void)
{
	if (nspare)
		return spare[--nspare];
	if (!page || page_used == DESC_PAGE / sizeof *page) {
		void *p = mmap(NULL, DESC_PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		page = p;
		page_used = 0;
	}
	return &page[page_used++];
}

static void desc_empty(struct sc_rseq_cs *d)
{
	/* one field at a time: every state between is one the kernel
	 * accepts (the range empty first, then the abort address a signed
	 * word of the runtime's, before the object's goes) */
	__atomic_store_n(&d->post_commit_offset, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&d->abort_ip, (uint64_t)(uintptr_t)&nowhere[1],
			 __ATOMIC_RELEASE);
	__atomic_store_n(&d->start_ip, 0, __ATOMIC_RELEASE);
}

int (*sc_pinline_test_barrier)(void);

static int barrier(void)
{
	if (sc_pinline_test_barrier)
		return sc_pinline_test_barrier();
	return syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ,
		       0, 0) ?
		       -errno :
		       0;
}

int sc_pinline_test_probe_outside;

/* ---- the kernel self-test --------------------------------------------
 * A kernel may accept the registration and the barrier and still not
 * restart a thread inside a sequence (a bug, an emulation layer, a
 * sandbox that implements the calls in part): then a thread that matched
 * an old A could call a new B. Before any site may open, a thread of
 * ours waits inside a sequence of the runtime's (rseq_probe_<isa>.S; none
 * on an arch without inline sites), on another CPU than this one's, and
 * this one sends the barrier. The barrier's restart is told from the
 * others by two marks: no context switch of that thread between its
 * entry and its abort (getrusage; an IPI is not one, a preemption is),
 * and an abort no later than PROBE_LATE_NS after the barrier returned (a
 * kernel also aborts a thread that spins, switch-free, every ~100 ms:
 * a review saw a no-op barrier pass on that). An abort after a switch is
 * a preemption's, one before the barrier was sent something else's:
 * tried again, up to 16 times within PROBE_BUDGET_NS; two barrier
 * restarts pass, two late aborts (or none at all) fail. A process whose
 * threads can only ever run on one CPU (its cpuset: the affinity to any
 * other refused, and the caller's CPUs exactly its own) has no thread
 * beside the one that sends a barrier, so its threads are inside a
 * sequence only preempted, and that restart is the one it needs: there
 * a preempted abort passes.
 * The thread is SCHED_OTHER (a real-time caller would never let an
 * inherited real-time spinner go), and the caller sleeps while it waits,
 * so the test cannot starve either of them; it costs ~0.25 ms. */
enum probe_result { PROBE_ERROR, PROBE_NOT_RESTARTED, PROBE_PREEMPTED,
		    PROBE_RESTARTED };
#define PROBE_WAIT_NS 200000000ull /* to enter, to leave: else no test */
/* the whole test's (held under the runtime lock, in a constructor or a
 * dlopen): a thread that keeps being preempted (a real-time hog's duty
 * cycle) does not make it 16 tries of up to 0.4 s (a review's 1 s) */
#define PROBE_BUDGET_NS 100000000ull
static uint64_t probe_deadline;
#define PROBE_LEAVE_NS 10000000ull /* told to leave: else left running */
/* an abort later than this after the barrier returned is not the
 * barrier's (measured here under load 10: median 0.5 µs, at most 60) */
#define PROBE_LATE_NS 200000ull

struct probe {
	struct sc_rseq_cs desc; /* (first: its alignment) */
	sc_rseq_probe_fn *fn;
	volatile int inside, leave, done;
	int aborted, switched;
	uint64_t abort_ns; /* when it left the sequence */
	int refs; /* the caller's and the thread's: the last frees it */
	void *mem; /* what was allocated (p aligned within it) */
};

static struct probe *probe_new(void)
{
	const size_t align = _Alignof(struct probe);
	void *mem = sc_mem_alloc(sizeof(struct probe) + align);
	if (!mem)
		return NULL;
	struct probe *p =
		(void *)(((uintptr_t)mem + align - 1) & ~(uintptr_t)(align - 1));
	p->mem = mem;
	return p;
}

static void probe_put(struct probe *p)
{
	if (!__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		sc_mem_free(p->mem);
}

static long context_switches(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	long before = context_switches();
	if (before >= 0 && *(volatile int32_t *)(area + 4) >= 0) {
		p->aborted = p->fn((uint64_t *)(area + RSEQ_CS), &p->desc,
				   &p->inside, &p->leave);
		p->abort_ns = now_ns();
		p->switched = context_switches() != before;
	}
	__atomic_store_n(&p->done, 1, __ATOMIC_RELEASE);
	probe_put(p);
	return NULL;
}

/* Until *flag or PROBE_WAIT_NS: 1 if set. Looks without pause for the
 * first PROBE_SPIN_NS (a nap lasts 50 µs or more: the timer's slack),
 * then sleeps between looks (a caller of any priority lets the thread
 * run). */
#define PROBE_SPIN_NS 100000ull
static int wait_for_ns(volatile int *flag, uint64_t limit)
{
	const uint64_t start = now_ns();
	const uint64_t until = start + limit;
	const struct timespec nap = { 0, 20000 };
	for (uint64_t t = start; !__atomic_load_n(flag, __ATOMIC_ACQUIRE);
	     t = now_ns())
		if (t > until)
			return 0;
		else if (t > start + PROBE_SPIN_NS)
			nanosleep(&nap, NULL);
	return 1;
}

/* Within PROBE_WAIT_NS and the test's budget. */
static int wait_for(volatile int *flag)
{
	const uint64_t now = now_ns();
	return wait_for_ns(flag, now >= probe_deadline ? 0 :
				 probe_deadline - now < PROBE_WAIT_NS ?
							 probe_deadline - now :
							 PROBE_WAIT_NS);
}

/* A thread for p, all signals blocked (no handler of the program's runs
 * on it), SCHED_OTHER, on cpus if given: 0 or an errno. */
static int start_probe(pthread_t *t, struct probe *p, const cpu_set_t *cpus)
{
	pthread_attr_t attr;
	struct sched_param none = { 0 };
	if (pthread_attr_init(&attr))
		return EAGAIN;
	pthread_attr_setstacksize(&attr, 64 << 10); /* it needs little */
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &none);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof *cpus, cpus);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(t, &attr, probe_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return err;
}

/* One try. The thread goes on any CPU but this one's, if the process
 * may use another (*alone = 0); where none is allowed (a cpuset of one:
 * the affinity is refused), on this thread's CPUs, *alone = 1. */
static enum probe_result probe_once(int *alone)
{
	/* its own memory: a thread that cannot run (a real-time thread
	 * hogging its CPU) is left to end when it can, and frees it */
	struct probe *p = probe_new();
	const uint8_t *start, *end, *sig;
	if (!p)
		return PROBE_ERROR;
	p->fn = sc_parch_rseq_probe(&start, &end, &sig);
	p->desc.start_ip = (uintptr_t)start;
	p->desc.post_commit_offset =
		sc_pinline_test_probe_outside ? 0 : (uint64_t)(end - start);
	p->desc.abort_ip = (uintptr_t)(sig + 4);
	p->refs = 2;
	pthread_t t;
	cpu_set_t cpus;
	int here = sched_getcpu(), err = EINVAL;
	*alone = 0;
	if (here >= 0) { /* every CPU but this one, whatever our affinity */
		CPU_ZERO(&cpus);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (c != here)
				CPU_SET(c, &cpus);
		err = start_probe(&t, p, &cpus);
	}
	if (err == EINVAL) { /* none of them ours: a cpuset of one? */
		/* alone only on a positive answer: this thread's CPUs are
		 * exactly the one it runs on (an empty set, as a filter can
		 * fake, or a refused call is no answer) */
		err = sched_getaffinity(0, sizeof cpus, &cpus) ? errno : 0;
		if (!err && here >= 0 && CPU_COUNT(&cpus) == 1 &&
		    CPU_ISSET(here, &cpus)) {
			*alone = 1;
			err = start_probe(&t, p, NULL);
		} else if (!err && here >= 0 && CPU_ISSET(here, &cpus)) {
			CPU_CLR(here, &cpus);
			err = start_probe(&t, p, &cpus);
		} else if (!err) {
			err = EINVAL;
		}
	}
	if (err) {
		sc_mem_free(p->mem);
		return PROBE_ERROR;
	}
	/* not inside in time (or no barrier): nothing was tried */
	uint64_t sending = 0, sent = 0;
	int tried = wait_for(&p->inside);
	if (tried) {
		sending = now_ns();
		tried = barrier() == 0;
		sent = now_ns();
	}
	if (tried)
		wait_for(&p->done);
	__atomic_store_n(&p->leave, 1, __ATOMIC_RELEASE);
	/* (inside, it was running: told to leave, it does at once) */
	if (!wait_for_ns(&p->done, tried ? PROBE_LEAVE_NS : 0)) {
		/* never ran, or starved: not waited for (inside and never
		 * aborted: not restarted, as far as anyone can tell) */
		pthread_detach(t);
		probe_put(p);
		return tried ? PROBE_NOT_RESTARTED : PROBE_ERROR;
	}
	pthread_join(t, NULL);
	enum probe_result r =
		!tried	     ? PROBE_ERROR :
		!p->aborted ? PROBE_NOT_RESTARTED :
		/* switched: a preemption's; before the barrier: another's */
		p->switched || p->abort_ns < sending ? PROBE_PREEMPTED :
		p->abort_ns <= sent + PROBE_LATE_NS  ? PROBE_RESTARTED :
						       PROBE_NOT_RESTARTED;
	probe_put(p);
	return r;
}

/* NULL if a thread inside a sequence is restarted here; else why not. */
static const char *kernel_restarts(void)
{
	const uint8_t *start, *end, *sig;
	if (!sc_parch_rseq_probe(&start, &end, &sig))
		return "this architecture has no self-test of rseq restarts";
	uint32_t word;
	memcpy(&word, sig, 4); /* (not aligned) */
	if (word != SC_PARCH_RSEQ_SIG)
		return "the self-test's signature is not the C library's";
	/* two restarts by the barrier pass it, two tries without fail it
	 * (a ~100 ms abort of this kernel's falls in the window about once
	 * in 500 tries, and a restart came late about as rarely: twice
	 * either way is left to chance no more) */
	int restarted = 0, not = 0;
	probe_deadline = now_ns() + PROBE_BUDGET_NS;
	for (int i = 0; i < 16; i++) {
		if (now_ns() > probe_deadline)
			return not ? "the barrier did not restart a thread "
				     "inside a sequence at once (self-test)" :
				     "the self-test of rseq restarts did not "
				     "finish in time";
		int alone;
		switch (probe_once(&alone)) {
		case PROBE_RESTARTED:
			if (++restarted == 2)
				return NULL;
			continue;
		case PROBE_PREEMPTED:
			if (alone)
				return NULL;
			continue;
		case PROBE_NOT_RESTARTED:
			if (++not == 2)
				return "the barrier did not restart a thread "
				       "inside a sequence at once (self-test)";
			continue;
		case PROBE_ERROR:
			return "the self-test of rseq restarts could not run";
		}
	}
	return "the barrier restarted no thread inside a sequence twice "
	       "(self-test: 16 tries, most restarted only when preempted)";
}

/* NULL if restartable sequences and their barrier work here (the
 * barrier then registered); else why not. */
static const char *why_closed(void)
{
	if (!&__rseq_size || !&__rseq_offset || __rseq_size < 16)
		return "the C library registers no rseq area (glibc 2.35 "
		       "and later do, unless glibc.pthread.rseq=0)";
	if (*(volatile int32_t *)((char *)__builtin_thread_pointer() +
				  __rseq_offset + 4) < 0)
		return "this thread has no rseq registration";
	if (syscall(__NR_membarrier,
		    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		return "the kernel refuses the rseq barrier (before 5.10, or "
		       "a seccomp filter)";
	return kernel_restarts();
}

const char *sc_pinline_kernel_test(void)
{
	return why_closed();
}

/* 1: inline sites may open; 0: every one stays closed. Asked once,
 * under the runtime lock (sc_pinline_ready: when the first object with
 * inline sites registers). */
static int ready(void)
{
	static int state; /* 0 unknown, 1 ready, -1 not */
	if (!sc_env()->promote_inline)
		return 0;
	if (sc_pinline_test_barrier)
		return 1;
	if (!state) {
		const char *why = why_closed();
		state = why ? -1 : 1;
		if (why)
			sc_log(SC_LOG_INFO,
			       "promote: inline sites stay on their slow "
			       "paths: %s",
			       why);
	}
	return state > 0;
}

int sc_pinline_ready(void)
{
	return ready();
}

/* A descriptor for in: its sequence, its slow path the abort handler. */
static struct sc_rseq_cs *give_descriptor(const struct pinline *in)
{
	struct sc_rseq_cs *d = desc_new();
	if (!d)
		return NULL;
	const uint8_t *seq, *end;
	sc_parch_inline_span(in->start, &seq, &end);
	d->version = d->flags = 0;
	d->start_ip = (uintptr_t)seq;
	d->post_commit_offset = (uint64_t)(end - seq);
	d->abort_ip = (uintptr_t)in->slow;
	return d;
}

int sc_pinline_verify(const struct sc_object *o, uint8_t *slow, int reg,
		     const uint8_t *thunk, struct pinline *in)
{
	memset(in, 0, sizeof *in);
	const uint8_t *lo, *hi, *seq, *end;
	sc_parch_inline_slow_span(slow, &lo, &hi);
	if (hi == lo || !sc_object_exec_prot(o, lo, (size_t)(hi - lo)) ||
	    sc_parch_site_dest(slow, 0) != thunk)
		return 0;
	uint8_t *s = (uint8_t *)sc_parch_inline_start(slow);
	if (!s)
		return 0;
	sc_parch_inline_span(s, &seq, &end);
	if (!sc_object_exec_prot(o, s, (size_t)(end - s)) ||
	    sc_parch_inline_find(s, slow, reg) != s ||
	    sc_parch_inline_dest(s, 0) != sc_parch_inline_closed(s) ||
	    sc_parch_inline_dest(s, 1) != thunk)
		return 0;
	in->start = s;
	in->slow = slow;
	in->thunk = in->b = thunk;
	in->bypassed = 1; /* as compiled */
	return 1;
}

/* The site's first instruction both ways: the `jmp` to its slow path it
 * is compiled with (into jmp, *n bytes) and its descriptor store (into
 * store, *len bytes; it reads glibc's offset, so only once the site may
 * open). 0 when either is out of the form's reach. */
static int first_forms(const struct pinline *in, uint8_t jmp[8], size_t *n,
		       uint8_t store[16], size_t *len)
{
	*n = sc_parch_inline_bypass_encode(in->start, in->slow, jmp);
	*len = sc_parch_inline_arm_encode(in->start, __rseq_offset + RSEQ_CS,
					  in->desc, store);
	return *n && *len;
}

/* Bytes [n, to) of the site's first instruction, never executed behind
 * its `jmp` (jmp, n bytes), from `was` to `now`, word by word; those
 * already `now` (a write that failed half way) are left. Nothing is
 * written unless the `jmp` is there (not a debugger's breakpoint). */
static int write_behind_jump(const struct sc_object *o, struct pinline *in,
			     const uint8_t *jmp, size_t n, size_t to,
			     const uint8_t *was, const uint8_t *now)
{
	uint8_t first[8];
	sc_promote_read_bytes(in->start, first, n);
	if (memcmp(first, jmp, n))
		return -EBUSY;
	for (size_t i = n, k; i < to; i += k) {
		uint8_t *at = in->start + i, seen[8];
		k = 8 - ((uintptr_t)at & 7);
		if (k > to - i)
			k = to - i;
		sc_promote_read_bytes(at, seen, k);
		if (!memcmp(seen, now + i, k))
			continue;
		int err = sc_promote_write_bytes(o, at, was + i, now + i, k);
		if (err)
			return err;
	}
	return 0;
}

/* Back as compiled behind its `jmp` (sealing). */
static int disarm(const struct sc_object *o, struct pinline *in)
{
	static const uint8_t zero[16];
	uint8_t b[8], store[16];
	size_t n, len;
	if (!in->armed || !in->bypassed)
		return 0; /* (never armed: glibc's offset may not even exist) */
	if (!first_forms(in, b, &n, store, &len))
		return -EBUSY;
	int err = write_behind_jump(o, in, b, n, len, store, zero);
	if (!err)
		in->armed = 0;
	return err;
}

/* Field f (0: A, 1: B) of in from `from` to `to`, one word. */
static int write_field(const struct sc_object *o, struct pinline *in, int f,
		       const void *from, const void *to)
{
	uint8_t bytes[4], seen[4];
	size_t off = sc_parch_inline_encode(in->start, f, to, bytes);
	if (!off)
		return -ERANGE;
	sc_promote_read_bytes(in->start + off, seen, 4);
	if (!from || sc_parch_inline_dest(in->start, f) != from)
		return -EBUSY; /* changed behind us (a breakpoint) */
	return sc_promote_write_bytes(o, in->start + off, seen, bytes, 4);
}

static int close_site(const struct sc_object *o, struct pinline *in)
{
	if (in->target) {
		int err = write_field(o, in, 0, in->target,
				      sc_parch_inline_closed(in->start));
		if (err)
			return err; /* left as it was: open, still right */
		in->target = NULL;
		in->owed = 1;
	}
	/* a thread that matched the old A may still be before its call
	 * until a barrier succeeds: B stays until then */
	if (in->owed && barrier())
		return -EAGAIN;
	in->owed = 0;
	return 0;
}

int sc_pinline_bypass(const struct sc_object *o, struct pinline *in)
{
	uint8_t b[8], store[16];
	size_t n, len;
	if (in->bypassed)
		return 0;
	if (in->target)
		return -EBUSY;
	if (!first_forms(in, b, &n, store, &len))
		return -ERANGE;
	int err = sc_promote_write_bytes(o, in->start, store, b, n);
	if (!err)
		in->bypassed = 1;
	return err;
}

/* Its first instruction the descriptor store: first its operands,
 * behind the `jmp` (its descriptor made now), then its first bytes over
 * the `jmp`. Operands written before are checked again: bytes behind a
 * `jmp` are a debugger's to change (-EBUSY, nothing written). */
static int unbypass(const struct sc_object *o, struct pinline *in)
{
	static const uint8_t zero[16];
	uint8_t b[8], store[16];
	size_t n, len;
	if (!in->bypassed)
		return 0;
	if (!in->desc && !(in->desc = give_descriptor(in)))
		return -ENOMEM;
	if (!first_forms(in, b, &n, store, &len))
		return -ERANGE;
	int err = write_behind_jump(o, in, b, n, len,
				    in->armed ? store : zero, store);
	if (err)
		return err;
	in->armed = 1;
	err = sc_promote_write_bytes(o, in->start, b, store, n);
	if (!err)
		in->bypassed = 0;
	return err;
}

int sc_pinline_set(const struct sc_object *o, struct pinline *in,
		  const void *target)
{
	if (target == in->target)
		return 0;
	int err = close_site(o, in);
	if (err || !target)
		return err;
	if (!ready())
		return -ENOTSUP;
	uint8_t probe[4];
	if (!sc_parch_inline_encode(in->start, 0, target, probe) ||
	    !sc_parch_inline_encode(in->start, 1, target, probe))
		return -ERANGE;
	err = unbypass(o, in);
	if (!err)
		err = write_field(o, in, 1, in->b, target);
	if (!err) {
		in->b = target;
		err = write_field(o, in, 0, sc_parch_inline_closed(in->start),
				  target);
	}
	if (!err)
		in->target = target;
	return err;
}

int sc_pinline_restore(const struct sc_object *o, struct pinline *in)
{
	int err = close_site(o, in);
	if (!err)
		err = sc_pinline_bypass(o, in);
	if (!err && in->b != in->thunk) {
		err = write_field(o, in, 1, in->b, in->thunk);
		if (!err)
			in->b = in->thunk;
	}
	if (!err)
		err = disarm(o, in);
	return err;
}

void sc_pinline_forget(struct pinline *in)
{
	if (!in->desc)
		return;
	desc_empty(in->desc);
	if (nspare == capspare) {
		size_t cap = capspare ? 2 * capspare : 64;
		struct sc_rseq_cs **n = sc_mem_alloc(cap * sizeof *n);
		if (!n)
			return; /* kept emptied, not reused */
		if (spare)
			memcpy(n, spare, nspare * sizeof *n);
		sc_mem_free(spare);
		spare = n;
		capspare = cap;
	}
	spare[nspare++] = in->desc;
	in->desc = NULL;
}
