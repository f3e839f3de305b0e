/*
 * execmem.c - executable memory the runtime writes (execmem.h): regions
 * reserved PROT_NONE near the code that branches to them, filled a page
 * at a time while RW, sealed RX for good. Used by genfn.c (a region of
 * one page per generated function) and promote.c (a region per object
 * for its stubs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "execmem.h"
#include "internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static struct sc_execmem_stats totals;

static void count(size_t *field, long delta)
{
	__atomic_add_fetch(field, (size_t)delta, __ATOMIC_RELAXED);
}

static void *map_none(void *hint, size_t size, int flags)
{
	void *p = mmap(hint, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | flags, -1,
		       0);
	return p == MAP_FAILED ? NULL : p;
}

static void *try_at(uintptr_t at, size_t size)
{
	void *p = map_none((void *)at, size, MAP_FIXED_NOREPLACE);
	if (p && (uintptr_t)p != at) { /* a kernel without NOREPLACE */
		munmap(p, size);
		return NULL;
	}
	return p;
}

static size_t round_pages(size_t size)
{
	size_t ps = sc_page_size();
	return (size + ps - 1) & ~(ps - 1);
}

static void taken(struct sc_execmem *m, void *base, size_t size, uint32_t fill)
{
	memset(m, 0, sizeof *m);
	m->base = base;
	m->size = size;
	m->fill = fill;
	count(&totals.reserved, (long)size);
	count(&totals.regions, 1);
}

/* How near the code a region's first page should be: in a 16 MiB block
 * the code itself touches. Measured on AMD EPYC, Zen 5 (benchmarks/README.md
 * "Stub placement"): a site calling a stub in another 16 MiB block, and
 * the stub jumping back, cost a one-target promoted call 1.4-1.7x a
 * direct call against 1.0x within the block, in the quarter of runs
 * where ASLR put the region across the boundary. */
#define SC_EXECMEM_BLOCK_SHIFT 24
/* Room left free above the program break for the heap to grow into: a
 * region there would cap brk, and glibc's main arena would go on in
 * mmap'd pieces (a review found a PIE with a few MiB of .bss, run with
 * ASLR off as under gdb, capped at 1.5 MiB of heap). */
#define SC_EXECMEM_HEAP_ROOM ((uintptr_t)512 << 20)

/* The break as the process started, read once before main (the runtime
 * is loaded at start-up, this before its other constructors): read
 * later, the brk syscall would be the first one of a program that
 * allocates otherwise, and a seccomp filter installed since may kill it
 * (a review's did). The heap grows up from there; 0 when unknown (no
 * room kept). */
static uintptr_t heap_start;

__attribute__((constructor(101))) static void read_heap_start(void)
{
	long b = syscall(SYS_brk, 0);
	heap_start = b > 0 ? (uintptr_t)b : 0;
}

/* Does [at, at + size) lie in the blocks [lo, hi) touches: all of it
 * (whole) or its first page? */
static int in_code_blocks(uintptr_t at, size_t size, uintptr_t lo,
			  uintptr_t hi, int whole)
{
	uintptr_t first = lo >> SC_EXECMEM_BLOCK_SHIFT,
		  last = (hi - 1) >> SC_EXECMEM_BLOCK_SHIFT;
	uintptr_t a = at >> SC_EXECMEM_BLOCK_SHIFT,
		  b = (at + (whole ? size : 1) - 1) >> SC_EXECMEM_BLOCK_SHIFT;
	return a >= first && a <= last && b >= first && b <= last;
}

/* Is [at, at + size) in the way of the heap, growing up from `brk`? */
static int in_heap_room(uintptr_t at, size_t size, uintptr_t brk)
{
	return brk && at + size > brk && at < brk + SC_EXECMEM_HEAP_ROOM;
}

/* Which pass tries [at, at + size), most wanted first: 0 the whole
 * region in the code's blocks, 1 its first page there (where its first
 * stubs go), 2 anywhere else, each clear of the heap's room; 3 in that
 * room. Each place is tried once. */
static int pass_of(uintptr_t at, size_t size, uintptr_t lo, uintptr_t hi,
		   uintptr_t brk)
{
	if (in_heap_room(at, size, brk))
		return 3;
	if (in_code_blocks(at, size, lo, hi, 1))
		return 0;
	return in_code_blocks(at, size, lo, hi, 0) ? 1 : 2;
}

