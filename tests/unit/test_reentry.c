/*
 * A call into the runtime from inside the runtime, on the thread that
 * holds the registry lock (a handler of a fault, code the runtime calls):
 * every entry point refuses with -EDEADLK instead of waiting for itself;
 * a plain assignment still stores the key (C semantics) and reports its
 * sites stale. The injected text operation below runs while the runtime
 * patches the fixture's key (fixture_x86_64.S, key fx_hook).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

extern int (*fx_hook)(int);
int fx_call(int);
extern const struct sc_abi_object __staticcall_object;
/* the entry points plugin code calls (api.c) */
void __staticcall_store(void *key, void *value);
void __staticcall_store_range(void *addr, size_t len);

static int other(int x) { return x - 1; }
static int third(int x) { return x * 3; }
static void *other_key = (void *)other; /* no sites: any variable */

static struct {
	int update, update_null, update_ret0, verify, resync, sites, reg,
		unreg, store;
	void *stored;
	int ran;
} seen;

static int reenter(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	if (!seen.ran++) {
		struct static_call_site_info si[4];
		seen.update = __staticcall_update((void *)&fx_hook, (void *)third);
		seen.update_null = __staticcall_update_null((void *)&fx_hook);
		seen.update_ret0 = __staticcall_update_ret0((void *)&fx_hook);
		seen.verify = static_call_verify();
		seen.resync = static_call_resync();
		seen.sites = __staticcall_list_sites((void *)&fx_hook, si, 4);
		seen.reg = sc_registry()->reg(&__staticcall_object);
		seen.unreg = sc_registry()->unreg(&__staticcall_object);
		__staticcall_store(&other_key, (void *)third);
		seen.stored = other_key;
		__staticcall_store_range(&fx_hook, sizeof fx_hook);
	}
	return mprotect((void *)page, len, prot | PROT_WRITE) ? -errno : 0;
}

static int restore(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	return mprotect((void *)page, len, prot) ? -errno : 0;
}

static int cas(void *ctx, uint64_t *w, uint64_t expect, uint64_t value)
{
	(void)ctx;
	return __atomic_compare_exchange_n(w, &expect, value, 0,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void sync_cores(void *ctx) { (void)ctx; }

static const struct sc_text_ops ops = { reenter, restore, cas, sync_cores,
					NULL };

Test(reentry, every_entry_point_refuses_instead_of_deadlocking,
     .timeout = 20)
{
	sc_set_text_ops(&ops);
	cr_assert_eq(static_call_update(fx_hook, other), 0);
	sc_set_text_ops(NULL);
	cr_assert_eq(seen.ran, 1);
	cr_assert_eq(seen.update, -EDEADLK);
	cr_assert_eq(seen.update_null, -EDEADLK);
	cr_assert_eq(seen.update_ret0, -EDEADLK);
	cr_assert_eq(seen.verify, -EDEADLK);
	cr_assert_eq(seen.resync, -EDEADLK);
	cr_assert_eq(seen.sites, -EDEADLK);
	cr_assert_eq(seen.reg, -EDEADLK);
	cr_assert_eq(seen.unreg, -EDEADLK);
	cr_assert_eq(seen.stored, (void *)third, "the assignment was lost");
	/* the outer update went through, untouched by the refused ones */
	cr_assert_eq(static_call_query(fx_hook), other);
	cr_assert_eq(fx_call(5), 4);
	cr_assert_eq(static_call_verify(), 0);
	/* and the lock is free again */
	cr_assert_eq(static_call_update(fx_hook, third), 0);
	cr_assert_eq(fx_call(5), 15);
}
