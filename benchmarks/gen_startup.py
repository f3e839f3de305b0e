#!/usr/bin/env python3
"""Generate a program with many keys and many call sites, for start-up cost.

gen_startup.py OUT_DIR SITES KEYS [PER_TU]  writes into OUT_DIR:
  keys.h       the KEYS keys (`void (*STATIC_CALL key_K)(void)`)
  keys.c       the keys, each set to one of four targets in its own unit
               (so every site can go direct at start-up: eager patching),
               and the targets, which count their calls
  sites_U.c    the call sites, PER_TU (default 10000) per translation unit,
               1000 per function; site i calls key i % KEYS, so every key
               has sites on pages all over the text
  main.c       main(): figures taken first thing (time since the runner's
               spawn, VmRSS/VmHWM, mappings of the executable), printed as
               one line; with STARTUP_RUN_ALL set, then calls every site
               once and prints run_ns= (spawn to every site run); with the
               argument `check`, also calls every site once and counts the
               sites of every key that are direct
  units.list   the translation units, one a line
"""
import os, sys

out, nsites, nkeys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per_tu = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
per_fn = 1000
os.makedirs(out, exist_ok=True)


def write(name, text):
    path = os.path.join(out, name)
    if not os.path.exists(path) or open(path).read() != text:
        open(path, 'w').write(text)


h = ['#include "staticcall.h"', '']
h += ['extern void (*STATIC_CALL key_%d)(void);' % k for k in range(nkeys)]
h += ['#define NKEYS %d' % nkeys, '#define NSITES %d' % nsites]
write('keys.h', '\n'.join(['#ifndef KEYS_H', '#define KEYS_H'] + h +
                          ['#endif', '']))

k = ['#include "keys.h"', 'unsigned long bench_count;']
for t in range(4):
    k.append('static void tgt_%d(void) { bench_count += %d; }' % (t, 1 + (t == 3)))
k += ['void (*STATIC_CALL key_%d)(void) = tgt_%d;' % (i, i % 4)
      for i in range(nkeys)]
k.append('void (**const all_keys[])(void) = {%s};' %
         ', '.join('&key_%d' % i for i in range(nkeys)))
write('keys.c', '\n'.join(k) + '\n')

fns, units = [], []
site = 0
u = 0
while site < nsites:
    body = ['#include "keys.h"']
    end_tu = min(nsites, site + per_tu)
    while site < end_tu:
        end_fn = min(end_tu, site + per_fn)
        name = 'sites_%d_%d' % (u, len(fns))
        body.append('void %s(void)\n{' % name)
        body += ['\tkey_%d();' % (s % nkeys) for s in range(site, end_fn)]
        # not a tail call: every site is a call
        body.append('\t__asm__ volatile("");\n}')
        fns.append(name)
        site = end_fn
    write('sites_%d.c' % u, '\n'.join(body) + '\n')
    units.append('sites_%d.c' % u)
    u += 1

# Expected count of one call of every site: key k holds tgt_(k % 4), and
# tgt_3 counts 2.
expect = sum(1 + (s % nkeys % 4 == 3) for s in range(nsites))
m = ['#define _GNU_SOURCE', '#include <stdio.h>', '#include <stdlib.h>',
     '#include <string.h>', '#include <time.h>', '#include <unistd.h>',
     '#include "keys.h"', 'extern unsigned long bench_count;',
     'extern void (**const all_keys[])(void);']
m += ['void %s(void);' % f for f in fns]
m.append(r'''
static long status_kb(const char *field)
{
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

/* Mappings of the executable file, and how many are r-x. */
static void exe_maps(int *all, int *rx)
{
	char exe[4096], line[4352];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	*all = *rx = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof line, f)) {
		char perms[8], name[4096] = "";
		if (sscanf(line, "%*x-%*x %7s %*s %*s %*s %4095s", perms, name) >= 1 &&
		    !strcmp(name, exe)) {
			++*all;
			*rx += !strcmp(perms, "r-xp");
		}
	}
	if (f)
		fclose(f);
}

#ifdef __STATICCALL_PLUGIN__
static struct static_call_site_info info[NSITES];
#endif

/* Every site once (STARTUP_RUN_ALL): the cost of binding them all. */
static void run_all(void)
{
''' + ''.join('\t%s();\n' % f for f in fns) + r'''}

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = ts.tv_sec * 1e9 + ts.tv_nsec;
	const char *t0 = getenv("STARTUP_T0_NS");
	long rss = status_kb("VmRSS"), hwm = status_kb("VmHWM");
	int maps, rx;
	exe_maps(&maps, &rx);
	printf("main_ns=%.0f rss_kb=%ld hwm_kb=%ld maps=%d rx=%d\n",
	       t0 ? now - atof(t0) : -1.0, rss, hwm, maps, rx);
	if (getenv("STARTUP_RUN_ALL")) {
		run_all();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1e9 + ts.tv_nsec;
		printf("run_ns=%.0f\n", t0 ? now - atof(t0) : -1.0);
	}
	if (argc < 2 || strcmp(argv[1], "check"))
		return 0;
''')
m += ['\t%s();' % f for f in fns]
m.append(r'''	int bad = bench_count != %dul;
	printf("calls: %%lu (expected %d)\n", bench_count);
#ifdef __STATICCALL_PLUGIN__
	long direct = 0, total = 0;
	for (int k = 0; k < NKEYS; k++) {
		int n = __staticcall_list_sites(all_keys[k], info, NSITES);
		for (int i = 0; i < n; i++)
			direct += info[i].form == STATIC_CALL_SITE_DIRECT;
		total += n;
	}
	printf("sites: %%ld, direct: %%ld\n", total, direct);
	bad |= total != NSITES;
#endif
	return bad;
}
''' % (expect, expect))
write('main.c', '\n'.join(m))
write('units.list', '\n'.join(['keys.c', 'main.c'] + units) + '\n')