int sc_execmem_reserve(struct sc_execmem *m, uintptr_t lo, uintptr_t hi,
		       size_t size, sc_execmem_reach_fn *reach, uint32_t fill)
{
	const uintptr_t step = 1u << 21; /* 2 MiB */
	memset(m, 0, sizeof *m);
	size = round_pages(size);
	if (!size || hi <= lo)
		return -ENOMEM;
	/* In each pass, 2 MiB steps out from the range, alternately above
	 * it (leaving the first 2 MiB) and below it (from right below its
	 * 2 MiB boundary: a PIE run with ASLR off has its heap right above
	 * it and the rest of its block only there), up to 2 GiB away. */
	for (int pass = 0; pass < 4; pass++)
		for (uintptr_t i = 1; i <= 1024; i++) {
			uintptr_t up = ((hi + step - 1) & ~(step - 1)) + i * step;
			uintptr_t down =
				(lo & ~(step - 1)) - (i - 1) * step - size;
			for (int k = 0; k < 2; k++) {
				uintptr_t at = k ? down : up;
				if (k ? at > lo : at < hi) /* wrapped around */
					continue;
				if (pass_of(at, size, lo, hi, heap_start) != pass ||
				    !reach(at, lo, hi) ||
				    !reach(at + size, lo, hi))
					continue;
				void *p = try_at(at, size);
				if (p) {
					taken(m, p, size, fill);
					return 0;
				}
			}
		}
	return -ENOMEM;
}

int sc_execmem_reserve_hint(struct sc_execmem *m, const void *hint, size_t size,
			    uint32_t fill)
{
	memset(m, 0, sizeof *m);
	size = round_pages(size);
	void *p = size ? map_none((void *)hint, size, 0) : NULL;
	if (!p)
		return -ENOMEM;
	taken(m, p, size, fill);
	return 0;
}

uint8_t *sc_execmem_next(const struct sc_execmem *m, size_t len)
{
	size_t ps = sc_page_size();
	if (!m->base || !len || len > ps)
		return NULL;
	if (m->open && m->open_used + len <= ps)
		return m->open + m->open_used;
	if (m->used + ps > m->size)
		return NULL;
	return m->base + m->used;
}

uint8_t *sc_execmem_room(struct sc_execmem *m, size_t len)
{
	size_t ps = sc_page_size();
	uint8_t *at = sc_execmem_next(m, len);
	if (!at) {
		errno = ENOSPC;
		return NULL;
	}
	/* By room, not by address: a page filled exactly ends where the
	 * next one starts, so `at` would equal its end. */
	if (!m->open || m->open_used + len > ps) {
		/* A new page: the full one is sealed first (what it holds
		 * was written for good). */
		int err = sc_execmem_seal(m);
		if (err) {
			errno = -err;
			return NULL;
		}
		if (mprotect(at, ps, PROT_READ | PROT_WRITE))
			return NULL;
		/* a word at a time: an arch's trap is an instruction */
		for (size_t i = 0; i < ps; i += 4)
			memcpy(at + i, &m->fill, 4);
		m->open = at;
		m->open_used = 0;
		m->used += ps;
		count(&totals.open, (long)ps);
	}
	m->open_used += len;
	return at;
}

int sc_execmem_seal(struct sc_execmem *m)
{
	if (!m->open)
		return 0;
	size_t ps = sc_page_size();
	/* Coherent before executable: nothing can reach the page yet. */
	__builtin___clear_cache((char *)m->open, (char *)m->open + ps);
	if (mprotect(m->open, ps, PROT_READ | PROT_EXEC))
		return -errno;
	m->open = NULL;
	m->open_used = 0;
	m->sealed++;
	count(&totals.open, -(long)ps);
	count(&totals.exec, (long)ps);
	return 0;
}

void *sc_execmem_data_page(struct sc_execmem *m)
{
	size_t ps = sc_page_size();
	if (!m->base || m->used + ps > m->size) {
		errno = ENOSPC;
		return NULL;
	}
	/* After the open page: the pages handed out stay contiguous. */
	uint8_t *at = m->base + m->used;
	if (mprotect(at, ps, PROT_READ | PROT_WRITE))
		return NULL;
	memset(at, 0, ps);
	m->used += ps;
	m->data++;
	count(&totals.data, (long)ps);
	return at;
}

int sc_execmem_owns(const struct sc_execmem *m, const void *p)
{
	return m->base && (const uint8_t *)p >= m->base &&
	       (const uint8_t *)p < m->base + m->size;
}

void sc_execmem_release(struct sc_execmem *m)
{
	if (!m->base)
		return;
	size_t ps = sc_page_size();
	munmap(m->base, m->size);
	count(&totals.reserved, -(long)m->size);
	count(&totals.regions, -1);
	count(&totals.exec, -(long)(m->sealed * ps));
	count(&totals.data, -(long)(m->data * ps));
	if (m->open)
		count(&totals.open, -(long)ps);
	memset(m, 0, sizeof *m);
}

void sc_execmem_stats(struct sc_execmem_stats *st)
{
	st->reserved = __atomic_load_n(&totals.reserved, __ATOMIC_RELAXED);
	st->exec = __atomic_load_n(&totals.exec, __ATOMIC_RELAXED);
	st->open = __atomic_load_n(&totals.open, __ATOMIC_RELAXED);
	st->data = __atomic_load_n(&totals.data, __ATOMIC_RELAXED);
	st->regions = __atomic_load_n(&totals.regions, __ATOMIC_RELAXED);
}
