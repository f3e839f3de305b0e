#!/usr/bin/env python3
"""Generate a shared object's sources with N call sites of one key.

gen_sites.py OUT_DIR N [PER_TU]  writes into OUT_DIR:
  key.c        the key (hidden), its two targets, and the exported entry
               points the driver uses: bench_update(which),
               bench_sites(buf, n), bench_call() (calls every site once),
               bench_fns/bench_nfns and bench_call_fn(i) (the sites of
               function i only)
  sites_K.c    the call sites, PER_TU (default 10000) per translation unit,
               1000 per function through a macro, so 100,000 sites compile
               in seconds at -O1 and spread over ~N*8/4096 pages of text
  sites.list   the translation units, one a line
"""
import os, sys

out, n = sys.argv[1], int(sys.argv[2])
per_tu = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
os.makedirs(out, exist_ok=True)

def write(name, text):
    path = os.path.join(out, name)
    if not os.path.exists(path) or open(path).read() != text:
        open(path, 'w').write(text)

hdr = '''#include "staticcall.h"
#define HIDDEN __attribute__((visibility("hidden")))
extern HIDDEN void (*STATIC_CALL bench_key)(void);
#define C1 bench_key();
#define C10 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1
#define C100 C10 C10 C10 C10 C10 C10 C10 C10 C10 C10
#define C1000 C100 C100 C100 C100 C100 C100 C100 C100 C100 C100
'''
write('sites.h', hdr)

key = '''#include <stddef.h>
#include "sites.h"
HIDDEN unsigned long bench_count;
static void t0(void) { __atomic_fetch_add(&bench_count, 1, __ATOMIC_RELAXED); }
static void t1(void) { __atomic_fetch_add(&bench_count, 2, __ATOMIC_RELAXED); }
HIDDEN void (*STATIC_CALL bench_key)(void) = t0;
int bench_nsites = %d;
int bench_update(int which)
{
#ifdef __STATICCALL_PLUGIN__
	return static_call_update(bench_key, which ? t1 : t0);
#else
	bench_key = which ? t1 : t0;
	return 0;
#endif
}
int bench_sites(struct static_call_site_info *buf, size_t n)
{
#ifdef __STATICCALL_PLUGIN__
	return static_call_sites(bench_key, buf, n);
#else
	(void)buf; (void)n;
	return 0;
#endif
}
''' % n
fns = []
tus = []
left, tu = n, 0
while left > 0:
    here = min(left, per_tu)
    body = ['#include "sites.h"']
    f = 0
    while here > 0:
        k = min(here, 1000)
        calls = []
        rest = k
        for unit, mac in ((1000, 'C1000'), (100, 'C100'), (10, 'C10'), (1, 'C1')):
            while rest >= unit:
                calls.append(mac)
                rest -= unit
        name = 'sites_%d_%d' % (tu, f)
        body.append('HIDDEN void %s(void) { %s }' % (name, ' '.join(calls)))
        fns.append(name)
        f += 1
        here -= k
        left -= k
    write('sites_%d.c' % tu, '\n'.join(body) + '\n')
    tus.append('sites_%d.c' % tu)
    tu += 1
key += ''.join('HIDDEN void %s(void);\n' % f for f in fns)
key += 'unsigned long bench_call(void)\n{\n\tbench_count = 0;\n'
key += ''.join('\t%s();\n' % f for f in fns)
key += '\treturn bench_count;\n}\n'
# One function's 1,000 sites, run alone (bind_cost.c: lazy binding with a
# fraction of the sites executed); its address bounds its sites.
key += 'void (*const bench_fns[])(void) = {%s};\n' % ', '.join(fns)
key += 'int bench_nfns = %d;\n' % len(fns)
key += ('unsigned long bench_call_fn(int i)\n{\n\tbench_count = 0;\n'
        '\tbench_fns[i]();\n\treturn bench_count;\n}\n')
write('key.c', key)
write('sites.list', '\n'.join(['key.c'] + tus) + '\n')
