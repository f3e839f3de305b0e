/*
 * process.c - one registry per process, and fork.
 *
 * Several objects may each carry a static copy of the runtime, and two
 * patchers that do not share a lock would corrupt each other's sites.
 * Every copy exports __staticcall_registry_v1 (registry.c); the first
 * object in load order that exports one (found through the dynamic linker)
 * serves the whole process and is pinned with RTLD_NODELETE.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pick_ctx {
	const struct sc_registry_ops *found;
	size_t size;	/* st_size of the table found */
	char *pin_name; /* the shared object to keep loaded */
};

static int pick_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct pick_ctx *pc = data;
	(void)size;
	size_t table_size = 0;
	const struct sc_registry_ops *r = sc_dynsym_lookup_sized(
		info, "__staticcall_registry_v1", &table_size);
	if (!r)
		return 0;
	if (r->abi_version != SC_ABI_VERSION) {
		sc_log(SC_LOG_WARN,
		       "%s carries a staticcall runtime of another "
		       "version: not shared",
		       info->dlpi_name && info->dlpi_name[0] ?
			       info->dlpi_name :
			       "the main program");
		return 0;
	}
	pc->found = r;
	pc->size = table_size;
	/* The main program (empty name) is never unloaded: no pin needed. */
	if (info->dlpi_name && info->dlpi_name[0])
		pc->pin_name = strdup(info->dlpi_name);
	return 1;
}

/* Weak: a -static program has one copy of the runtime and never needs to
 * pin a shared object; not referencing dlopen keeps glibc's static-dlopen
 * warning out of the user's link. */
#pragma weak dlopen

static const struct sc_registry_ops *chosen;
static size_t chosen_size;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static char *pin_name;
static int pinned;

static void choose(void)
{
	struct pick_ctx pc = { NULL, 0, NULL };
	dl_iterate_phdr(pick_cb, &pc);
	chosen = pc.found ? pc.found : &__staticcall_registry_v1;
	chosen_size = pc.found ? pc.size : sizeof __staticcall_registry_v1;
	pin_name = pc.pin_name;
}

/* fork(): the child must never inherit the lock held by another thread,
 * nor the dynamic linker's lock held by a thread choosing the registry
 * (dl_iterate_phdr): finish choosing first, then hold our lock across
 * fork. */
static void atfork_prepare(void)
{
	sc_registry();
	sc_lock_for_fork();
}

static void atfork_release(void)
{
	sc_unlock_after_fork();
}

/* Choosing at load time, usually before any thread exists, keeps the
 * dynamic linker's lock out of later updates. */
__attribute__((constructor)) static void runtime_init(void)
{
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
	sc_registry();
}

size_t sc_registry_size(void)
{
	sc_registry();
	return chosen_size;
}

const struct sc_registry_ops *sc_registry_chosen(void)
{
	return __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
}

const struct sc_registry_ops *sc_registry(void)
{
	pthread_once(&chosen_once, choose);
	/* The object serving the registry must outlive every user: pin it,
	 * outside the once and outside any lock, since dlopen may run
	 * constructors that call back into the runtime. */
	if (pin_name && !__atomic_load_n(&pinned, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(&pinned, 1, __ATOMIC_ACQ_REL) && dlopen)
		dlopen(pin_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	return chosen;
}
