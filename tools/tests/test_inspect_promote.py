#!/usr/bin/env python3
"""staticcall-inspect on promoted indirect calls (issue 16).

Builds promote_prog.c in GCC promote mode, checks the file's promotable
sites (function, register, compiled to the thunk), then runs it until it
has learned and checks the live process (--pid, --json and the table): the
monomorphic site promoted to t1 with its hits counted, the alternating one
to t2 and t3, the 16-target one given up (megamorphic, as the runtime's
view says), the tail call promoted to t4,
(GCC) the computed goto a jump site promoted to its first label; the
same with relayouts from 1 ms (copies of the stubs read the same, counts
carried over); with STATICCALL_PROMOTE_COUNT=0
the stubs count nothing; every site `off` under STATICCALL_PROMOTE=off and
`sealed` after static_call_seal(STATIC_CALL_SEAL_CODE). (GCC) built
promote-plain: the 16-target site given up on in place (`call *%reg` in
its own bytes: megamorphic, in_place), every other site learned and in
place too (plain, in_place), also after sealing, which leaves them as
they are; calls through `nocf_check` pointers in place (`notrack`). (GCC) built promote-inline: the monomorphic site an inline
site comparing t1 at the call, the 16-target one bypassed (a `jmp` to
its slow path), `unexpected` under a breakpoint, every site as compiled
after sealing (its first instruction the `jmp`: bypassed). Code sealed with mseal: a site left on its
thunk `unwritable`. The runtime's view damaged (a self-linked object
list): the inspector gives up on it and ends.

usage: test_inspect_promote.py --inspect BIN --cc CC --plugin PLUGIN
                               --include DIR --runtime-lib DIR --out DIR
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)
    return cond


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        sys.exit('command failed: %s\n%s%s' % (' '.join(cmd), r.stdout,
                                               r.stderr))
    return r.stdout


def sites_of(doc, key):
    out = {}
    for o in doc[key]:
        for s in o.get('promote_sites', []):
            out[s['function']] = s
    return out


def live(args, exe, env, argv=(), err=None):
    p = subprocess.Popen([exe] + list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE if err is not None else None,
                         env=env, text=True)
    line = p.stdout.readline()
    if not line.startswith('ready'):
        p.kill()
        sys.exit('%s did not start: %r' % (exe, line))
    try:
        doc = json.loads(run([args.inspect, '--json', '--pid', str(p.pid)]))
        table = run([args.inspect, '--pid', str(p.pid)])
    finally:
        p.stdin.close()
        if err is not None:
            err.append(p.stderr.read())
        p.wait()
    return sites_of(doc, 'objects'), table


def main():
    ap = argparse.ArgumentParser()
    for a in ('inspect', 'cc', 'plugin', 'include', 'runtime_lib', 'out'):
        ap.add_argument('--' + a.replace('_', '-'), required=True)
    # clang: clang_promote_cflags' shape (anchored records, thunk r11)
    ap.add_argument('--kind', choices=('gcc', 'clang'), default='gcc')
    args = ap.parse_args()
    flags, reg = (['-fplugin-arg-staticcall_gcc-promote',
                   '-mindirect-branch=thunk-extern'], 'rax')
    if args.kind == 'clang':
        flags, reg = (['-fplugin-arg-staticcall_clang-promote',
                       '-mretpoline-external-thunk'], 'r11')
    os.makedirs(args.out, exist_ok=True)
    exe = os.path.join(args.out, 'promote_prog')
    run([args.cc, '-O2', '-I' + args.include, '-fplugin=' + args.plugin]
        + flags + [os.path.join(HERE, 'promote_prog.c'),
         '-o', exe, '-L' + args.runtime_lib, '-Wl,--no-as-needed',
         '-lstaticcall', '-Wl,--as-needed', '-Wl,-rpath,' + args.runtime_lib])

    f = sites_of(json.loads(run([args.inspect, '--json', exe])), 'files')
    check(set(f) >= {'mono', 'duo', 'mega', 'tail'},
          'file: the four sites listed: %s' % sorted(f))
    check(all(s['compiled'] == 'thunk' and s['register'] == reg
              and 'live' not in s for k, s in f.items() if k != 'jumpy'),
          'file: each a call to its thunk, through %%%s: %s' % (reg, f))
    if args.kind == 'gcc':  # Clang has no jump sites
        j = f.get('jumpy', {})
        check(j.get('jump') is True and j.get('tail') is False
              and j.get('compiled') == 'thunk',
              'file: the computed goto a jump site: %s' % j)
    check(f.get('tail', {}).get('tail') is True
          and f.get('mono', {}).get('tail') is False, 'file: the tail call')

    env = dict(os.environ)
    s, table = live(args, exe, env)
    mono, duo = s.get('mono', {}), s.get('duo', {})
    check(mono.get('live') == 'promoted'
          and [t['symbol'].split(' ')[0] for t in mono['targets']] == ['t1'],
          'live: mono promoted to t1: %s' % mono)
    check(mono.get('counted') and mono['targets'][0]['hits'] > 100000
          and mono['hit_rate'] > 0.99,
          'live: mono\'s hits counted, rate > 99%%: %s' % mono)
    check(duo.get('live') == 'promoted' and sorted(
        t['symbol'].split(' ')[0] for t in duo['targets']) == ['t2', 't3']
        and all(t['hits'] > 10000 for t in duo['targets']),
          'live: duo promoted to t2 and t3, both hit: %s' % duo)
    check(s.get('mega', {}).get('live') == 'megamorphic',
          'live: mega given up, megamorphic (the runtime\'s view): %s'
          % s.get('mega'))
    check(s.get('tail', {}).get('live') == 'promoted'
          and s['tail']['targets'][0]['symbol'].startswith('t4'),
          'live: the tail call promoted to t4: %s' % s.get('tail'))
    check('promotable sites' in table and '-> 0x' in table
          and 'hit rate' in table and 'megamorphic' in table,
          'live table: sites, targets, hit rates')
    if args.kind == 'gcc':
        j = s.get('jumpy', {})
        check(j.get('live') == 'promoted'
              and j['targets'][0]['symbol'].startswith('jumpy+')
              and '(jump)' in table,
              'live: the computed goto promoted to its label: %s' % j)

    # relayouts from 1 ms (docs/PATCHING.md "Stub layout"): the sites on
    # copies of their stubs, read the same (targets, counts carried over)
    err = []
    s, _ = live(args, exe, dict(os.environ, STATICCALL_PROMOTE_RELAYOUT='1',
                                STATICCALL_REPORT='1'), err=err)
    check(re.search(r' relayouts \([1-9][0-9]* sites moved\)', err[0]),
          'relayouts: sites moved (the late site\'s flushes): %s' % err[0])
    mono, duo = s.get('mono', {}), s.get('duo', {})
    check(mono.get('live') == 'promoted' and mono.get('counted')
          and [t['symbol'].split(' ')[0] for t in mono['targets']] == ['t1']
          and mono['targets'][0]['hits'] > 100000,
          'relayouts: mono promoted to t1, hits carried: %s' % mono)
    check(duo.get('live') == 'promoted' and sorted(
        t['symbol'].split(' ')[0] for t in duo['targets']) == ['t2', 't3']
        and all(t['hits'] > 10000 for t in duo['targets']),
          'relayouts: duo promoted to t2 and t3, both hit: %s' % duo)

    env['STATICCALL_PROMOTE_COUNT'] = '0'
    s, _ = live(args, exe, env)
    mono = s.get('mono', {})
    check(mono.get('live') == 'promoted' and mono.get('counted') is False
          and 'hits' not in mono,
          'STATICCALL_PROMOTE_COUNT=0: promoted, nothing counted: %s' % mono)

    env = dict(os.environ, STATICCALL_PROMOTE='off')
    s, _ = live(args, exe, env)
    check(all(v.get('live') == 'off' for v in s.values()) and len(s) >= 4,
          'STATICCALL_PROMOTE=off: every site on its thunk, off: %s' % s)

    s, _ = live(args, exe, dict(os.environ), ['seal'])
    check(all(v.get('live') == 'sealed' for v in s.values()) and len(s) >= 4,
          'static_call_seal(CODE): every site on its thunk, sealed: %s' % s)

    # the runtime's view damaged (its object list linking to itself, 2^20
    # sites each time): the inspector gives up on it, says so, and ends
    # (a review's: it read on for good)
    p = subprocess.Popen([exe, 'corrupt-view'], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    ready = p.stdout.readline().startswith('ready')
    try:
        r = subprocess.run([args.inspect, '--json', '--pid', str(p.pid)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    except subprocess.TimeoutExpired:
        r = None
    finally:
        p.stdin.close()
        p.wait()
    check(ready and r is not None
          and 'a corrupt list, read no further' in r.stderr,
          'a corrupt view: given up on within 2 minutes: %s'
          % (r.stderr if r else 'still reading'))

    if args.kind == 'gcc':  # promote-plain is GCC's
        plain = os.path.join(args.out, 'promote_prog_plain')
        run([args.cc, '-O2', '-I' + args.include, '-fplugin=' + args.plugin,
             '-fplugin-arg-staticcall_gcc-promote-plain',
             '-mindirect-branch=thunk-extern',
             os.path.join(HERE, 'promote_prog.c'), '-o', plain,
             '-L' + args.runtime_lib, '-Wl,--no-as-needed', '-lstaticcall',
             '-Wl,--as-needed', '-Wl,-rpath,' + args.runtime_lib])
        for argv, what in (((), 'learning'), (('seal',), 'sealed')):
            s, table = live(args, plain, dict(os.environ), argv)
            mega = s.get('mega', {})
            check(mega.get('live') == 'megamorphic'
                  and mega.get('in_place') is True
                  and 'megamorphic, in place' in table,
                  'promote-plain, %s: mega given up in place: %s'
                  % (what, mega))
            # every other site learned its targets and is its own
            # `call *%reg` in place (no stub: the plain call costs
            # least), sealing leaving it so; the tail site `jmp rel32`
            # (not relaxed to rel8 next to its local thunk): a site
            learned = ('mono', 'duo', 'tail', 'late')
            check(all(s.get(k, {}).get('live') == 'plain'
                      and s[k].get('in_place') is True
                      and not s[k].get('stub') for k in learned)
                  and 'plain, in place' in table,
                  'promote-plain, %s: the others plain, in place: %s'
                  % (what, {k: s.get(k) for k in learned}))
            check(s.get('tail', {}).get('compiled') == 'thunk',
                  'promote-plain, %s: the tail call a site: %s'
                  % (what, s.get('tail')))
        # calls through `nocf_check` pointers (-fcf-protection): in place
        # as `notrack call/jmp *%reg`, read as such
        # (tests/promote's program, its own checks passed first)
        nocf = os.path.join(args.out, 'promote_nocf')
        run([args.cc, '-O2', '-fcf-protection=full', '-I' + args.include,
             '-fplugin=' + args.plugin,
             '-fplugin-arg-staticcall_gcc-promote-plain',
             '-mindirect-branch=thunk-extern',
             os.path.join(HERE, '..', '..', 'tests', 'promote',
                          'promote_nocf.c'), '-o', nocf,
             '-L' + args.runtime_lib, '-Wl,--no-as-needed', '-lstaticcall',
             '-Wl,--as-needed', '-Wl,-rpath,' + args.runtime_lib])
        s, table = live(args, nocf, dict(os.environ), ['plain', 'wait'])
        check(all(s.get(k, {}).get('live') == 'plain'
                  and s[k].get('in_place') is True
                  for k in ('site', 'tail_site'))
              and 'unexpected' not in table,
              'promote-plain, nocf_check calls in place, notrack: %s'
              % {k: s.get(k) for k in ('site', 'tail_site')})
    # code sealed with mseal (tests/promote's program, its own checks
    # passed first; a kernel without mseal exits 77 and is skipped): the
    # site on its stub read as promoted, the one left on its thunk
    # `unwritable` (the runtime's view), not `learning`
    ms = os.path.join(args.out, 'promote_mseal')
    run([args.cc, '-O2', '-I' + args.include, '-fplugin=' + args.plugin]
        + flags + [os.path.join(HERE, '..', '..', 'tests', 'promote',
                                'promote_mseal.c'), '-o', ms,
                   '-L' + args.runtime_lib, '-Wl,--no-as-needed',
                   '-lstaticcall', '-Wl,--as-needed', '-ldl',
                   '-Wl,-rpath,' + args.runtime_lib])
    if subprocess.run([ms], capture_output=True).returncode == 77:
        print('mseal: skipped (no mseal in this kernel)')
    else:
        s, table = live(args, ms, dict(os.environ), ['wait'], err=[])
        check(s.get('a', {}).get('live') == 'promoted'
              and s.get('b', {}).get('live') == 'unwritable'
              and 'unwritable' in table,
              'mseal: a on its stub, b unwritable: %s'
              % {k: s.get(k) for k in ('a', 'b')})
    if args.kind == 'gcc':  # promote-inline is GCC's
        inl = os.path.join(args.out, 'promote_prog_inline')
        run([args.cc, '-O2', '-I' + args.include, '-fplugin=' + args.plugin]
            + flags + ['-fplugin-arg-staticcall_gcc-promote-inline',
                       os.path.join(HERE, 'promote_prog.c'), '-o', inl,
                       '-L' + args.runtime_lib, '-Wl,--no-as-needed',
                       '-lstaticcall', '-Wl,--as-needed',
                       '-Wl,-rpath,' + args.runtime_lib])
        f = sites_of(json.loads(run([args.inspect, '--json', inl])), 'files')
        check(f.get('mono', {}).get('inline_site') is True
              and 'inline_site' not in f.get('tail', {}),
              'promote-inline, file: mono an inline site, the tail call '
              'not: %s' % f)
        s, table = live(args, inl, dict(os.environ))
        mono = s.get('mono', {})
        check(mono.get('live') == 'promoted'
              and (mono.get('inline') or {}).get('symbol', '')
              .startswith('t1 ') and 'inline: t1 ' in table,
              'promote-inline, live: mono compares t1 inline: %s' % mono)
        mega = s.get('mega', {})
        check(mega.get('live') == 'megamorphic'
              and mega.get('inline_bypassed') is True
              and 'inline_bypassed' not in mono
              and 'inline: bypassed' in table,
              'promote-inline, live: mega given up and bypassed: %s' % mega)
        # a debugger's breakpoint over the bypassed site's first byte:
        # neither as compiled nor bypassed
        s, table = live(args, inl, dict(os.environ), ['breakpoint'])
        mega = s.get('mega', {})
        check(mega.get('inline_unexpected') is True
              and 'inline_bypassed' not in mega
              and 'inline: unexpected' in table,
              'promote-inline, a breakpoint on mega: unexpected: %s' % mega)
        s, table = live(args, inl, dict(os.environ), ['seal'])
        check(s.get('mono', {}).get('inline_site') is True
              and s['mono'].get('inline') is None
              and s['mono'].get('inline_bypassed') is True
              and 'inline: closed' not in table,
              'promote-inline, sealed: mono as compiled (its `jmp`): %s'
              % s.get('mono'))
    if failures:
        sys.exit('%d failed' % len(failures))


main()
