/*
 * execmem.h - the one home of executable memory the runtime writes at run
 * time (execmem.c): generated functions (genfn.c) and promotion stubs
 * (promote.c). docs/PATCHING.md "Executable memory".
 *
 * A region is reserved PROT_NONE, near the code that will branch to it.
 * Its pages are handed out one at a time: a page is filled while it is
 * readable and writable only, then sealed (readable and executable) for
 * good before anything can reach it. No page is ever writable and
 * executable, no byte of a sealed page is written again. A region may
 * also hand out a plain data page (read-write for good, never
 * executable), near the code like its code pages (counters a stub
 * increments).
 *
 * Not locked: each region belongs to one caller, who serializes (the
 * runtime lock). The statistics are process-wide.
 */
#ifndef SC_EXECMEM_H
#define SC_EXECMEM_H

#include <stddef.h>
#include <stdint.h>

struct sc_execmem {
	uint8_t *base;	   /* reserved, PROT_NONE until handed out */
	size_t size, used; /* bytes; used: whole pages handed out */
	uint8_t *open;	   /* the page being filled (RW), or NULL */
	size_t open_used;
	size_t sealed, data; /* pages sealed RX, pages handed out RW */
	uint32_t fill;	     /* a fresh page's every word (a trap) */
};

/* Can a direct branch at `p` reach every address of [lo, hi) (and every
 * address of [lo, hi) reach p)? Each user gives its own: a rel32 call
 * spans +-2 GiB, an arm64 `bl` +-128 MiB. */
typedef int sc_execmem_reach_fn(uintptr_t p, uintptr_t lo, uintptr_t hi);

/* Reserve `size` bytes (rounded up to pages) whose every byte is within
 * `reach` of [lo, hi), at fixed 2 MiB steps alternately above and below
 * the range, nearest first (never replacing a mapping), preferring a 16
 * MiB block the range touches and keeping clear of the heap's room above
 * the program break (execmem.c). 0, or -ENOMEM with *m zeroed. */
int sc_execmem_reserve(struct sc_execmem *m, uintptr_t lo, uintptr_t hi,
		       size_t size, sc_execmem_reach_fn *reach, uint32_t fill);
/* Reserve `size` bytes where the kernel puts them given `hint` (not
 * fixed: the caller checks the reach it needs). 0 or -ENOMEM. */
int sc_execmem_reserve_hint(struct sc_execmem *m, const void *hint, size_t size,
			    uint32_t fill);

/* Where sc_execmem_room(m, len) would return, without taking it (encode
 * for that address first); NULL if it would fail. */
uint8_t *sc_execmem_next(const struct sc_execmem *m, size_t len);
/* Room for `len` bytes in the open page (opening one: RW, never X,
 * each 4-byte word m->fill; a full open page is sealed first). NULL with
 * errno ENOSPC when the region has no room (nothing changed: the open
 * page stays open), or the error of mprotect. */
uint8_t *sc_execmem_room(struct sc_execmem *m, size_t len);
/* The open page becomes read-only and executable, for good, its
 * instruction cache made coherent; 0 (also with no open page) or
 * -errno (-EACCES: a W^X policy refuses it; the page stays RW and
 * open, nothing reaches it). */
int sc_execmem_seal(struct sc_execmem *m);
/* A page of the region that stays read-write and never executable,
 * zeroed; NULL with errno ENOSPC when the region is full. */
void *sc_execmem_data_page(struct sc_execmem *m);
/* Is p inside the region? */
int sc_execmem_owns(const struct sc_execmem *m, const void *p);
/* Unmap the whole region (its caller knows no thread can be inside or
 * about to enter it) and zero *m. */
void sc_execmem_release(struct sc_execmem *m);

/* Process-wide, for memory reports: bytes reserved (address space),
 * sealed executable, open for writing, data; regions alive. */
struct sc_execmem_stats {
	size_t reserved, exec, open, data, regions;
};
void sc_execmem_stats(struct sc_execmem_stats *st);

#endif
