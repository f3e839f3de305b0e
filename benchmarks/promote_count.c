/*
 * promote_count.c - what hit counters (STATICCALL_PROMOTE_COUNT, read
 * once at start-up) cost a promoted site called from several threads:
 * its stub's `incq hits(%rip)` writes one cache line every caller shares,
 * until the counter stops at STATIC_CALL_PROMOTE_HITS_MAX (then the stub
 * only reads it). One monomorphic promoted site (promote_loop.c's mono
 * loop, promote mode) called CALLS times by 1 thread, then by 2 threads
 * at once (each CALLS times); ns per call per thread, one line per round,
 * S 1 if the counter had stopped when the round began:
 *
 *	round R threads T ns N stopped S
 *
 * promote_count.sh runs it with counters on and off, alternately, and
 * prints the medians side by side. Exits 1 if the site is not promoted
 * or its counting is not what STATICCALL_PROMOTE_COUNT asked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <staticcall/promote.h>

#include "bench_time.h"

extern long (*volatile pt_mono)(long);
long promoted_mono(long n);

static long calls;
static pthread_barrier_t start;
static volatile long sink;

/* The promoted site of promoted_mono, on its stub of one target; NULL
 * until the runtime promoted it. */
static int site_of_mono(struct static_call_promote_site_info *out)
{
	struct static_call_promote_site_info s[64];
	int n = static_call_promote_sites(s, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (s[i].state == STATIC_CALL_PROMOTE_PROMOTED &&
		    s[i].ntargets == 1 && s[i].targets[0] == (void *)pt_mono) {
			*out = s[i];
			return 1;
		}
	return 0;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	sink += promoted_mono(calls);
	return NULL;
}

/* ns per call per thread, nthreads calling the site at once */
static double run(int nthreads)
{
	pthread_t t[2];
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	pthread_barrier_wait(&start);
	double t0 = now_ns();
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	double ns = (now_ns() - t0) / calls;
	pthread_barrier_destroy(&start);
	return ns;
}

int main(int argc, char **argv)
{
	calls = argc > 1 ? atol(argv[1]) : 5000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	const char *pc = getenv("STATICCALL_PROMOTE_COUNT");
	int want_counted = !pc || !*pc || !(strcmp(pc, "0") == 0 ||
					    strcmp(pc, "off") == 0);
	extern long (*pt_all[64])(long);
	pt_mono = pt_all[0];
	struct static_call_promote_site_info s;
	/* warm-up: the site learns its one target (batches: give it time) */
	for (int i = 0; i < 200 && !site_of_mono(&s); i++)
		sink += promoted_mono(100000);
	if (!site_of_mono(&s) || s.counted != want_counted) {
		fprintf(stderr, "promote_count: the site is %s\n",
			site_of_mono(&s) ? "promoted, counted otherwise" :
					   "not promoted");
		return 1;
	}
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++) {
			int nthreads = 1 + (k + r) % 2; /* order alternates */
			site_of_mono(&s);
			int stopped = s.counted &&
				      s.hits[0] >= STATIC_CALL_PROMOTE_HITS_MAX;
			printf("round %d threads %d ns %.3f stopped %d\n", r,
			       nthreads, run(nthreads), stopped);
		}
	site_of_mono(&s);
	printf("counted %d hits %lu\n", s.counted, s.hits[0]);
	return 0;
}
