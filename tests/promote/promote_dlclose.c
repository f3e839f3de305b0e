/*
 * promote_dlclose LIB: the promoted library dlopen'ed, called until its
 * sites are promoted (stubs made), dlclose'd, 48 times. The stub memory
 * of each unloaded copy is released with it (issue 16): the address space
 * does not grow (each copy kept would cost its 4 MiB stub region).
 * A library built with promote-inline: also until an inline site is
 * open, then the thread that called it sleeps after the dlclose (the
 * kernel then reads the last restartable-sequence descriptor the thread
 * stored, which must not have gone with the library: a SIGSEGV if it
 * had; docs/PATCHING.md "Inline sites").
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "staticcall/promote.h"
#include "promote_lib.h"

static long add1(long x)
{
	return x + 1;
}

static size_t vm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmSize:", 7))
			kib = strtoul(line + 7, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	size_t base = 0, promoted = 0, opened = 0;
	long sum = 0;
	for (int round = 0; round < 48; round++) {
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		long (*apply)(long (*)(long), long) = dlsym(h, "lib_apply");
		long (*dispatch)(unsigned, long) = dlsym(h, "lib_dispatch");
		if (!apply || !dispatch)
			return 1;
		/* until promoted (decisions wait in a batch for a few ms
		 * before their sites move), at most 100 x 20,000 calls */
		struct static_call_promote_stats st = { 0 };
		for (int k = 0; k < 100 && (!st.promoted ||
					    st.inline_open < (st.inline_sites > 0));
		     k++) {
			for (long i = 0; i < 20000; i++)
				sum += apply(add1, i) +
				       dispatch((unsigned)i, i);
			if (static_call_promote_stats(&st))
				break;
		}
		promoted += st.promoted;
		opened += st.inline_open;
		dlclose(h);
		usleep(500);
		if (round == 7)
			base = vm_kib();
	}
	size_t end = vm_kib();
	printf("promote_dlclose: %zu promoted site-rounds, %zu inline open, "
	       "VmSize %zu -> %zu KiB (sum %ld)\n",
	       promoted, opened, base, end, sum);
	if (!promoted) {
		fprintf(stderr, "FAIL: nothing promoted: no stubs made\n");
		return 1;
	}
	/* 40 rounds more: kept regions would add 10 MiB */
	if (end > base + 2048) {
		fprintf(stderr, "FAIL: VmSize grew by %zu KiB\n", end - base);
		return 1;
	}
	return 0;
}
