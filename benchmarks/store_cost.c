/*
 * store_cost.c - what routing stores costs (docs/FIELD_KEYS.md): a
 * memcpy, or a struct assignment of a type holding field keys, through an
 * arbitrary pointer is followed by __staticcall_store_range. Measured side
 * by side in one process, median of ROUNDS, ns per store of 64 bytes:
 *  - through a pointer into heap memory (the inline bounds check answers:
 *    no key there), routed against the same store compiled without the
 *    plugin;
 *  - a memset of a global without keys (proven key-free at compile time:
 *    nothing follows it, the ratio must be 1), and one through a pointer
 *    chosen at run time between two such globals (proven key-free by the
 *    compiler's alias facts: ratio 1 at -O2);
 *  - into the global object that holds the keys (the runtime takes its
 *    lock and re-patches both keys; values unchanged).
 *
 *   store_cost [ROUNDS [STORES]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_time.h"
#include "store_cost.h"

#define MAXR 101

typedef void (*copy_fn)(void *, const void *, size_t);
typedef void (*assign_fn)(struct methods *, const struct methods *);

static double time_copy(copy_fn f, void *dst, const void *src, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		f(dst, src, sizeof(struct methods));
	return (now_ns() - t0) / n;
}

static double time_fill(void (*f)(int), long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		f((int)i);
	return (now_ns() - t0) / n;
}

static double time_assign(assign_fn f, struct methods *dst,
			  const struct methods *src, long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		f(dst, src);
	return (now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 11;
	long n = argc > 2 ? atol(argv[2]) : 2000000;
	if (rounds < 1 || rounds > MAXR || n < 1)
		return 2;
	struct methods *heap = malloc(sizeof *heap), src = global_methods;
	if (!heap)
		return 1;
	double cp[MAXR], cr[MAXR], ap[MAXR], ar[MAXR], gk[MAXR], fp[MAXR],
		fr[MAXR], xp[MAXR], xr[MAXR];
	for (int r = 0; r < rounds; r++) {
		cp[r] = time_copy(copy_plain, heap, &src, n);
		cr[r] = time_copy(copy_routed, heap, &src, n);
		ap[r] = time_assign(assign_plain, heap, &src, n);
		ar[r] = time_assign(assign_routed, heap, &src, n);
		fp[r] = time_fill(fill_unrelated_plain, n);
		fr[r] = time_fill(fill_unrelated_routed, n);
		xp[r] = time_fill(fill_chosen_plain, n);
		xr[r] = time_fill(fill_chosen_routed, n);
		gk[r] = time_assign(assign_routed, &global_methods, &src,
				    n / 100 + 1);
	}
	/* the keys still work after all that */
	if (call_one(1) != 2)
		return 1;
	double mcp = median(cp, rounds), mcr = median(cr, rounds);
	double map = median(ap, rounds), mar = median(ar, rounds);
	printf("store of 64 bytes, ns (median of %d x %ld)   plain   routed  ratio\n",
	       rounds, n);
	printf("memcpy into the heap                      %7.2f %8.2f %6.2f\n",
	       mcp, mcr, mcr / mcp);
	printf("struct assignment into the heap           %7.2f %8.2f %6.2f\n",
	       map, mar, mar / map);
	double mfp = median(fp, rounds), mfr = median(fr, rounds);
	printf("memset of a global without keys           %7.2f %8.2f %6.2f\n",
	       mfp, mfr, mfr / mfp);
	double mxp = median(xp, rounds), mxr = median(xr, rounds);
	printf("memset through a pointer to either of two %7.2f %8.2f %6.2f\n",
	       mxp, mxr, mxr / mxp);
	printf("struct assignment into the keys' object          %8.1f\n",
	       median(gk, rounds));
	printf("csv,%.3f,%.3f,%.3f,%.3f,%.1f,%.3f,%.3f,%.3f,%.3f\n", mcp, mcr,
	       map, mar, median(gk, rounds), mfp, mfr, mxp, mxr);
	free(heap);
	return 0;
}
