/* count_store_calls.c - LD_PRELOAD'ed by sqlite.sh: counts the calls a
 * program makes to __staticcall_store_range (the routed stores that met
 * the runtime's key bounds, docs/FIELD_KEYS.md), forwards each to the
 * runtime, and prints the count to stderr at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long calls;
static void (*next)(void *, size_t);

static void report(void)
{
	fprintf(stderr, "store_range_calls %lu\n", calls);
}

void __staticcall_store_range(void *addr, size_t len)
{
	if (!next) {
		next = (void (*)(void *, size_t))dlsym(
			RTLD_NEXT, "__staticcall_store_range");
		atexit(report);
	}
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (next)
		next(addr, len);
}
