/*
 * genfn.c - small functions the runtime writes at run time: the targets
 * behind inline forms (inline.c) where a site cannot hold the instruction
 * itself (a tail site, a constant that needs 64 bits, every arm64 site).
 *
 * Never writable and executable at once: each function gets a page of its
 * own, mapped read-write, written, flushed from the data cache, then made
 * read-execute; only then is its address returned, and nothing can reach
 * it before a key or a site holds that address (written later, under the
 * same lock, with the text writer's core sync). Pages are never written
 * again and never unmapped: a thread may be inside one at any time, or be
 * about to return into nothing else. Shared per code (one function per
 * constant, per argument) and bounded (SC_GENFN_MAX pages).
 *
 * One page per function costs address space, not memory: a few touched
 * pages for the values a program actually uses. Packing several into a
 * page would mean writing a page other threads may be executing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct genfn {
	uint8_t *page;
	uint8_t code[SC_GEN_MAX];
	size_t len;
};
static struct genfn fns[SC_GENFN_MAX];
static size_t nfns;

/* Near the runtime's own code when the kernel lets us (a hint, not
 * MAP_FIXED): a direct call or jump from a site reaches it when the
 * runtime is linked into the program; otherwise sites reach it through
 * their trampoline. */
static void *hint(size_t page)
{
	uintptr_t self = (uintptr_t)sc_genfn_get & ~(uintptr_t)(page - 1);
	uintptr_t back = (uintptr_t)(64 + nfns) * page;
	return self > back + (1u << 24) ? (void *)(self - (1u << 24) - back) :
					  NULL;
}

void *sc_genfn_get(const uint8_t *code, size_t len, int *err)
{
	if (!len || len > SC_GEN_MAX) {
		*err = -EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < nfns; i++)
		if (fns[i].len == len && !memcmp(fns[i].code, code, len))
			return fns[i].page;
	if (nfns == SC_GENFN_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	size_t page = sc_page_size();
	uint8_t *p = mmap(hint(page), page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(p, 0, page);
	memcpy(p, code, len);
	__builtin___clear_cache((char *)p, (char *)p + len);
	if (mprotect(p, page, PROT_READ | PROT_EXEC)) {
		*err = -errno;
		munmap(p, page);
		return NULL;
	}
	fns[nfns].page = p;
	memcpy(fns[nfns].code, code, len);
	fns[nfns].len = len;
	nfns++;
	sc_log(SC_LOG_DEBUG, "generated function at %p (%zu bytes)", (void *)p,
	       len);
	return p;
}

int sc_genfn_owns(const void *p)
{
	size_t page = sc_page_size();
	for (size_t i = 0; i < nfns; i++)
		if ((const uint8_t *)p >= fns[i].page &&
		    (const uint8_t *)p < fns[i].page + page)
			return 1;
	return 0;
}
