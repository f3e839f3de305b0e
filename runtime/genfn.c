/*
 * genfn.c - small functions the runtime writes at run time: the targets
 * behind inline forms (inline.c) where a site cannot hold the instruction
 * itself (a tail site, a constant that needs 64 bits, every arm64 site).
 *
 * Never writable and executable at once: each function gets a page of its
 * own (a one-page region of execmem.c), written while read-write, made
 * coherent and sealed read-execute; only then is its address returned, and nothing can reach
 * it before a key or a site holds that address (written later, under the
 * same lock, with the text writer's core sync). Pages are never written
 * again and never unmapped: a thread may be inside one at any time, or be
 * about to return into nothing else. Shared per code (one function per
 * constant, per argument, within reach of the sites it was made for:
 * another object more than 1 GiB away gets its own copy, so that its
 * sites call it directly) and bounded (SC_GENFN_MAX pages).
 *
 * One page per function costs address space, not memory: a few touched
 * pages for the values a program actually uses. Packing several into a
 * page would mean writing a page other threads may be executing.
 */
#include <errno.h>
#include <string.h>

#include "execmem.h"
#include "internal.h"

struct genfn {
	struct sc_execmem mem; /* its page */
	uint8_t code[SC_GEN_MAX];
	size_t len;
};
static struct genfn fns[SC_GENFN_MAX];
static size_t nfns;

/* Within a rel32 call of every site near `near` (+-1 GiB of it, leaving
 * room for the object's own span). */
#define REACH (1l << 30)
static int close_to(const uint8_t *p, const void *near)
{
	intptr_t d = (intptr_t)p - (intptr_t)near;
	return d > -REACH && d < REACH;
}

/* Just below the object holding `near` when the kernel lets us (a hint,
 * not MAP_FIXED): below a PIE's text is usually free; above a non-PIE
 * program's (at 4 MiB), past room for its heap. */
static void *hint(const void *near, size_t page)
{
	uintptr_t at = (uintptr_t)near & ~(uintptr_t)(page - 1);
	uintptr_t back = (uintptr_t)(16 + nfns) * page + (1u << 24);
	if (at > back + (1u << 30))
		return (void *)(at - back);
	return (void *)(at + (1u << 29) + (uintptr_t)nfns * page);
}

void *sc_genfn_get(const uint8_t *code, size_t len, const void *near, int *err)
{
	if (!len || len > SC_GEN_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	if (!near)
		near = (const void *)sc_genfn_get;
	uint8_t *same = NULL; /* a copy out of reach */
	for (size_t i = 0; i < nfns; i++)
		if (fns[i].len == len && !memcmp(fns[i].code, code, len)) {
			if (close_to(fns[i].mem.base, near))
				return fns[i].mem.base;
			same = fns[i].mem.base;
		}
	if (nfns == SC_GENFN_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	size_t page = sc_page_size();
	struct sc_execmem m;
	if (sc_execmem_reserve_hint(&m, hint(near, page), page, 0)) {
		*err = -ENOMEM;
		return NULL;
	}
	if (same && !close_to(m.base, near)) { /* no better than the copy */
		sc_execmem_release(&m);
		return same;
	}
	uint8_t *p = sc_execmem_room(&m, len);
	if (!p) {
		*err = -ENOMEM;
		sc_execmem_release(&m);
		return NULL;
	}
	memcpy(p, code, len);
	int e = sc_execmem_seal(&m);
	if (e) {
		*err = e;
		sc_execmem_release(&m);
		return NULL;
	}
	fns[nfns].mem = m;
	memcpy(fns[nfns].code, code, len);
	fns[nfns].len = len;
	nfns++;
	sc_log(SC_LOG_DEBUG, "generated function at %p (%zu bytes)%s",
	       (void *)p, len,
	       close_to(p, near) ? "" : ", out of reach of its sites");
	return p;
}

int sc_genfn_owns(const void *p)
{
	for (size_t i = 0; i < nfns; i++)
		if (sc_execmem_owns(&fns[i].mem, p))
			return 1;
	return 0;
}
