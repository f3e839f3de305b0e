#!/usr/bin/env python3
"""Tests of staticcall-inspect.

Builds tools/tests/prog.c with a plugin (PIE, non-PIE, and linked against a
shared library that defines a key), then checks the inspector's JSON for
files (keys, sites, compiled forms, function+offset, file:line) and for
running processes (direct, tail jump, via trampoline and why), and that the
readable table lists the same sites.

usage: test_inspect.py --inspect BIN --cc CC --plugin-flags FLAGS
                       --include DIR --runtime-lib DIR --out DIR [--anchors]
                       [--arch arm64 --run-wrapper QEMU]

--arch arm64: the programs are built for arm64 (a cross compiler, the
runtime of a cross build) and run through --run-wrapper (qemu-user); the
inspector reads the qemu process, whose guest addresses are its own.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)
    return cond


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if r.returncode != 0:
        sys.exit('command failed: %s\n%s%s' % (' '.join(cmd), r.stdout, r.stderr))
    return r.stdout


def site_lines(path):
    """SITE(name) -> line number, from the source."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r'SITE\((\w+)\)', line)
            if m:
                out[m.group(1)] = n
    return out


def inspect(args, target, live=False, table=False):
    cmd = [args.inspect] + (['--pid', str(target)] if live else [target])
    if table:
        return run(cmd)
    return json.loads(run(cmd + ['--json']))


def keys_of(doc):
    objs = doc['files'] if 'files' in doc else doc['objects']
    return {(os.path.basename(o['file']), k['name']): k
            for o in objs for k in o['keys']}


def check_static(args, exe, name, lib=None):
    lines = site_lines(os.path.join(HERE, 'prog.c'))
    doc = inspect(args, exe)
    keys = keys_of(doc)
    base = os.path.basename(exe)
    check(all(o['arch'] == args.arch for o in doc['files']),
          '%s: read as %s' % (name, args.arch))
    hook, say = keys.get((base, 'hook')), keys.get((base, 'say'))
    if not check(hook and say, '%s: keys hook and say found (%s)' % (name, sorted(keys))):
        return
    check(say['static'] and not hook['static'], '%s: say is static, hook is not' % name)
    forms = {s['function']: s for s in hook['sites'] + say['sites']}
    check(set(forms) >= {'call_site', 'tail_site', 'cond_site'},
          '%s: sites in call_site, tail_site, cond_site (%s)' % (name, sorted(forms)))
    if not args.anchors:
        check(forms.get('call_site', {}).get('compiled') == 'call' and
              forms.get('tail_site', {}).get('compiled') == 'tail-jump' and
              forms.get('cond_site', {}).get('compiled') in ('tail-jump', 'jcc'),
              '%s: compiled forms call / tail-jump / tail-jump or jcc' % name)
    else:
        check(all(s['anchor'] for s in hook['sites'] + say['sites']),
              '%s: every site is an anchor' % name)
        check(all(s['compiled'] in ('call', 'tail-jump', 'jcc')
                  for s in hook['sites'] + say['sites']),
              '%s: every anchor decodes to a call, tail jump or jcc' % name)
    for fn, tag in (('call_site', 'call'), ('tail_site', 'tail'), ('cond_site', 'cond')):
        src = forms.get(fn, {}).get('source') or ''
        check(src.endswith('prog.c:%d' % lines[tag]),
              '%s: %s at prog.c:%d (%s)' % (name, fn, lines[tag], src))
    table = inspect(args, exe, table=True)
    n = len(re.findall(r'^    0x[0-9a-f]+\s+\S+\s+(call|tail-jump|jcc)( \(anchor\))?(\s.*)?$',
                       table, re.M))
    total = sum(len(k['sites']) for k in keys.values())
    check(n == total, '%s: the table lists the %d sites of the JSON (%d)' % (name, total, n))
    if lib:
        lkeys = keys_of(inspect(args, lib))
        lh = lkeys.get((os.path.basename(lib), 'libhook'))
        check(lh and len(lh['sites']) == 1 and lh['sites'][0]['function'] == 'lib_call',
              '%s: libhook in the library, one site in lib_call' % name)
        eh = keys.get((base, 'libhook'))
        check(eh and eh['sites'] and all(s['function'] == 'main' for s in eh['sites']),
              '%s: libhook seen from the executable (through its relocation), site in main' % name)


