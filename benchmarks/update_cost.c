/*
 * update_cost.c - what a key with many sites costs: static_call_update time,
 * registration and initial patching at load time, metadata and memory.
 *
 *   update_cost ROUNDS N PLUGIN.so PLAIN.so [N PLUGIN.so PLAIN.so ...]
 *
 * Each PLUGIN.so (gen_sites.py, built with the plugin) holds N sites of one
 * key; PLAIN.so is the same source without the plugin (indirect calls).
 * For each N, side by side in one process:
 *  - load: dlopen+dlclose of both, alternating, ROUNDS times; the median
 *    difference is registration + initial patching (plus the page faults
 *    of the text the patching touches, which the plain load never does);
 *  - update: static_call_update alternating between two targets, ROUNDS
 *    times (at least 5), median and minimum;
 *  - memory: Anonymous kB of the object's executable mapping in
 *    /proc/self/smaps after loading (the text pages made private,
 *    copy-on-write, in this process), against the plain object.
 * Every site is checked direct (form and live bytes) after the first
 * update, and calling every site once must reach the new target N times.
 * Prints a table and, for the scripts, one "csv," line per N.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "staticcall.h"

/* The runtime's decoder for this machine (update_cost.sh names it and
 * links its arch library, runtime/meson.build: staticcall_arch). */
extern const struct sc_arch_ops BENCH_ARCH;
#include "bench_text_mem.h"
#include "bench_time.h"

typedef int update_fn(int);
typedef int sites_fn(struct static_call_site_info *, size_t);
typedef unsigned long call_fn(void);

static void *load(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "update_cost: %s\n", dlerror());
		exit(1);
	}
	return h;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (argc - 2) % 3) {
		fprintf(stderr,
			"usage: update_cost ROUNDS N PLUGIN.so PLAIN.so ...\n");
		return 2;
	}
	int rounds = atoi(argv[1]);
	if (rounds < 5)
		rounds = 5;
	double *a = calloc(rounds, sizeof *a), *b = calloc(rounds, sizeof *b),
	       *d = calloc(rounds, sizeof *d);
	int bad = 0;

	printf("%8s %12s %12s %10s %12s %12s %10s %9s %9s\n", "sites",
	       "update us", "min us", "ns/site", "load+ us", "us plain",
	       "ns/site", "text kB", "private");
	for (int i = 2; i + 2 < argc; i += 3) {
		long n = atol(argv[i]);
		const char *plug = argv[i + 1], *plain = argv[i + 2];

		/* Load cost: alternate plugin and plain objects. */
		for (int r = 0; r < rounds; r++) {
			for (int k = 0; k < 2; k++) {
				const char *p = (k ^ (r & 1)) ? plain : plug;
				double t0 = now_ns();
				void *h = load(p);
				double t1 = now_ns();
				dlclose(h);
				(p == plug ? a : b)[r] = (t1 - t0) / 1e3;
			}
			d[r] = a[r] - b[r];
		}
		double load_plug = median(a, rounds),
		       load_plain = median(b, rounds);
		double load_extra = median(d, rounds);

		/* Memory of the plain object, loaded and every site run once. */
		long size_plain, dirty_plain, size_kb, dirty_kb;
		void *hp = load(plain);
		((call_fn *)dlsym(hp, "bench_call"))();
		text_mem(plain, &size_plain, &dirty_plain);
		dlclose(hp);

		void *h = load(plug);
		update_fn *upd = (update_fn *)dlsym(h, "bench_update");
		sites_fn *lst = (sites_fn *)dlsym(h, "bench_sites");
		call_fn *call = (call_fn *)dlsym(h, "bench_call");
		if (!upd || !lst || !call) {
			fprintf(stderr,
				"update_cost: %s lacks the bench entry points\n",
				plug);
			return 1;
		}
		struct static_call_site_info *si = calloc(n + 1, sizeof *si);
		int total = lst(si, n + 1), direct_at_load = 0;
		for (int k = 0; k < total && k <= n; k++)
			direct_at_load += si[k].form == STATIC_CALL_SITE_DIRECT;
		text_mem(plug, &size_kb, &dirty_kb);

		/* Update cost: alternate between the two targets. */
		for (int r = 0; r < rounds; r++) {
			double t0 = now_ns();
			int rc = upd(!(r & 1));
			double t1 = now_ns();
			if (rc) {
				fprintf(stderr,
					"update_cost: update failed: %d\n", rc);
				return 1;
			}
			a[r] = (t1 - t0) / 1e3;
		}
		double up_min = a[0];
		for (int r = 1; r < rounds; r++)
			up_min = a[r] < up_min ? a[r] : up_min;
		double up = median(a, rounds);

		/* Leave it on target 1, then check every site, bytes and calls. */
		if (rounds % 2 == 0)
			upd(1);
		total = lst(si, n + 1);
		int direct = 0;
		for (int k = 0; k < total && k <= n; k++) {
			struct sc_code c = { .insn = si[k].address,
					     .kind = SC_INSN_CALL,
					     .len = (uint8_t)BENCH_ARCH.insn_len(
						     SC_INSN_CALL) };
			void *to = NULL;
			if (si[k].form == STATIC_CALL_SITE_DIRECT &&
			    BENCH_ARCH.read_site(&c, c.insn, &to) ==
				    STATIC_CALL_SITE_DIRECT &&
			    to == si[k].reaches)
				direct++;
		}
		unsigned long reached = call();
		long size2, dirty_after;
		text_mem(plug, &size2, &dirty_after);
		if (total != n || direct != n ||
		    reached != 2 * (unsigned long)n) {
			fprintf(stderr,
				"update_cost: N=%ld: %d sites registered, %d "
				"direct at load, %d direct after update, calls "
				"reached %lu/%lu\n",
				n, total, direct_at_load, direct, reached,
				2 * (unsigned long)n);
			bad = 1;
		}
		free(si);
		dlclose(h);

		printf("%8ld %12.1f %12.1f %10.1f %12.1f %12.1f %10.1f %9ld %4ld->%ld\n",
		       n, up, up_min, up * 1e3 / n, load_extra, load_plain,
		       load_extra * 1e3 / n, size_kb, dirty_plain, dirty_after);
		printf("csv,%ld,%.3f,%.3f,%.3f,%.3f,%.3f,%ld,%ld,%ld,%ld,%d,%d\n",
		       n, up, up_min, load_plug, load_plain, load_extra,
		       size_kb, dirty_plain, dirty_kb, dirty_after,
		       direct_at_load, direct);
		fflush(stdout);
	}
	return bad;
}
