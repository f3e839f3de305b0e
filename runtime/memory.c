/*
 * memory.c - the runtime's allocations, kept from disturbing the program's
 * malloc.
 *
 * glibc serves large requests with mmap and, when such a chunk is freed,
 * raises its mmap and trim thresholds to that size for the rest of the
 * process. One update of a key with thousands of sites plans in buffers of
 * megabytes: freeing them through free() changed the program's heap
 * behaviour (libxml2 parsing took 50% more CPU, in malloc_consolidate).
 * Large blocks are therefore mapped and unmapped here directly; small ones
 * go to malloc, which never moves its thresholds for them.
 *
 * Large blocks are mapped populated: every caller sizes them to what it
 * fills, and one system call costs less than a page fault per page (a
 * registration of 100,000 sites touched 5,800 pages; in a virtual machine
 * a fault costs microseconds).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define LARGE (32u * 1024)
#define HEADER 16u /* keeps the block 16-byte aligned */

void *sc_mem_alloc(size_t n)
{
	size_t total = n + HEADER;
	if (total < n)
		return NULL;
	unsigned char *p;
	if (total >= LARGE) {
		p = mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
	} else {
		p = calloc(1, total);
		if (!p)
			return NULL;
	}
	memcpy(p, &total, sizeof total);
	return p + HEADER;
}

/* The same, its pages left unmapped until first written: for arrays
 * filled piecemeal or never (the site records of a lazily registered
 * object, object.c). Only the header's page is touched. */
void *sc_mem_alloc_untouched(size_t n)
{
	size_t total = n + HEADER;
	if (total < n)
		return NULL;
	if (total < LARGE)
		return sc_mem_alloc(n);
	unsigned char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, &total, sizeof total);
	return p + HEADER;
}

void sc_mem_free(void *q)
{
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - HEADER;
	size_t total;
	memcpy(&total, p, sizeof total);
	if (total >= LARGE)
		munmap(p, total);
	else
		free(p);
}

void *sc_mem_realloc(void *q, size_t n)
{
	void *r = sc_mem_alloc(n);
	if (!r || !q)
		return r;
	size_t old;
	memcpy(&old, (unsigned char *)q - HEADER, sizeof old);
	old -= HEADER;
	memcpy(r, q, old < n ? old : n);
	sc_mem_free(q);
	return r;
}

/*
 * Sorting without glibc's qsort, which merge-sorts through a malloc'ed copy
 * of the array (megabytes for a key with 100,000 sites): the same
 * threshold side effect as above, and slow once the copy leaves the
 * caches. Plans are usually sorted already (checked in one pass); else an
 * in-place heap sort: O(n log n), no allocation.
 */
static void swap_elems(unsigned char *a, unsigned char *b, size_t size)
{
	/* a word at a time: promotion sorts records of ~250 bytes (a
	 * byte loop was 17 M instructions for SQLite's 937 sites) */
	for (; size >= 8; size -= 8, a += 8, b += 8) {
		uint64_t t, u;
		memcpy(&t, a, 8);
		memcpy(&u, b, 8);
		memcpy(a, &u, 8);
		memcpy(b, &t, 8);
	}
	while (size--) {
		unsigned char t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

static void sift_down(unsigned char *base, size_t root, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n &&
		    cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap_elems(base + root * size, base + child * size, size);
		root = child;
	}
}

/* Move each element that is smaller than its predecessor back into place:
 * O(n * d) for d such elements (a plan: sites in address order plus a
 * trampoline slot or two). */
static void insertion_sort(unsigned char *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	unsigned char tmp[64];
	for (size_t i = 1; i < n; i++) {
		unsigned char *e = base + i * size;
		if (cmp(e - size, e) <= 0)
			continue;
		size_t lo = 0, hi = i; /* first position whose element > e */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp(base + mid * size, e) > 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		memcpy(tmp, e, size);
		memmove(base + (lo + 1) * size, base + lo * size,
			(i - lo) * size);
		memcpy(base + lo * size, tmp, size);
	}
}

void sc_sort(void *v, size_t n, size_t size,
	     int (*cmp)(const void *, const void *))
{
	unsigned char *base = v;
	size_t i, descents = 0;
	for (i = 1; i < n; i++)
		if (cmp(base + (i - 1) * size, base + i * size) > 0)
			descents++;
	if (descents == 0)
		return; /* already sorted */
	if (descents <= 32 && size <= 64) {
		insertion_sort(base, n, size, cmp);
		return;
	}
	for (i = n / 2; i-- > 0;)
		sift_down(base, i, n, size, cmp);
	for (i = n; i-- > 1;) {
		swap_elems(base, base + i * size, size);
		sift_down(base, 0, i, size, cmp);
	}
}
