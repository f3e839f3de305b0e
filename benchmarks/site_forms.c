/*
 * site_forms.c - what each candidate shape of a promoted call site costs
 * (site_forms.S; docs/PATCHING.md "What a stub costs"): ns per call,
 * medians of ROUNDS runs, the forms' order rotating each round, and
 * ratios to the direct call and to the retpoline call; one site, then
 * 512 sites in a row (SF_SITES). Then the inline
 * form's protocol step (2), measured: how long
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) takes with a thread
 * calling through the rseq-guarded site, and how many of its calls the
 * kernel restarted (the site's abort handler counts them): each restart
 * is a thread that was between the compare and the call, sent back to
 * the compare.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_time.h"
#include "site_forms.h"

long sf_target(long);
long (*sf_fp)(long) = sf_target;
extern long sf_rseq_cs_off;
extern volatile long sf_aborts, sf_hits;

#define FORMS(X) \
	X(direct) X(stub) X(stub_counted) X(inline) X(inline_rseq) X(retpoline)
#define DECL(f) long sf_##f(long), sf_spread_##f(long);
FORMS(DECL)
#define ENTRY(f) { #f, sf_##f, sf_spread_##f },
static const struct {
	const char *name;
	long (*loop)(long), (*spread)(long);
} forms[] = { FORMS(ENTRY) };
#define NF (sizeof forms / sizeof *forms)

/* ns per call of each form's loop (spread: its SF_SITES-site loop),
 * medians of `rounds`, the order rotating each round; 0: a wrong sum. */
static int measure(long n, int rounds, int spread, int rseq, double med[NF])
{
	static double t[NF][64];
	for (int r = 0; r < rounds; r++)
		for (size_t k = 0; k < NF; k++) {
			size_t f = (k + r) % NF;
			long (*loop)(long) = spread ? forms[f].spread :
						      forms[f].loop;
			if (!rseq && forms[f].loop == sf_inline_rseq)
				continue;
			double t0 = now_ns();
			long got = loop(n);
			t[f][r] = (now_ns() - t0) / n;
			if (got != n) {
				fprintf(stderr,
					"site_forms: %s: %ld calls counted "
					"of %ld\n",
					forms[f].name, got, n);
				return 0;
			}
		}
	for (size_t f = 0; f < NF; f++)
		med[f] = median(t[f], rounds);
	return 1;
}

static void print(int sites, const double med[NF], int rseq)
{
	printf("form (%d site%s),ns_per_call,x_direct,x_retpoline\n", sites,
	       sites > 1 ? "s" : "");
	for (size_t f = 0; f < NF; f++)
		if (!rseq && forms[f].loop == sf_inline_rseq)
			printf("%s,,,(no rseq area: glibc.pthread.rseq=0?)\n",
			       forms[f].name);
		else
			printf("%s,%.3f,%.2f,%.2f\n", forms[f].name, med[f],
			       med[f] / med[0], med[f] / med[NF - 1]);
}

static long membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

static volatile int stop;
static void *caller(void *arg)
{
	long calls = 0;
	(void)arg;
	while (!stop)
		calls += sf_inline_rseq(1000);
	return (void *)calls;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 11;
	if (rounds < 1 || rounds > 64 || n < 1) {
		fprintf(stderr, "usage: site_forms [CALLS [ROUNDS (1-64)]]\n");
		return 2;
	}
	int rseq = __rseq_size > 0;
	sf_rseq_cs_off = __rseq_offset + offsetof(struct rseq, rseq_cs);
	double med[NF];
	if (!measure(n, rounds, 0, rseq, med))
		return 1;
	print(1, med, rseq);
	const long spread = n / SF_SITES * SF_SITES;
	if (!measure(spread, rounds, 1, rseq, med))
		return 1;
	print(SF_SITES, med, rseq);
	printf("# restarts of %ld rseq-guarded calls alone: %ld\n",
	       rounds * (n + spread), sf_aborts);

	if (!rseq ||
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)) {
		printf("# membarrier RSEQ: not available\n");
		return 0;
	}
	pthread_t th;
	long before = sf_aborts;
	pthread_create(&th, NULL, caller, NULL);
	double b[1000];
	const int nb = 1000;
	for (int i = 0; i < nb; i++) {
		double t0 = now_ns();
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ);
		b[i] = now_ns() - t0;
		usleep(100);
	}
	stop = 1;
	void *calls;
	pthread_join(th, &calls);
	printf("# membarrier RSEQ with a thread calling: median %.1f us; "
	       "%d barriers restarted %ld of %ld calls\n",
	       median(b, nb) / 1e3, nb, sf_aborts - before, (long)calls);
	return 0;
}
