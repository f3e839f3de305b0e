/*
 * promote_report.c - LD_PRELOADed into a program built in promote mode
 * (gcc_promote_cflags): writes to $PROMOTE_REPORT_OUT, at exit, what the
 * runtime learned. First line (CSV): sites, executed (sampled, promoted
 * or given up on), promoted, megamorphic, far, tail sites, tail sites
 * unlearned, executed sites still learning, promotions, demotions,
 * samples, stubs, stub bytes, ms from start to the first and to the last
 * promotion (learning time; polled every 2 ms), run ms, samples no site
 * took (their return address names no learning site; before jump sites,
 * GCC's computed gotos and jump tables shared the thunks this way). Then
 * one line per executed site not promoted, most sampled first: where the
 * retpoline cost that promotion did not recover goes (tail=1: a tail
 * call; tail=2: a jump site, a computed goto or a jump table). The report is written when
 * the first object unregisters its sites (interposed, below).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "staticcall/promote.h"

static double t_start, t_first = -1, t_last = -1;
static unsigned long last_promotions;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void poll_once(void)
{
	struct static_call_promote_stats s;
	if (static_call_promote_stats(&s) != 0)
		return;
	if (s.promotions != last_promotions) {
		double t = now_ms() - t_start;
		if (t_first < 0)
			t_first = t;
		t_last = t;
		last_promotions = s.promotions;
	}
}

static void *poller(void *arg)
{
	(void)arg;
	for (;;) {
		poll_once();
		usleep(2000);
	}
	return NULL;
}

__attribute__((constructor)) static void report_start(void)
{
	pthread_t t;
	t_start = now_ms();
	if (pthread_create(&t, NULL, poller, NULL) == 0)
		pthread_detach(t);
}

static int by_samples(const void *a, const void *b)
{
	const struct static_call_promote_site_info *x = a, *y = b;
	return (y->samples > x->samples) - (y->samples < x->samples);
}

static void report_end(void)
{
	static int done;
	if (done++)
		return;
	const char *path = getenv("PROMOTE_REPORT_OUT");
	struct static_call_promote_stats s;
	poll_once();
	if (!path || static_call_promote_stats(&s) != 0)
		return;
	int n = static_call_promote_sites(NULL, 0);
	struct static_call_promote_site_info *v =
		n > 0 ? calloc(n, sizeof(*v)) : NULL;
	if (n > 0 && v)
		n = static_call_promote_sites(v, n);
	else
		n = 0;
	size_t executed = 0, learning = 0;
	unsigned long tallied = 0;
	for (int i = 0; i < n; i++) {
		int run = v[i].samples || v[i].promotions ||
			  v[i].state == STATIC_CALL_PROMOTE_MEGAMORPHIC ||
			  v[i].state == STATIC_CALL_PROMOTE_FAR;
		executed += run;
		tallied += v[i].samples;
		learning += run && v[i].state == STATIC_CALL_PROMOTE_LEARNING;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%zu,%zu,%zu,%zu,%zu,%zu,%zu,%zu,%lu,%lu,%lu,%zu,%zu,%.1f,%.1f,%.0f,%lu\n",
		s.sites, executed, s.promoted, s.megamorphic, s.far,
		s.tail_sites, s.tail_unlearned, learning, s.promotions,
		s.demotions, s.samples, s.stubs, s.stub_bytes, t_first, t_last,
		now_ms() - t_start, s.samples > tallied ? s.samples - tallied : 0);
	/* promote-inline: how many of the promoted sites compare inline,
	 * and the others by kind (tail calls and jumps have no inline form;
	 * a call through %r10/%r11 neither) */
	size_t p_inline = 0, p_tail = 0, p_jump = 0, p_call = 0;
	for (int i = 0; i < n; i++) {
		if (v[i].state != STATIC_CALL_PROMOTE_PROMOTED)
			continue;
		if (v[i].inline_target)
			p_inline++;
		else if (v[i].tail == 2)
			p_jump++;
		else if (v[i].tail)
			p_tail++;
		else
			p_call++;
	}
	fprintf(f, "inline: sites=%zu open=%zu; promoted: inline=%zu "
		   "tail=%zu jump=%zu other_calls=%zu\n",
		s.inline_sites, s.inline_open, p_inline, p_tail, p_jump, p_call);
	qsort(v, n, sizeof(*v), by_samples);
	for (int i = 0; i < n; i++) {
		if (v[i].state == STATIC_CALL_PROMOTE_PROMOTED || !v[i].samples)
			continue;
		/* object+offset: `addr2line -f -e OBJECT OFFSET` names it */
		Dl_info di;
		const char *obj = "?";
		unsigned long off = 0;
		if (dladdr(v[i].address, &di) && di.dli_fname) {
			obj = di.dli_fname;
			off = (unsigned long)((const char *)v[i].address -
					      (const char *)di.dli_fbase);
		}
		fprintf(f, "%p %s+%#lx %s tail=%d samples=%lu promotions=%lu demotions=%lu\n",
			v[i].address, obj, off,
			static_call_promote_state_name(v[i].state), v[i].tail, v[i].samples,
			v[i].promotions, v[i].demotions);
	}
	fclose(f);
	free(v);
}

/* Interposed: the report is written when the first object unregisters
 * its sites (its destructor, at exit), while they are all there. */
void __staticcall_promote_unregister(const void *begin, const void *end)
{
	static void (*next)(const void *, const void *);
	report_end();
	if (!next)
		next = (void (*)(const void *, const void *))dlsym(
			RTLD_NEXT, "__staticcall_promote_unregister");
	if (next)
		next(begin, end);
}