def out_of_range(args, s, target):
    """A site whose target is in another object: on its trampoline, out of
    range. arm64 reaches +-128 MiB, and qemu-user loads the objects of a
    process closer than that: there the site may also be direct to it."""
    if s['live'] == 'trampoline':
        return ('out of %s range' % ('rel32' if args.arch == 'x86-64' else 'b/bl')
                in (s['reason'] or ''))
    return (args.arch == 'arm64' and s['live'] in ('direct', 'tail-jump') and
            (s['reaches_symbol'] or '').startswith(target + ' '))


def start(args, exe, mode, env):
    p = subprocess.Popen(shlex.split(args.run_wrapper) + [exe, mode],
                         stdout=subprocess.PIPE, env=env, text=True)
    line = p.stdout.readline()
    while line and not line.startswith('ready'):
        line = p.stdout.readline()
    if not line.startswith('ready'):
        p.kill()
        sys.exit('%s did not start: %r' % (exe, line))
    return p


def check_live(args, exe, name, env, pie):
    # Lazy binding: a site that has not run is on its trampoline, and says
    # so; the checks below want every site bound at start-up.
    p = start(args, exe, 'wait', env)
    try:
        keys = keys_of(inspect(args, p.pid, live=True))
        sites = [s for (o, kn), k in keys.items() if kn == 'hook'
                 for s in k['sites'] if s['compiled'] == 'call']
        check(sites and all(s['live'] == 'direct' or
                            'not bound yet' in (s['reason'] or '') for s in sites),
              '%s live, lazy binding: call sites direct or not bound yet' % name)
    except SystemExit:
        pass
    finally:
        p.kill()
        p.wait()
    env = dict(env, STATICCALL_BIND='eager')
    p = start(args, exe, 'wait', env)
    try:
        try:
            doc = inspect(args, p.pid, live=True)
        except SystemExit as e:
            if 'Permission denied' in str(e) or 'Operation not permitted' in str(e):
                print('skip %s: live inspection not permitted here' % name)
                return
            raise
        keys = keys_of(doc)
        base = os.path.basename(exe)
        hook, say = keys.get((base, 'hook')), keys.get((base, 'say'))
        if not check(hook and say, '%s live: keys found' % name):
            return
        for k, target in ((hook, 'twice'), (say, 'hello')):
            check((k['target_symbol'] or '').startswith(target + ' '),
                  '%s live: %s targets %s (%s)' % (name, k['name'], target, k['target_symbol']))
            for s in k['sites']:
                want = 'direct' if s['compiled'] == 'call' else 'tail-jump'
                check(s['live'] == want and (s['reaches_symbol'] or '').startswith(target + ' '),
                      '%s live: %s site in %s is %s to %s (%s %s: %s)' % (
                          name, k['name'], s['function'], want, target, s['live'],
                          s['reaches_symbol'], s['reason']))
        if 'libhook' in [kn for (_, kn) in keys]:
            # The target (in the executable) is out of rel32 range of the
            # library: the library's site stays on its trampoline.
            for (obj, kn), k in keys.items():
                if kn != 'libhook':
                    continue
                if obj == base:
                    check(all(s['live'] in ('direct', 'tail-jump') for s in k['sites']),
                          '%s live: libhook sites in %s direct' % (name, obj))
                else:
                    check(all(out_of_range(args, s, 'twice') for s in k['sites']),
                          '%s live: libhook sites in %s via trampoline, out of range' % (name, obj))
        table = inspect(args, p.pid, live=True, table=True)
        check('direct -> ' in table, '%s live: the table shows direct sites' % name)
    finally:
        p.kill()
        p.wait()

    # Not patched: STATICCALL_DISABLE=1
    p = start(args, exe, 'wait', dict(env, STATICCALL_DISABLE='1'))
    try:
        keys = keys_of(inspect(args, p.pid, live=True))
        sites = [s for (o, kn), k in keys.items() if kn == 'hook' for s in k['sites']]
        check(sites and all(s['live'] == 'trampoline' and 'not patched' in s['reason'] for s in sites),
              '%s live, STATICCALL_DISABLE=1: sites on their trampoline, not patched' % name)
    finally:
        p.kill()
        p.wait()

    # Out of range: a libc target from a PIE
    if pie:
        p = start(args, exe, 'libc', env)
        try:
            keys = keys_of(inspect(args, p.pid, live=True))
            say = keys.get((os.path.basename(exe), 'say'))
            s = say and say['sites'][0]
            check(s and out_of_range(args, s, 'abort'),
                  '%s live: libc target, site via trampoline, out of range (%s)' % (
                      name, s and s['reason']))
        finally:
            p.kill()
            p.wait()


