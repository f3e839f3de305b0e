/*
 * bench_text_mem.h - how much of an object's text a process has made
 * private (copy-on-write), from /proc/self/smaps: what patching costs in
 * memory (update_cost.c, bind_cost.c).
 */
#ifndef BENCH_TEXT_MEM_H
#define BENCH_TEXT_MEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kB of Size and of Anonymous pages (file pages copied on write: made
 * private to this process) in the executable mappings of `path`.
 * (Not Private_Dirty: that also counts page-cache pages not yet written
 * back, as with an object the linker just wrote.) */
static inline void text_mem(const char *path, long *size_kb, long *dirty_kb)
{
	char real[4096], line[4352];
	if (!realpath(path, real))
		snprintf(real, sizeof real, "%s", path);
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;
	*size_kb = *dirty_kb = 0;
	while (f && fgets(line, sizeof line, f)) {
		char perms[8], name[4096] = "";
		unsigned long lo, hi;
		long v;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &lo, &hi,
			   perms, name) >= 3) {
			in = perms[2] == 'x' && strcmp(name, real) == 0;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Size: %ld kB", &v) == 1)
			*size_kb += v;
		else if (sscanf(line, "Anonymous: %ld kB", &v) == 1)
			*dirty_kb += v;
	}
	if (f)
		fclose(f);
}

#endif
