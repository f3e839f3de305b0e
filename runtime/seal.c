/*
 * seal.c - static_call_seal's state, pinning and mseal(2).
 *
 * A sandbox that forbids writable code (W^X) after start-up would leave
 * later updates failing and plain stores stale. Sealing first takes the
 * runtime out of the code-writing business for good: with
 * STATIC_CALL_SEAL_CODE every call reads its key (registry.c moves the
 * code, patch.c writes the batch), with STATIC_CALL_SEAL_UPDATES the code
 * is frozen and its pages sealed. docs/GUIDE.md, "W^X policies and
 * sandboxes", tells the whole story.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_mseal
#define SYS_mseal 462 /* the same on x86-64 and arm64 (Linux 6.10) */
#endif

static int sealed;

int sc_sealed(void)
{
	int s = __atomic_load_n(&sealed, __ATOMIC_ACQUIRE);
	if (sc_env()->seal == 1)
		s |= STATIC_CALL_SEAL_CODE;
	else if (sc_env()->seal == 2)
		s |= STATIC_CALL_SEAL_UPDATES;
	return s;
}

void sc_seal_set(int bits)
{
	__atomic_or_fetch(&sealed, bits, __ATOMIC_RELEASE);
}

/* Weak, as in registry.c: a -static program has only its main program. */
#pragma weak dlopen

int sc_pin_object_of(const void *addr)
{
	Dl_info di;
	struct link_map *lm = NULL;
	if (!dladdr1(addr, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	if (!lm->l_name || !lm->l_name[0])
		return 1; /* the main program is never unloaded */
	/* RTLD_NOLOAD on a loaded object runs no constructor; the handle is
	 * kept: the object stays loaded anyway. */
	return dlopen && dlopen(lm->l_name, RTLD_LAZY | RTLD_NOLOAD |
						RTLD_NODELETE) != NULL;
}

int sc_mseal_object(const struct sc_object *o)
{
	uintptr_t ps = sc_page_size();
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *g = &o->segs[i];
		if (!(g->prot & PROT_EXEC))
			continue;
		uintptr_t lo = g->lo & ~(ps - 1);
		uintptr_t hi = (g->hi + ps - 1) & ~(ps - 1);
		if (syscall(SYS_mseal, lo, hi - lo, 0UL))
			return -errno;
	}
	return 0;
}
