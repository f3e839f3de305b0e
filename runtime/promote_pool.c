/*
 * promote_pool.c - executable memory for promotion stubs, near the object
 * whose sites reach them (a site's `call rel32` spans +-2 GiB).
 *
 * A pool is reserved PROT_NONE. Stubs are written into one page at a
 * time while it is PROT_READ|PROT_WRITE (never executable), and the page
 * is then made PROT_READ|PROT_EXEC for good before any site is pointed at
 * it: no page is ever writable and executable, and no byte of a page a
 * site may reach is ever written again (stubs are immutable and shared;
 * a page's unused tail stays int3).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "promote.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static void *try_at(uintptr_t hint, size_t size)
{
	void *p = mmap((void *)hint, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			       MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if ((uintptr_t)p != hint) { /* a kernel without NOREPLACE: a hint */
		munmap(p, size);
		return NULL;
	}
	return p;
}

int sc_pool_init(struct sc_stub_pool *p, uintptr_t lo, uintptr_t hi,
		 size_t size)
{
	const uintptr_t step = 1u << 21; /* 2 MiB */
	memset(p, 0, sizeof *p);
	size = (size + sc_page_size() - 1) & ~(sc_page_size() - 1);
	/* Above the object first (the heap of a PIE starts right after it,
	 * the gap grows with brk), then below it. */
	for (int i = 1; i <= 512; i++) {
		uintptr_t up = ((hi + step - 1) & ~(step - 1)) + i * step;
		uintptr_t down = (lo & ~(step - 1)) - i * step - size;
		for (int k = 0; k < 2; k++) {
			uintptr_t at = k ? down : up;
			if (at > lo && k) /* wrapped below 0 */
				continue;
			if (!sc_parch_reach(at, lo, hi) ||
			    !sc_parch_reach(at + size, lo, hi))
				continue;
			void *m = try_at(at, size);
			if (m) {
				p->base = m;
				p->size = size;
				return 0;
			}
		}
	}
	return -ENOMEM;
}

uint8_t *sc_pool_room(struct sc_stub_pool *p, size_t len)
{
	size_t ps = sc_page_size();
	if (len > ps)
		return NULL;
	if (p->open && p->open_used + len > ps && sc_pool_seal(p))
		return NULL;
	if (!p->open) {
		if (p->used + ps > p->size)
			return NULL;
		uint8_t *page = p->base + p->used;
		if (mprotect(page, ps, PROT_READ | PROT_WRITE))
			return NULL;
		memset(page, 0xcc, ps);
		p->open = page;
		p->open_used = 0;
		p->used += ps;
	}
	uint8_t *r = p->open + p->open_used;
	p->open_used += len;
	return r;
}

int sc_pool_seal(struct sc_stub_pool *p)
{
	if (!p->open)
		return 0;
	size_t ps = sc_page_size();
	if (mprotect(p->open, ps, PROT_READ | PROT_EXEC))
		return -errno;
	__builtin___clear_cache((char *)p->open, (char *)p->open + ps);
	p->open = NULL;
	return 0;
}