def check_fragment(args, exe):
    """A call site holding its key's one-instruction fragment: named
    `fragment`, reaching the fragment's function."""
    p = start(args, exe, 'wait', dict(os.environ, STATICCALL_BIND='eager'))
    try:
        try:
            doc = inspect(args, p.pid, live=True)
        except SystemExit as e:
            if 'Permission denied' in str(e) or 'Operation not permitted' in str(e):
                print('skip fragment: live inspection not permitted here')
                return
            raise
        k = keys_of(doc).get((os.path.basename(exe), 'mul'))
        sites = k['sites'] if k else []
        check(sites and all(s['live'] == 'fragment' and
                            (s['reaches_symbol'] or '').startswith('triple ')
                            for s in sites),
              'fragment live: the call site holds triple\'s imul (%s)' %
              [(s['live'], s['reaches_symbol'], s['reason']) for s in sites])
        k = keys_of(doc).get((os.path.basename(exe), 'save_fl'))
        sites = k['sites'] if k else []
        check(sites and all(s['live'] == 'fragment' and
                            (s['reaches_symbol'] or '').startswith('flags_native ')
                            for s in sites),
              'sequence live: the call site holds pushf; pop %%rax (%s)' %
              [(s['live'], s['reaches_symbol'], s['reason']) for s in sites])
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--inspect', required=True)
    ap.add_argument('--cc', required=True)
    ap.add_argument('--plugin-flags', required=True)
    ap.add_argument('--include', required=True)
    ap.add_argument('--runtime-lib', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--anchors', action='store_true',
                    help='the plugin records anchors (Clang): no live checks')
    ap.add_argument('--arch', default='x86-64', choices=('x86-64', 'arm64'))
    ap.add_argument('--run-wrapper', default='',
                    help='runs the programs (qemu-user for --arch arm64)')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cc = shlex.split(args.cc) + shlex.split(args.plugin_flags) + [
        '-g', '-O2', '-I', args.include]
    rt = ['-L', args.runtime_lib, '-lstaticcall', '-Wl,-rpath,' + args.runtime_lib]
    prog = os.path.join(HERE, 'prog.c')
    o = lambda n: os.path.join(args.out, n)
    run(cc + ['-fPIE', '-pie', prog, '-o', o('prog-pie')] + rt)
    run(cc + ['-fno-PIE', '-no-pie', prog, '-o', o('prog-nopie')] + rt)
    run(cc + ['-fPIC', '-shared', os.path.join(HERE, 'libkey.c'), '-o', o('libkey.so')] + rt)
    run(cc + ['-DLIBKEY', '-fPIE', '-pie', prog, '-o', o('prog-lib'), '-L', args.out,
              '-lkey', '-Wl,-rpath,' + args.out] + rt)
    run(cc + ['-DLIBKEY', '-fno-PIE', '-no-pie', prog, '-o', o('prog-lib-nopie'), '-L', args.out,
              '-lkey', '-Wl,-rpath,' + args.out] + rt)

    check_static(args, o('prog-pie'), 'pie')
    check_static(args, o('prog-nopie'), 'non-pie')
    check_static(args, o('prog-lib'), 'pie+lib', lib=o('libkey.so'))
    check_static(args, o('prog-lib-nopie'), 'non-pie+lib (copy relocation)', lib=o('libkey.so'))

    r = subprocess.run([args.inspect, '--json', '/bin/sh'], stdout=subprocess.PIPE, text=True)
    check(r.returncode == 0 and json.loads(r.stdout)['files'][0]['keys'] == [],
          'a file without a table: no keys, no error')
    r = subprocess.run([args.inspect, os.path.join(HERE, 'prog.c')], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(r.returncode == 1 and 'not a 64-bit' in r.stderr, 'a non-ELF file: an error')

    if not args.anchors:
        env = dict(os.environ)
        check_live(args, o('prog-pie'), 'pie', env, True)
        check_live(args, o('prog-nopie'), 'non-pie', env, False)
        check_live(args, o('prog-lib'), 'pie+lib', env, True)
        if args.arch == 'x86-64':
            run(cc + ['-fPIE', '-pie', os.path.join(HERE, 'fragment_prog.c'),
                      '-o', o('fragment-pie')] + rt)
            check_fragment(args, o('fragment-pie'))

    print('%d failure(s)' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
