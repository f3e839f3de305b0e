#!/usr/bin/env python3
"""Run start-up variants side by side and print their figures.

startup_cost.py ROUNDS "NAME|PROGRAM[|VAR=VALUE ...]" ...

Each round starts every variant once (the order rotated each round), with
STARTUP_T0_NS set to the monotonic clock just before the spawn; the
program (gen_startup.py's main.c) prints the time to main, VmRSS, VmHWM
and its mappings, and exits. Reports medians of the times, the memory and
mapping figures of the last run, and the mprotect and membarrier calls of
one more run under `strace -c -f` (if strace is installed). A variant with
STARTUP_RUN_ALL=1 also calls every site once after main and reports the
time from the spawn to the last of them ("all run ms").
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

rounds = int(sys.argv[1])
variants = []
for arg in sys.argv[2:]:
    name, prog, *env = arg.split('|', 2)
    extra = dict(e.split('=', 1) for e in env[0].split()) if env else {}
    variants.append((name, prog, extra))


def run(prog, extra):
    env = dict(os.environ, **extra)
    env['STARTUP_T0_NS'] = str(time.monotonic_ns())
    t0 = time.monotonic_ns()
    out = subprocess.run([prog], env=env, stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    wall = time.monotonic_ns() - t0
    fig = dict(kv.split('=') for kv in out.split())
    return float(fig['main_ns']), wall, fig


def syscalls(prog, extra):
    if not shutil.which('strace'):
        return {}
    with tempfile.NamedTemporaryFile('r') as f:
        subprocess.run(['strace', '-f', '-c', '-o', f.name,
                        '-e', 'trace=mprotect,membarrier,mmap,munmap', prog],
                       env=dict(os.environ, **extra), stdout=subprocess.DEVNULL,
                       check=True)
        counts = {}
        for line in f.read().splitlines():
            w = line.split()
            # % time, seconds, usecs/call, calls, [errors], syscall
            if len(w) >= 5 and w[-1].isidentifier() and w[3].isdigit():
                counts[w[-1]] = int(w[3])
        return counts


run_ns = {v[0]: [] for v in variants}
main_ns = {v[0]: [] for v in variants}
wall_ns = {v[0]: [] for v in variants}
figs = {}
for r in range(rounds):
    for i in range(len(variants)):
        name, prog, extra = variants[(i + r) % len(variants)]
        m, w, fig = run(prog, extra)
        main_ns[name].append(m)
        if 'run_ns' in fig:
            run_ns[name].append(float(fig['run_ns']))
        wall_ns[name].append(w)
        figs[name] = fig
calls = {v[0]: syscalls(v[1], v[2]) for v in variants}

print('== start-up (median of %d; time to main = spawn to first line of main)'
      % rounds)
hdr = ('variant', 'to main ms', 'all run ms', 'wall ms', 'VmRSS kB',
       'VmHWM kB', 'exe maps', 'r-x', 'mprotect', 'membarrier')
print('%-48s %10s %10s %8s %9s %9s %8s %4s %9s %10s' % hdr)
for name, _, _ in variants:
    f, c = figs[name], calls[name]
    ran = ('%.2f' % (statistics.median(run_ns[name]) / 1e6)
           if run_ns[name] else '-')
    row = (name, statistics.median(main_ns[name]) / 1e6, ran,
           statistics.median(wall_ns[name]) / 1e6, int(f['rss_kb']),
           int(f['hwm_kb']), int(f['maps']), int(f['rx']),
           str(c.get('mprotect', '-')), str(c.get('membarrier', '-')))
    print('%-48s %10.2f %10s %8.2f %9d %9d %8d %4d %9s %10s' % row)
    print('csv,%s,%.3f,%s,%.3f,%d,%d,%d,%d,%s,%s' % (
        name.replace(',', ';'), *row[1:]))
