#!/usr/bin/env python3
"""Checks a linked object built with the Clang plugin, without running it:

 - every record of __staticcall_sites is an anchor (SC_SITE_ANCHOR) whose
   first control transfer after it is a direct call/jmp/jcc to the
   trampoline of the record's key descriptor;
 - every direct call/jmp/jcc to a __staticcall_tramp.* symbol is such a
   first control transfer (no site escapes the table).

Usage: check_anchors.py FILE...   (exit status 1 on any problem)
"""
import re, struct, subprocess, sys

SC_SITE_ANCHOR = 0x2


def sections(path):
    out = subprocess.run(['objdump', '-h', path], capture_output=True,
                         text=True, check=True).stdout
    secs = {}
    for m in re.finditer(r'^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+'
                         r'[0-9a-f]+\s+([0-9a-f]+)', out, re.M):
        secs[m.group(1)] = (int(m.group(3), 16), int(m.group(2), 16),
                            int(m.group(4), 16))  # vma, size, file offset
    return secs


def read(path, secs, name):
    vma, size, off = secs[name]
    with open(path, 'rb') as f:
        f.seek(off)
        return vma, f.read(size)


def check(path):
    problems = []
    secs = sections(path)
    if '__staticcall_sites' not in secs:
        return 0, ['no __staticcall_sites section']
    svma, sites = read(path, secs, '__staticcall_sites')
    kvma, keys = read(path, secs, '__staticcall_keys')
    records = []
    for i in range(0, len(sites), 12):
        rel, drel, flags = struct.unpack_from('<iiI', sites, i)
        anchor = svma + i + rel
        desc = svma + i + 4 + drel
        trel, = struct.unpack_from('<i', keys, desc - kvma + 8)
        records.append((anchor, desc + 8 + trel, flags))

    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', path],
                         capture_output=True, text=True, check=True).stdout
    insns = []  # (address, mnemonic, operands)
    for m in re.finditer(r'^[ \t]*([0-9a-f]+):[ \t]+(\S+)[ \t]*(.*)$', dis, re.M):
        mn = m.group(2)
        if mn in ('bnd', 'notrack', 'rep', 'repz', 'lock', 'data16', 'cs', 'ds'):
            parts = m.group(3).split(None, 1)
            mn = parts[0] if parts else mn
            ops = parts[1] if len(parts) > 1 else ''
        else:
            ops = m.group(3)
        insns.append((int(m.group(1), 16), mn, ops))
    insns.sort()
    addrs = [a for a, _, _ in insns]
    import bisect

    def transfer(mn):
        return mn.startswith(('j', 'call', 'ret', 'loop', 'ud2', 'int3',
                              'hlt', 'syscall', 'iret'))

    def target(ops):
        m = re.match(r'([0-9a-f]+)\s*<([^>]*)>', ops)
        return (int(m.group(1), 16), m.group(2)) if m else (None, None)

    covered = set()
    for anchor, tramp, flags in records:
        if not flags & SC_SITE_ANCHOR:
            problems.append('%#x: record without SC_SITE_ANCHOR' % anchor)
            continue
        i = bisect.bisect_left(addrs, anchor)
        if i == len(addrs) or addrs[i] != anchor:
            problems.append('%#x: anchor not at an instruction boundary' % anchor)
            continue
        while i < len(insns) and not transfer(insns[i][1]):
            i += 1
        a, mn, ops = insns[i]
        t, name = target(ops)
        # call, tail jmp, or (Clang -Os) a conditional tail jcc
        if mn.startswith(('call', 'j')) and t == tramp:
            covered.add(a)
        else:
            problems.append('%#x: first transfer after anchor is %#x %s %s, '
                            'not the trampoline %#x' % (anchor, a, mn, ops, tramp))
    for a, mn, ops in insns:
        t, name = target(ops)
        if name and '__staticcall_tramp.' in name and '+' not in name and \
           transfer(mn) and a not in covered:
            problems.append('%#x: %s %s has no anchor' % (a, mn, ops))
    return len(records), problems


rc = 0
for p in sys.argv[1:]:
    n, problems = check(p)
    print('%s: %d anchored sites, %d problems' % (p, n, len(problems)))
    for x in problems:
        print('   ', x)
    rc |= bool(problems)
sys.exit(rc)
