/*
 * bind_cost.c - one process of bind_cost.sh: what a shared object with
 * many sites costs to load, and how much of its text turns private, when
 * only some of its sites run (lazy binding against eager, issue 17; the
 * mode is the process's STATICCALL_BIND).
 *
 *   bind_cost PLUGIN.so PLAIN.so NFNS [plain-first]
 *
 * PLUGIN.so and PLAIN.so are gen_sites.py's object with and without the
 * plugin (one key, 1,000 sites per function). Loads both (dlopen, timed;
 * plain first with `plain-first`), then runs the sites of NFNS functions
 * spread evenly over the object (1 of 100 functions: 1% of the sites),
 * timing that first run and a second one, and prints one line:
 *   load_plugin_us load_plain_us first_run_us second_run_us sites ran
 *   text_kb private_kb private_plain_kb ran_pages_kb bound
 * private: kB of the executable mapping made private (copy-on-write,
 * smaps Anonymous) after the run; ran_pages_kb: the pages holding the
 * sites that ran (what lazy binding should make private, at most);
 * bound: sites not on their trampoline for "not bound yet".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_text_mem.h"
#include "bench_time.h"
#include "staticcall.h"


static void *load(const char *path, double *us)
{
	double t0 = now_ns();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	*us = (now_ns() - t0) / 1e3;
	if (!h) {
		fprintf(stderr, "bind_cost: %s\n", dlerror());
		exit(1);
	}
	return h;
}

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bind_cost PLUGIN.so PLAIN.so NFNS "
				"[plain-first]\n");
		return 2;
	}
	const char *plug = argv[1], *plain = argv[2];
	int want = atoi(argv[3]);
	double t_plug, t_plain;
	void *hp, *h;
	if (argc > 4) {
		hp = load(plain, &t_plain);
		h = load(plug, &t_plug);
	} else {
		h = load(plug, &t_plug);
		hp = load(plain, &t_plain);
	}
	int nfns = *(int *)dlsym(h, "bench_nfns");
	int nsites = *(int *)dlsym(h, "bench_nsites");
	void (*const *fns)(void) = dlsym(h, "bench_fns");
	unsigned long (*call_fn)(int) = dlsym(h, "bench_call_fn");
	int (*sites)(struct static_call_site_info *, size_t) =
		dlsym(h, "bench_sites");
	unsigned long (*call_plain)(void) = dlsym(hp, "bench_call");
	if (!fns || !call_fn || !sites || !call_plain || want < 1 ||
	    want > nfns) {
		fprintf(stderr, "bind_cost: bad objects or NFNS\n");
		return 1;
	}
	call_plain(); /* the plain object's text as a run leaves it */

	/* the functions that run: NFNS of them, spread evenly */
	int *ran = calloc(want, sizeof *ran);
	for (int i = 0; i < want; i++)
		ran[i] = (int)((long)i * nfns / want + nfns / want / 2);
	unsigned long reached = 0;
	double t0 = now_ns();
	for (int i = 0; i < want; i++)
		reached += call_fn(ran[i]);
	double first = (now_ns() - t0) / 1e3;
	t0 = now_ns();
	for (int i = 0; i < want; i++)
		call_fn(ran[i]);
	double second = (now_ns() - t0) / 1e3;

	/* the pages holding the sites that ran: a function's sites lie
	 * between its address and the next function's */
	struct static_call_site_info *si = calloc(nsites + 1, sizeof *si);
	int n = sites(si, nsites + 1), bound = 0, nran = 0;
	uintptr_t *fa = calloc(nfns, sizeof *fa);
	for (int i = 0; i < nfns; i++)
		fa[i] = (uintptr_t)fns[i];
	qsort(fa, nfns, sizeof *fa, cmp_addr);
	uintptr_t ps = (uintptr_t)getpagesize(), last_page = 0;
	long ran_pages = 0;
	uintptr_t *addr = calloc(n, sizeof *addr);
	for (int k = 0; k < n; k++) {
		addr[k] = (uintptr_t)si[k].address;
		bound += !(si[k].reason &&
			   strstr(si[k].reason, "not bound yet"));
	}
	qsort(addr, n, sizeof *addr, cmp_addr);
	for (int k = 0; k < n; k++) {
		int in = 0;
		for (int i = 0; i < want && !in; i++) {
			uintptr_t lo = (uintptr_t)fns[ran[i]], hi = UINTPTR_MAX;
			for (int j = 0; j < nfns; j++)
				if (fa[j] > lo && fa[j] < hi)
					hi = fa[j];
			in = addr[k] >= lo && addr[k] < hi;
		}
		if (!in)
			continue;
		nran++;
		/* a call site's bytes may reach the next page */
		for (uintptr_t p = addr[k] & ~(ps - 1);
		     p <= ((addr[k] + 4) & ~(ps - 1)); p += ps)
			if (p > last_page || !last_page) {
				ran_pages++;
				last_page = p;
			}
	}
	long text_kb, anon_kb, text_plain, anon_plain;
	text_mem(plug, &text_kb, &anon_kb);
	text_mem(plain, &text_plain, &anon_plain);
	if (reached != (unsigned long)want * 1000 || nran != want * 1000) {
		fprintf(stderr,
			"bind_cost: %lu calls reached, %d sites ran "
			"(expected %d)\n",
			reached, nran, want * 1000);
		return 1;
	}
	printf("%.1f %.1f %.1f %.1f %d %d %ld %ld %ld %ld %d\n", t_plug,
	       t_plain, first, second, n, nran, text_kb, anon_kb, anon_plain,
	       ran_pages * (long)(ps / 1024), bound);
	return 0;
}
