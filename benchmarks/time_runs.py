#!/usr/bin/env python3
"""time_runs.py OUT RUNS EXE VARIANT... -- ARG... - run OUT/VARIANT/EXE ARG...
RUNS times per variant, interleaved (rotating order), and report medians of
wall and CPU time (user+sys of the child: on a shared machine the CPU time
is the steadier figure), each against the first variant (plain) and the
second (retpoline), and the share of the retpoline overhead recovered:
(retpoline - variant) / (retpoline - plain), on CPU time. Writes
OUT/speed.csv with the load average before and after. The last column,
the share recovered round by round (each round runs every variant once,
back to back), median over the rounds: on a machine whose speed drifts
between rounds it is the steadier figure; the per-variant medians mix
fast and slow moments in different proportions."""
import os, resource, statistics, subprocess, sys, time

out, runs, exe = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sep = sys.argv.index('--')
variants, args = sys.argv[4:sep], sys.argv[sep + 1:]
wall = {v: [] for v in variants}
cpu = {v: [] for v in variants}
load0 = os.getloadavg()
for r in range(runs):
    for i in range(len(variants)):
        v = variants[(i + r) % len(variants)]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([os.path.join(out, v, exe)] + args, check=True,
                       stdout=subprocess.DEVNULL)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[v].append(t1 - t0)
        cpu[v].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
load1 = os.getloadavg()
med = {v: (statistics.median(wall[v]), statistics.median(cpu[v])) for v in variants}
plain, thunk = variants[0], variants[1]
with open(os.path.join(out, 'speed.csv'), 'w') as f:
    f.write('variant,wall_s,cpu_s,cpu_min_s,cpu_vs_plain,cpu_vs_retpoline,recovered,runs,load_before,load_after\n')
    print('%-12s %8s %8s %8s %8s %8s %9s %9s' % ('build', 'wall s', 'CPU s', 'CPU min',
                                               '/plain', '/retpol', 'recovered',
                                               'per round'))
    for v in variants:
        w, c = med[v]
        over = med[thunk][1] - med[plain][1]
        rec = (med[thunk][1] - c) / over if over > 0 else float('nan')
        rec_s = '%.0f%%' % (100 * rec) if v not in (plain, thunk) else '-'
        rounds = [(cpu[thunk][r] - cpu[v][r]) / (cpu[thunk][r] - cpu[plain][r])
                  for r in range(runs) if cpu[thunk][r] > cpu[plain][r]]
        round_s = ('%.0f%%' % (100 * statistics.median(rounds))
                   if rounds and v not in (plain, thunk) else '-')
        print('%-12s %8.3f %8.3f %8.3f %8.3f %8.3f %9s %9s' % (
            v, w, c, min(cpu[v]), c / med[plain][1], c / med[thunk][1], rec_s,
            round_s))
        f.write('%s,%.4f,%.4f,%.4f,%.4f,%.4f,%s,%d,%.2f,%.2f\n' % (
            v, w, c, min(cpu[v]), c / med[plain][1], c / med[thunk][1],
            '%.3f' % rec if rec_s != '-' else '', runs, load0[0], load1[0]))
print('load average %.2f before, %.2f after (%d runs each, interleaved)' % (load0[0], load1[0], runs))
