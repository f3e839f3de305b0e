#!/usr/bin/env python3
"""ABI conformance of static calls: tests/abi/README.md.

Generates random prototypes (gen_abi.py), builds each generated program
without a plugin (the reference) and with each plugin at -O0 and -O2,
runs every plugin build in the three states of its sites:

    disabled     STATICCALL_DISABLE=1: sites on trampolines, slow path
    trampoline   STATICCALL_SITES=trampoline: sites on trampolines, slots
                 jumping straight to the target (the out-of-range path)
    direct       every site a direct call / tail jump (with
                 STATICCALL_STRADDLE=wait, so that Clang sites whose
                 displacement straddles a word are direct too), every
                 site bound at load (STATICCALL_BIND=eager)
    lazy         the same with lazy binding: each site's first calls go
                 through the binder (__staticcall_bind saves and restores
                 every argument register), later ones are direct

and requires: inside each run, every call through a key records the same
argument and result bits as libffi's call of the same callee with the same
values (the program checks, and checks each site's form); across runs,
output identical to the plugin-free reference.

    run_abi.py --cc gcc --gcc-plugin build/gcc-plugin/staticcall_gcc.so \
        [--clang clang-19 --clang-plugin-flags=-fplugin=...] \
        --include include --runtime-lib build/runtime --out /tmp/abi \
        [--seed 1] [--count 300] [--chunk 100] [--budget 300] [-j 2]

The prototypes are generated, built and checked one chunk at a time; with
--budget SECONDS no further chunk is started once the next one would end
past the budget (the first chunk is always checked in full), so the sweep's
duration does not depend on how fast or busy the machine is; the closing
line says how many prototypes were checked. Every build and run is under a
hang guard (--timeout): one that outlives it is reported as a HANG with
the backtrace of each of its threads (../support/hangguard.py).

arm64: --arch aarch64 --cc aarch64-linux-gnu-gcc --gcc-plugin
staticcall_gcc_aarch64.so --clang 'clang-19 --target=aarch64-linux-gnu'
--runtime-lib <cross build>/runtime
--run-wrapper cross/qemu-aarch64 (libffi-dev:arm64).
"""
import argparse
import concurrent.futures
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'support'))
from hangguard import run_guarded  # noqa: E402
MODES = [('disabled', {'STATICCALL_DISABLE': '1'}),
         ('trampoline', {'STATICCALL_SITES': 'trampoline'}),
         ('direct', {'STATICCALL_STRADDLE': 'wait', 'STATICCALL_BIND': 'eager'}),
         ('lazy', {'STATICCALL_STRADDLE': 'wait', 'STATICCALL_BIND': 'lazy'})]


