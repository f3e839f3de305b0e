#!/usr/bin/env python3
"""time_xmllint.py OUT RUNS RUNTIME_DIR VARIANT... - run OUT/VARIANT/.libs/xmllint
--noout OUT/doc.xml RUNS times per variant, interleaved (rotating order),
and report medians of wall time and of CPU time (user+sys of the child:
on a shared, oversubscribed machine the CPU time is the steadier figure).
Writes OUT/parse.csv."""
import csv, os, resource, statistics, subprocess, sys, time

out, runs, rt, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
label = {r['variant']: r['label'] for r in csv.DictReader(open(out + '/build.csv'))}
wall = {v: [] for v in variants}
cpu = {v: [] for v in variants}
for r in range(runs):
    for i in range(len(variants)):
        v = variants[(i + r) % len(variants)]
        env = dict(os.environ, LD_LIBRARY_PATH='%s/%s/.libs:%s' % (out, v, rt))
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([out + '/' + v + '/.libs/xmllint', '--noout', out + '/doc.xml'],
                       env=env, check=True)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[v].append(t1 - t0)
        cpu[v].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
bw, bc = statistics.median(wall['stock']), statistics.median(cpu['stock'])
# the share of the retpoline overhead a retpoline build recovers (CPU)
tc = statistics.median(cpu['stock-thunk']) if 'stock-thunk' in cpu else None
def recovered(v, c):
    if tc is None or tc <= bc or v in ('stock', 'stock-thunk') or 'thunk' not in v and 'promote' not in v:
        return ''
    return '%.0f%%' % (100 * (tc - c) / (tc - bc))
with open(out + '/parse.csv', 'w') as f:
    f.write('variant,label,median_s,min_s,vs_stock,cpu_median_s,cpu_min_s,cpu_vs_stock,recovered\n')
    print('%-46s %8s %8s %8s %8s %8s %8s %9s' % ('build', 'wall s', 'min', 'vs stock',
                                            'CPU s', 'min', 'vs stock', 'recovered'))
    for v in variants:
        m, c = statistics.median(wall[v]), statistics.median(cpu[v])
        print('%-46s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %9s' % (
            label[v], m, min(wall[v]), m / bw, c, min(cpu[v]), c / bc, recovered(v, c)))
        f.write('%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s\n' % (
            v, label[v], m, min(wall[v]), m / bw, c, min(cpu[v]), c / bc, recovered(v, c)))
