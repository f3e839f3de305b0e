/*
 * text_writer.c - change words of live code, safely, in batches.
 *
 * For one batch: verify every word, make the pages holding them writable
 * (keeping them executable: other threads may be running there), replace
 * each word with one atomic compare-and-swap, restore each page's exact
 * previous protection, then serialize every core once. The CAS (not a
 * plain store) means a word changed behind our back after verification,
 * e.g. a breakpoint a debugger inserted, makes the batch roll back instead
 * of being overwritten.
 *
 * The operations are a table so unit tests can inject their own and watch
 * every step (tests/unit/test_text_writer.c).
 */
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

size_t sc_page_size(void)
{
	static size_t ps;
	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static int real_make_writable(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	return mprotect((void *)page, len, prot | PROT_WRITE) ? -errno : 0;
}

static int real_restore(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	return mprotect((void *)page, len, prot) ? -errno : 0;
}

/* The arch's own CAS (arch.h): x86-64 writes it in assembly, invisible to
 * ThreadSanitizer, which would look for shadow memory that code pages do
 * not have; arm64 stores only the instruction words that change. */
SC_NO_SANITIZE static int real_cas(void *ctx, uint64_t *word, uint64_t expect,
				   uint64_t value)
{
	(void)ctx;
	return sc_arch_cas_code(word, expect, value);
}

/* Cache maintenance for written code (a no-op on x86-64, whose caches are
 * coherent with instruction fetch; clean + invalidate to PoU on arm64). */
static sc_flush_fn flush_fn;
static void *flush_ctx;

void sc_set_code_flush(sc_flush_fn fn, void *ctx)
{
	flush_fn = fn;
	flush_ctx = ctx;
}

static void flush_code(void *addr, size_t len)
{
	if (flush_fn)
		flush_fn(flush_ctx, addr, len);
	else
		__builtin___clear_cache((char *)addr, (char *)addr + len);
}

/*
 * Serialize the instruction stream of every thread of this process.
 * membarrier SYNC_CORE is the documented way. Without it (old kernel,
 * emulator) the mprotect that removed write permission already sent a TLB
 * shootdown IPI to every CPU running this mm, and returning from that
 * interrupt is serializing on x86. On arm64 the writer's cache maintenance
 * (flush_code: IC IVAU broadcast to the inner shareable domain, DSB) has
 * already removed the old instruction from every instruction cache; a
 * thread may still run an old B/BL it fetched until its next context
 * synchronisation event (any exception return: syscall, interrupt,
 * preemption), which is one of the two legal targets meanwhile
 * (docs/PATCHING.md, arm64). qemu-user, for one, may lack SYNC_CORE.
 */
static void real_sync_cores(void *ctx)
{
	static int state; /* 0 unknown, 1 registered, -1 unavailable */
	(void)ctx;
	if (state == 0) {
		long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		if (q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) &&
		    syscall(SYS_membarrier,
			    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			    0, 0) == 0)
			state = 1;
		else
			state = -1;
	}
	if (state == 1)
		syscall(SYS_membarrier,
			MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

static const struct sc_text_ops real_ops = {
	real_make_writable, real_restore, real_cas, real_sync_cores, NULL,
};
static const struct sc_text_ops *cur_ops = &real_ops;

const struct sc_text_ops *sc_text_ops(void)
{
	return cur_ops;
}
void sc_set_text_ops(const struct sc_text_ops *ops)
{
	cur_ops = ops ? ops : &real_ops;
}

struct page_run {
	uintptr_t lo;
	size_t len;
	int prot;
};

static int cmp_uintptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* Does sorted key i (page | prot) extend the run that key i-1 ends? */
static int same_run(const uintptr_t *keys, size_t i, size_t ps)
{
	uintptr_t page = keys[i] & ~(ps - 1), prev = keys[i - 1] & ~(ps - 1);
	return (keys[i] & 7) == (keys[i - 1] & 7) && page <= prev + ps;
}

/* A batch touching this few pages plans its page runs on the stack. */
#define SMALL_BATCH 128
/* The binder's batches (bind.c) must not allocate: theirs are planned in
 * static memory, which the registry lock the binder holds guards. */
#define NOALLOC_KEYS 1024

static uintptr_t page_key(const struct sc_write *w, size_t ps)
{
	/* page | prot in the low bits (prot < 8 and pages are aligned) */
	return ((uintptr_t)w->word & ~(ps - 1)) | (uintptr_t)(w->prot & 7);
}

/* Sorted runs of contiguous pages with equal protection (in `small` when
 * they fit). The writes are sorted by phase, then word: consecutive
 * writes to one page give one key, so the keys number about the pages
 * times the phases, not the writes. NULL with *err set when out of memory
 * or (!may_alloc) more keys than `small` holds. */
static struct page_run *page_runs(struct sc_write *w, size_t n, size_t *nruns,
				  uintptr_t *small_keys, struct page_run *small,
				  size_t nsmall, int may_alloc, int *err)
{
	size_t ps = sc_page_size(), m = 0;
	for (size_t i = 0; i < n; i++)
		m += !i || page_key(&w[i], ps) != page_key(&w[i - 1], ps);
	uintptr_t *keys = small_keys;
	if (m > nsmall) {
		*err = may_alloc ? -ENOMEM : -E2BIG;
		keys = may_alloc ? sc_mem_alloc(m * sizeof *keys) : NULL;
		if (!keys)
			return NULL;
	}
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || page_key(&w[i], ps) != page_key(&w[i - 1], ps))
			keys[m++] = page_key(&w[i], ps);
	sc_sort(keys, m, sizeof *keys, cmp_uintptr);
	size_t r = 0;
	for (size_t i = 0; i < m; i++)
		r += !i || !same_run(keys, i, ps);
	/* sized to the runs, not the writes: large blocks are populated */
	struct page_run *runs =
		m <= nsmall ? small : sc_mem_alloc((r ? r : 1) * sizeof *runs);
	*err = -ENOMEM;
	if (runs) {
		r = 0;
		for (size_t i = 0; i < m; i++) {
			uintptr_t page = keys[i] & ~(ps - 1);
			if (i && keys[i] == keys[i - 1])
				continue;
			if (i && same_run(keys, i, ps))
				runs[r - 1].len = page + ps - runs[r - 1].lo;
			else
				runs[r++] =
					(struct page_run){ page, ps,
							   (int)(keys[i] & 7) };
		}
	}
	if (keys != small_keys)
		sc_mem_free(keys);
	*nruns = r;
	return runs;
}

/* Undo writes [0, done) in reverse, syncing at each phase boundary so no
 * thread sees a later phase's state after an earlier one's was undone. */
static void roll_back(const struct sc_text_ops *ops, struct sc_write *w,
		      size_t done)
{
	while (done-- > 0) {
		if (ops->cas(ops->ctx, w[done].word, w[done].new_value,
			     w[done].old_value))
			flush_code(w[done].word, 8);
		if (done > 0 && w[done - 1].phase != w[done].phase)
			ops->sync_cores(ops->ctx);
	}
}

static int text_apply(struct sc_write *w, size_t n, int may_alloc)
{
	const struct sc_text_ops *ops = cur_ops;
	if (n == 0)
		return 0;

	/* 1. Verify every word before touching anything. */
	for (size_t i = 0; i < n; i++)
		if (w[i].verify && sc_code_load64(w[i].word) != w[i].old_value)
			return -EBUSY;

	size_t nruns = 0, opened = 0, done = 0;
	uintptr_t stack_keys[SMALL_BATCH];
	struct page_run stack_runs[SMALL_BATCH];
	static uintptr_t noalloc_keys[NOALLOC_KEYS];
	static struct page_run noalloc_runs[NOALLOC_KEYS];
	uintptr_t *small_keys = may_alloc ? stack_keys : noalloc_keys;
	struct page_run *small_runs = may_alloc ? stack_runs : noalloc_runs;
	int err;
	size_t nsmall = may_alloc ? SMALL_BATCH : NOALLOC_KEYS;
	struct page_run *runs = page_runs(w, n, &nruns, small_keys, small_runs,
					  nsmall, may_alloc, &err);
	if (!runs)
		return err;

	/* A signal handler of this thread calling through a site we hold
	 * in its `jmp .` state would wait forever: no signals meanwhile. */
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);

	/* 2. Pages writable, still executable, only for this batch. */
	err = 0;
	for (; opened < nruns; opened++) {
		err = ops->make_writable(ops->ctx, runs[opened].lo,
					 runs[opened].len, runs[opened].prot);
		if (err)
			goto restore;
	}

	/* 3. One atomic replacement per word, phase by phase. */
	for (; done < n; done++) {
		if (done > 0 && w[done].phase != w[done - 1].phase)
			ops->sync_cores(ops->ctx);
		if (!ops->cas(ops->ctx, w[done].word, w[done].old_value,
			      w[done].new_value)) {
			err = -EBUSY;
			break;
		}
		flush_code(w[done].word, 8);
	}
	if (err)
		roll_back(ops, w, done);

restore:
	/* 4. Exact previous protections. */
	while (opened-- > 0) {
		int e = ops->restore(ops->ctx, runs[opened].lo,
				     runs[opened].len, runs[opened].prot);
		/* (sealed with mseal by another thread while open: nothing
		 * can make it read-only again; said as loudly as we can) */
		if (e)
			sc_log(SC_LOG_ERROR,
			       "code at %#lx (+%zu) stays writable and "
			       "executable: its protection cannot be restored "
			       "(%s; sealed while the runtime wrote it?)",
			       (unsigned long)runs[opened].lo, runs[opened].len,
			       strerror(-e));
	}
	if (runs != small_runs)
		sc_mem_free(runs);
	/* 5. The last sync of the batch, also after a rollback. */
	ops->sync_cores(ops->ctx);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return err;
}

int sc_text_apply(struct sc_write *w, size_t n)
{
	return text_apply(w, n, 1);
}

int sc_text_apply_noalloc(struct sc_write *w, size_t n)
{
	return text_apply(w, n, 0);
}