def run(cmd, env=None, timeout=300):
    r = run_guarded(cmd, timeout, env=env)
    out, err = r.stdout.decode(errors='replace'), r.stderr.decode(errors='replace')
    if r.hung:
        return 124, out, err + '\n%s: %s' % (' '.join(cmd), r.describe())
    return r.returncode, out, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cc', default='gcc')
    ap.add_argument('--gcc-plugin')
    ap.add_argument('--clang', help='the clang command (may carry flags, '
                    'e.g. "clang-19 --target=aarch64-linux-gnu")')
    ap.add_argument('--arch', default='x86_64', choices=['x86_64', 'aarch64'],
                    help='the target of --cc/--clang (prototypes, link flags)')
    ap.add_argument('--run-wrapper', default='',
                    help='prefix of every run, e.g. cross/qemu-aarch64')
    ap.add_argument('--timeout', type=int, default=300,
                    help='hang guard of each build or run, seconds')
    ap.add_argument('--budget', type=float, default=0,
                    help='start no chunk that would end past this many '
                    'seconds (0: every chunk up to --count)')
    ap.add_argument('--clang-plugin-flags', default='')
    ap.add_argument('--include', required=True)
    ap.add_argument('--runtime-lib', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--chunk', type=int, default=100)
    ap.add_argument('--opts', default='-O0,-O2')
    ap.add_argument('-j', type=int, default=2)
    ap.add_argument('--clang-plain', action='store_true',
                    help='also build and compare a plugin-free clang -O2 build')
    ap.add_argument('--strict-sites', action='store_true',
                    help='a site the runtime left unverified is a failure')
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    lib = os.path.abspath(a.runtime_lib)
    cflags = ['-I' + os.path.abspath(a.include), '-I' + HERE, '-w']
    # The runtime decodes Clang's anchored sites with Zydis, which it
    # references weakly: link it explicitly so the clang builds have it.
    ldflags = ['-L' + lib, '-Wl,-rpath,' + lib, '-lstaticcall', '-lffi']
    if a.arch == 'x86_64':
        ldflags += ['-Wl,--no-as-needed', '-lZydis', '-lZycore', '-Wl,--as-needed']
    opts = a.opts.split(',')
    cc = shlex.split(a.cc)
    clang = shlex.split(a.clang) if a.clang else []
    wrapper = shlex.split(a.run_wrapper)

    builds = [('ref', cc + ['-O0'], False)]
    builds += [('gcc-plain%s' % o, cc + [o], False) for o in opts if o != '-O0']
    if a.gcc_plugin:
        builds += [('gcc%s' % o, cc + [o, '-fplugin=' + os.path.abspath(a.gcc_plugin)], True)
                   for o in opts]
    if clang and a.clang_plugin_flags:
        if a.clang_plain:
            builds += [('clang-plain-O2', clang + ['-O2'], False)]
        builds += [('clang%s' % o, clang + [o] + a.clang_plugin_flags.split(), True)
                   for o in opts]

    def build(job):
        src, (name, cc, plugin) = job
        exe = src[:-2] + '.' + name
        rc, out, err = run(cc + cflags + [src, '-o', exe] + ldflags, timeout=a.timeout)
        return job, exe, rc, err

    def execute(job):
        src, bname, mode, envadd = job
        env = dict(os.environ)
        env.update(envadd)
        if a.strict_sites:
            env['ABI_STRICT_SITES'] = '1'
        rc, out, err = run(wrapper + [exes[(src, bname)], mode], env=env,
                           timeout=a.timeout)
        return job, rc, out, err

    t0 = time.time()
    t_build = 0
    chunks = []
    exes = {}
    failures = []
    results = {}
    first = 0
    last = 0  # seconds the last chunk took
    while first < a.count:
        if chunks and a.budget and time.time() - t0 + last > a.budget:
            break
        t_chunk = time.time()
        n = min(a.chunk, a.count - first)
        src = os.path.join(a.out, 'abi_%d_%d.c' % (a.seed, first))
        subprocess.check_call([sys.executable, os.path.join(HERE, 'gen_abi.py'),
                               '--seed', str(a.seed), '--first', str(first),
                               '--count', str(n), '--out', src, '--arch', a.arch])
        chunks.append(src)
        first += n

        with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
            for job, exe, rc, err in ex.map(build, [(src, b) for b in builds]):
                if rc:
                    failures.append('build %s %s: %s' % (os.path.basename(job[0]), job[1][0],
                                                         err.strip()[-2000:]))
                else:
                    exes[(job[0], job[1][0])] = exe
        t_build += time.time() - t_chunk

        runs = []
        for bname, _, plugin in builds:
            if (src, bname) not in exes:
                continue
            if plugin:
                runs += [(src, bname, m, e) for m, e in MODES]
            else:
                runs.append((src, bname, 'plain', {}))
        with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
            for job, rc, out, err in ex.map(execute, runs):
                results[job[:3]] = (rc, out, err)
        last = time.time() - t_chunk
        print('abi (%s): prototypes %d-%d: %.0fs' % (a.arch, first - n, first - 1, last),
              flush=True)

    passed = 0
    notes = set()
    for (s, bname, mode), (rc, out, err) in sorted(results.items()):
        for l in err.splitlines():
            if l.startswith('abi: unverified site:'):
                notes.add('%s %s: %s' % (os.path.basename(s), bname,
                                        l.split(': ', 2)[2].split(' at 0x')[0] + ':' +
                                        l.split(': ', 2)[2].split(': ', 1)[-1]))
    for src in chunks:
        ref = results.get((src, 'ref', 'plain'))
        if not ref or ref[0] != 0:
            failures.append('%s ref: exit %s\n%s' % (os.path.basename(src),
                                                       ref and ref[0], ref and (ref[1] + ref[2])[-3000:]))
            continue
        for (s, bname, mode), (rc, out, err) in sorted(results.items()):
            if s != src:
                continue
            what = '%s %s %s' % (os.path.basename(src), bname, mode)
            if rc != 0:
                bad = [l for l in out.splitlines() if l.startswith('FAIL')]
                failures.append('%s: exit %d\n%s\n%s' % (what, rc, '\n'.join(bad[:20]),
                                                           err[-3000:]))
            elif out != ref[1]:
                ol, rl = out.splitlines(), ref[1].splitlines()
                diff = next((i for i in range(min(len(ol), len(rl))) if ol[i] != rl[i]),
                            min(len(ol), len(rl)))
                failures.append('%s: output differs from the plugin-free build at line %d:\n'
                                '  got      %s\n  expected %s' % (
                                    what, diff + 1, ol[diff] if diff < len(ol) else '(end)',
                                    rl[diff] if diff < len(rl) else '(end)'))
            else:
                passed += 1
                if os.environ.get('ABI_VERBOSE'):
                    print('PASS %s' % what)
    t_all = time.time() - t0
    for n in sorted(notes):
        print('NOTE unverified site (stays on its trampoline; '
              '--strict-sites to fail): ' + n)
    for f in failures:
        print('FAIL ' + f)
    print('abi (%s): %d prototypes of %d%s (seed %d), %d builds (%s), %d runs passed, '
          '%d failures; build %.0fs, total %.0fs' % (
              a.arch, first, a.count,
              ' (time budget %.0fs spent)' % a.budget if first < a.count else '',
              a.seed, len(builds), ' '.join(b[0] for b in builds), passed,
              len(failures), t_build, t_all))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
