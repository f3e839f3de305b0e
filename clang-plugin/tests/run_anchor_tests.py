#!/usr/bin/env python3
"""Builds tests/*.c of the Clang plugin at -O0..-Oz as PIE, non-PIE and
PIC executables, with and without the plugin; requires identical output and
a clean check_anchors.py report for every plugin build.

Usage: run_anchor_tests.py --cc clang-19 --plugin-flags '-fplugin=...'
         --include INCLUDE --runtime-lib DIR --out DIR
"""
import argparse, glob, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('--cc', required=True)
ap.add_argument('--plugin-flags', required=True)
ap.add_argument('--include', required=True)
ap.add_argument('--runtime-lib', required=True)
ap.add_argument('--out', required=True)
args = ap.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
check = os.path.join(here, 'check_anchors.py')
os.makedirs(args.out, exist_ok=True)
link = ['-L', args.runtime_lib, '-lstaticcall', '-Wl,-rpath,' + args.runtime_lib]
modes = {'pie': ['-fPIE', '-pie'], 'nopie': ['-fno-pie', '-no-pie'],
         'pic': ['-fPIC'], 'pie-g': ['-fPIE', '-pie', '-g']}
failed = passed = 0


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


for src in sorted(glob.glob(os.path.join(here, '*.c'))):
    name = os.path.splitext(os.path.basename(src))[0]
    ref = os.path.join(args.out, name + '-ref')
    p = run([args.cc, '-O2', '-I', args.include, src, '-o', ref] + link)
    if p.returncode:
        print('FAIL %s: reference build\n%s' % (name, p.stderr))
        failed += 1
        continue
    want = run([ref]).stdout
    for opt in ['-O0', '-O1', '-O2', '-O3', '-Os', '-Oz']:
        for mode, mflags in modes.items():
            exe = os.path.join(args.out, '%s%s-%s' % (name, opt, mode))
            what = '%s %s %s' % (name, opt, mode)
            p = run([args.cc, opt, *mflags, *args.plugin_flags.split(),
                     '-I', args.include, src, '-o', exe] + link)
            problems = []
            if p.returncode:
                problems.append('build failed:\n' + p.stderr)
            else:
                r = run([exe])
                if r.returncode or r.stdout != want:
                    problems.append('output %r differs from %r' % (r.stdout, want))
                c = run([sys.executable, check, exe])
                if c.returncode:
                    problems.append(c.stdout)
            if problems:
                failed += 1
                print('FAIL %s: %s' % (what, '; '.join(problems)))
            else:
                passed += 1
                print('PASS %s' % what)
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
