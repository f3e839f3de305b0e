#!/usr/bin/env python3
"""Compile-error tests: every misuse of the attribute or of the API must be
a compile error, with the documented message, at the marked line.

Each file (C, or C++: *.cc, compiled by the same driver, which picks the
language by extension) starts with `/* expect: SUBSTRING */` (or
`A || B`: either, for compiler-worded C++ errors), may have a
`/* flags: ... */` line (the word `strict` becomes the plugin's strict
argument), may name the compilers it is for with `/* only: clang */` (words,
one of which the compiler's name must contain: `/* only: clang-14
clang-15 */`), and marks the line the error must point at with
`error-here`.
"""
import argparse, glob, os, re, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('--cc', default='gcc')
ap.add_argument('--plugin-flags', required=True,
                help='flags that load the plugin, e.g. -fplugin=...')
ap.add_argument('--strict-flag', required=True)
ap.add_argument('--include', required=True)
args = ap.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
passed = failed = 0
for src in sorted(glob.glob(os.path.join(here, '*.c')) +
                  glob.glob(os.path.join(here, '*.cc'))):
    text = open(src).read()
    expect = re.search(r'/\* expect: (.*?) \*/', text).group(1)
    m = re.search(r'/\* only: (.*?) \*/', text)
    if m and not any(w in os.path.basename(args.cc) for w in m.group(1).split()):
        continue  # a misuse for some compilers only (e.g. clang-14: -flto)
    m = re.search(r'/\* flags: (.*?) \*/', text)
    extra = m.group(1).split() if m else []
    extra = [args.strict_flag if f == 'strict' else f for f in extra]
    line = next((i + 1 for i, l in enumerate(text.splitlines())
                 if 'error-here' in l), None)  # None: no location (-flto)
    cmd = [args.cc, '-c', '-O2', '-o', os.devnull, '-I', args.include,
           *args.plugin_flags.split(), *extra, src]
    p = subprocess.run(cmd, capture_output=True, text=True)
    name = os.path.basename(src)
    errs = [l for l in p.stderr.splitlines() if 'error:' in l]
    # the error itself, or the macro expansion it came from, or the
    # instantiation of the header's template (a static_assert), at the line
    at_line = [l for l in p.stderr.splitlines()
               if ('error:' in l or 'in expansion of macro' in l or
                   'required from here' in l or 'requested here' in l) and
               (line is None or re.search(r'%s:%d:' % (re.escape(name), line), l))]
    problems = []
    if p.returncode == 0:
        problems.append('compiled without error')
    if not any(e in l for l in errs for e in expect.split(' || ')):
        problems.append('no error mentioning %r' % expect)
    if not at_line:
        problems.append('no error at line %s' % line)
    if problems:
        failed += 1
        print('FAIL %s: %s\n%s' % (name, '; '.join(problems),
                                   '\n'.join('    ' + l for l in p.stderr.splitlines()[:12])))
    else:
        passed += 1
        print('PASS %s: %s' % (name, errs[0].strip()))
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
