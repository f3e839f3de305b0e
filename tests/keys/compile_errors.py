#!/usr/bin/env python3
"""Misuse of <staticcall/kernel.h> is a compile error at its line, with
each compiler given (and its plugin flags, if any): tests/keys/errors/*.c,
each with `/* expect: SUBSTRING */` and an `error-here` line.

    compile_errors.py INCLUDE 'CC [FLAGS...]'...
"""
import glob, os, re, shlex, subprocess, sys

inc, compilers = sys.argv[1], sys.argv[2:]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'errors')
failed = passed = 0
for cc in compilers:
    for src in sorted(glob.glob(os.path.join(here, '*.c'))):
        text = open(src).read()
        expect = re.search(r'/\* expect: (.*?) \*/', text).group(1)
        line = next(i + 1 for i, l in enumerate(text.splitlines())
                    if 'error-here' in l)
        p = subprocess.run(shlex.split(cc) + ['-c', '-O2', '-o', os.devnull,
                                             '-I', inc, src],
                           capture_output=True, text=True)
        name = os.path.basename(src)
        lines = p.stderr.splitlines()
        ok = p.returncode != 0 and any(
            'error' in l and expect in l for l in lines) and any(
            re.search(r'%s:%d:' % (re.escape(name), line), l) and
            ('error' in l or 'expansion of macro' in l) for l in lines)
        if ok:
            passed += 1
        else:
            failed += 1
            print('FAIL %s (%s): no error %r at line %d\n%s' % (
                name, cc, expect, line,
                '\n'.join('    ' + l for l in lines[:10])))
print('kernel.h compile errors: %d passed, %d failed' % (passed, failed))
sys.exit(1 if failed or not passed else 0)
