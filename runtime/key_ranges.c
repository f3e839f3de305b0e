/*
 * key_ranges.c - where registered keys live, for a lock-free "no key here".
 *
 * The plugins call __staticcall_store_range after every store they cannot
 * pin to one key (struct assignment, memcpy, memset into memory that might
 * hold field keys), most of which land far from any key. Each registered
 * object contributes one span [lowest key, highest key + 8); a store that
 * meets no span returns without taking the registry's lock.
 *
 * Ordering: a writer stores, fences, then reads the spans; registration
 * publishes its span, fences, then reads each key to patch it. Either the
 * writer sees the span (and re-patches under the lock) or registration
 * sees the stored value. The writers' side runs after every routed store,
 * so its fence is the cheap one: with membarrier(PRIVATE_EXPEDITED), which
 * runs a full barrier on every thread of the process, registration pays
 * for both sides and writers need only a compiler barrier (the asymmetric
 * fence of liburcu or folly). Without membarrier (old kernels, qemu-user)
 * writers use a full fence.
 *
 * The plugins inline the first test (docs/FIELD_KEYS.md): a routed store
 * calls __staticcall_store_range only when it meets
 * [__staticcall_key_bounds[0], __staticcall_key_bounds[1]), read after a
 * compiler barrier alone. That is the writer's side above with a light
 * fence that is only a compiler barrier, so the bounds may be narrower than
 * "everything" only while membarrier pays for the fence: they start as
 * everything (every routed store calls the runtime, which fences), and
 * the copy of the runtime that serves the process narrows them to the union
 * of its spans once membarrier is registered. A registration widens them
 * before its heavy fence, as it publishes its span; a writer that reads a
 * mix of old and new bounds read one of them before that fence, so its
 * store came before it too and registration sees the stored value.
 * Removal narrows them under the same lock. Copies that do not serve the
 * process (process.c) never narrow theirs.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define SLOTS 512

struct span {
	uintptr_t lo, hi; /* hi == 0: free */
};

static struct span spans[SLOTS];
static size_t used;    /* slots [0, used) may be in use */
static int overflow;   /* more objects than slots: always take the lock */
static int asymmetric; /* registration fences every thread (membarrier) */

/* [lo, hi): every registered key lies inside (include/staticcall_abi.h). */
SC_EXPORT uintptr_t __staticcall_key_bounds[2]
	__attribute__((aligned(16))) = { 0, UINTPTR_MAX };

static void set_bounds(uintptr_t lo, uintptr_t hi)
{
	__atomic_store_n(&__staticcall_key_bounds[0], lo, __ATOMIC_RELAXED);
	__atomic_store_n(&__staticcall_key_bounds[1], hi, __ATOMIC_RELAXED);
}

/* The union of the live spans, or everything when writers must fence. */
static void recompute_bounds(void)
{
	if (!__atomic_load_n(&asymmetric, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&overflow, __ATOMIC_RELAXED)) {
		set_bounds(0, UINTPTR_MAX);
		return;
	}
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (size_t i = 0; i < used; i++) {
		if (!spans[i].hi)
			continue;
		lo = spans[i].lo < lo ? spans[i].lo : lo;
		hi = spans[i].hi > hi ? spans[i].hi : hi;
	}
	set_bounds(lo, hi);
}

/* Whether membarrier can pay for the writers' fence; chosen before the
 * first span exists, so a writer that sees `asymmetric` set can rely on it
 * for every span. */
static void choose_fence(void)
{
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	int ok = q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		 syscall(SYS_membarrier,
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	__atomic_store_n(&asymmetric, ok, __ATOMIC_RELEASE);
	recompute_bounds(); /* no span yet: empty, if writers need no fence */
}

/* At the first span: programs without field keys make no membarrier
 * call (their routed stores, if any, keep calling the runtime). */
static void start(void)
{
	static int started;
	if (!started) {
		choose_fence(); /* before any span exists */
		started = 1;
	}
}

/* Registration's side of the fence, after publishing a span. */
static void heavy_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&asymmetric, __ATOMIC_RELAXED))
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

static void light_fence(void)
{
	if (__atomic_load_n(&asymmetric, __ATOMIC_ACQUIRE))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int sc_ranges_add(uintptr_t lo, uintptr_t hi)
{
	start();
	for (size_t i = 0; i < SLOTS; i++) {
		if (__atomic_load_n(&spans[i].hi, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&spans[i].lo, lo, __ATOMIC_RELAXED);
		__atomic_store_n(&spans[i].hi, hi, __ATOMIC_RELEASE);
		if (i >= used)
			__atomic_store_n(&used, i + 1, __ATOMIC_RELEASE);
		recompute_bounds();
		heavy_fence();
		return (int)i;
	}
	__atomic_store_n(&overflow, 1, __ATOMIC_RELEASE);
	recompute_bounds();
	heavy_fence();
	return -1;
}

void sc_ranges_remove(int slot)
{
	if (slot < 0)
		return;
	__atomic_store_n(&spans[slot].hi, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&spans[slot].lo, 0, __ATOMIC_RELAXED);
	recompute_bounds();
}

int sc_ranges_may_hold(uintptr_t addr, size_t len)
{
	light_fence();
	if (__atomic_load_n(&overflow, __ATOMIC_ACQUIRE))
		return 1;
	uintptr_t end = addr + len < addr ? UINTPTR_MAX : addr + len;
	size_t n = __atomic_load_n(&used, __ATOMIC_ACQUIRE);
	for (size_t i = 0; i < n; i++) {
		uintptr_t hi = __atomic_load_n(&spans[i].hi, __ATOMIC_ACQUIRE);
		if (hi && addr < hi &&
		    __atomic_load_n(&spans[i].lo, __ATOMIC_RELAXED) < end)
			return 1;
	}
	return 0;
}
