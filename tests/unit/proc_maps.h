/*
 * proc_maps.h - the permissions of the mapping holding an address, as
 * /proc/self/maps says ("rw-p", "r-xp"; "????" when none holds it), for
 * the unit tests that check runtime-made memory (test_execmem.c,
 * test_promote.c).
 */
#ifndef SC_TEST_PROC_MAPS_H
#define SC_TEST_PROC_MAPS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline void perms_of(const void *p, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	char perms[5];
	strcpy(out, "????");
	while (f && fscanf(f, "%lx-%lx %4s%*[^\n]", &a, &b, perms) == 3)
		if ((uintptr_t)p >= a && (uintptr_t)p < b)
			strcpy(out, perms);
	if (f)
		fclose(f);
}

#endif
