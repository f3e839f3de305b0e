/*
 * Key descriptors naming no key variable (a corrupt or hostile table):
 * unmapped, read-only, code, RELRO, heap, misaligned, NULL. Each is
 * refused with its reason before anything reads it; the valid key beside
 * them is kept. Hand-made tables over the fixture's trampoline
 * (fixture_x86_64.S), registered through the real registry.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

extern int (*fx_hook)(int);
extern uint8_t fx_site0[];
extern const struct sc_abi_object __staticcall_object;

static const uint64_t read_only[2] = { 1, 2 };
static int (*const relro_ptr)(int) = abs; /* .data.rel.ro: RELRO in a PIE */

#define NKEYS 8
static struct sc_abi_desc descs[NKEYS]; /* writable data of this object */
static struct sc_abi_object table;

static void build(void *keys[NKEYS])
{
	const struct sc_abi_desc *d0 = __staticcall_object.descs_begin;
	const uint8_t *tramp = (const uint8_t *)&d0->tramp_rel + d0->tramp_rel;
	for (int i = 0; i < NKEYS; i++) {
		descs[i].key = keys[i];
		descs[i].tramp_rel = (int32_t)(tramp - (const uint8_t *)&descs[i].tramp_rel);
		descs[i].flags = 0;
	}
	table = __staticcall_object;
	table.sites_end = table.sites_begin; /* no sites */
	table.descs_begin = descs;
	table.descs_end = descs + NKEYS;
}

Test(key_check, bad_key_addresses_are_refused_with_their_reason)
{
	void *unmapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(unmapped, MAP_FAILED);
	munmap(unmapped, 4096);
	void *heap = malloc(64);
	void *keys[NKEYS] = {
		unmapped,
		(void *)read_only,
		(void *)((uintptr_t)&build & ~(uintptr_t)7), /* code */
		(void *)&relro_ptr,
		heap,
		(char *)&fx_hook + 4,                      /* misaligned */
		NULL,
		(void *)&fx_hook,                          /* the valid one */
	};
	static const char *const want[NKEYS] = {
		"no loaded object", "read-only memory", "names code", "RELRO",
		"no loaded object", "misaligned", "NULL", NULL,
	};
	build(keys);
	struct sc_object *o = sc_object_load(&table);
	cr_assert_not_null(o);
	cr_assert_eq(o->ntramps, NKEYS);
	for (int i = 0; i < NKEYS; i++) {
		struct sc_tramp *t = &o->tramps[i];
		if (!want[i]) {
			cr_assert_eq(t->key_refused, 0, "valid key refused: %s",
				     t->code.reason);
			continue;
		}
		cr_assert(t->key_refused, "key %d (%p) accepted", i, keys[i]);
		cr_assert_eq(t->code.state, SC_CODE_UNVERIFIED);
		cr_assert(t->code.reason && strstr(t->code.reason, want[i]),
			  "key %d: reason %s, expected %s", i, t->code.reason,
			  want[i]);
	}
	sc_object_free(o);

	/* Registered for real: no crash, the refused keys are no keys, and
	 * the valid one (naming the fixture's trampoline a second time)
	 * still updates. */
	const struct sc_registry_ops *r = sc_registry();
	cr_assert_eq(r->reg(&table), 0);
	for (int i = 0; i < NKEYS - 1; i++)
		if (keys[i])
			cr_assert_null(sc_key_find(keys[i]), "key %d attached", i);
	cr_assert_eq(static_call_update(fx_hook, fx_hook), 0);
	cr_assert_eq(r->unreg(&table), 0);
	free(heap);
}
