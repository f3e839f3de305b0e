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
 * sees the stored value.
 */
#include "internal.h"

#define SLOTS 512

struct span {
	uintptr_t lo, hi; /* hi == 0: free */
};

static struct span spans[SLOTS];
static size_t used;   /* slots [0, used) may be in use */
static int overflow;  /* more objects than slots: always take the lock */

int sc_ranges_add(uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < SLOTS; i++) {
		if (__atomic_load_n(&spans[i].hi, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&spans[i].lo, lo, __ATOMIC_RELAXED);
		__atomic_store_n(&spans[i].hi, hi, __ATOMIC_RELEASE);
		if (i >= used)
			__atomic_store_n(&used, i + 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return (int)i;
	}
	__atomic_store_n(&overflow, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return -1;
}

void sc_ranges_remove(int slot)
{
	if (slot < 0)
		return;
	__atomic_store_n(&spans[slot].hi, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&spans[slot].lo, 0, __ATOMIC_RELAXED);
}

int sc_ranges_may_hold(uintptr_t addr, size_t len)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
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
