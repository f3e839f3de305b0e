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
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
