#!/usr/bin/env python3
"""The same misuse gets the same diagnostic text from every plugin.

Compiles each compile-error test (run.py's files, with their `flags:`) with
every compiler given and compares the plugin's own errors (those starting
with "'static_call' attribute", "'static_call_fragment' attribute" or
"staticcall:"), locations left out. Both
plugins take their texts from plugin-common/policy.h; this checks that
they also reach the same decision. A file none of the plugins reports on
(an error the compiler itself gives) is skipped.

    same_text.py --include DIR \\
        --compiler='gcc -fplugin=...' --strict-flag=... \\
        --compiler='clang-19 -fplugin=...' --strict-flag=...
"""
import argparse, glob, os, re, shlex, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('--compiler', action='append', required=True,
                help='the compiler and the flags that load its plugin')
ap.add_argument('--strict-flag', action='append', required=True,
                help="the plugin's strict argument (one per --compiler)")
ap.add_argument('--include', required=True)
args = ap.parse_args()
if len(args.compiler) < 2 or len(args.compiler) != len(args.strict_flag):
    ap.error('give two or more --compiler, each with its --strict-flag')

PLUGIN_ERROR = re.compile(r"error: (('static_call(_fragment)?' attribute|staticcall:).*)")
env = dict(os.environ, LC_ALL='C')  # GCC quotes with '' then, as Clang


def plugin_errors(compiler, strict, src):
    text = open(src).read()
    m = re.search(r'/\* flags: (.*?) \*/', text)
    extra = [strict if f == 'strict' else f
             for f in (m.group(1).split() if m else [])]
    cmd = [*shlex.split(compiler), '-c', '-O2', '-o', os.devnull,
           '-I', args.include, *extra, src]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return [m.group(1).strip() for m in map(PLUGIN_ERROR.search,
                                            p.stderr.splitlines()) if m]


here = os.path.dirname(os.path.abspath(__file__))
passed = failed = skipped = 0
for src in sorted(glob.glob(os.path.join(here, '*.c')) +
                  glob.glob(os.path.join(here, '*.cc'))):
    name = os.path.basename(src)
    if re.search(r'/\* only: .*? \*/', open(src).read()):
        skipped += 1
        print('SKIP %s: a misuse for some compilers only' % name)
        continue
    got = [plugin_errors(c, s, src)
           for c, s in zip(args.compiler, args.strict_flag)]
    if not any(got):
        skipped += 1
        print('SKIP %s: no plugin error from any compiler' % name)
    elif all(g == got[0] for g in got):
        passed += 1
        print('PASS %s: %s' % (name, ' | '.join(got[0])))
    else:
        failed += 1
        print('FAIL %s: the texts differ' % name)
        for c, g in zip(args.compiler, got):
            print('    %s:\n%s' % (shlex.split(c)[0], '\n'.join(
                '        ' + l for l in g) or '        (none)'))
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
sys.exit(1 if failed or not passed else 0)
