#!/usr/bin/env python3
"""check_report.py MODE < stderr of `kernel_style serve` (trace_key enabled)
with STATICCALL_REPORT=1 STATICCALL_VERIFY=1: one line per static key site
of each object and a summary per object (runtime/static_keys.c), and no
stale site. MODE "patched": every site in the form its key asks for;
"test" (STATICCALL_DISABLE=1): every site on its load and test, with why."""
import os
import re
import sys

mode = sys.argv[1]
text = sys.stdin.read()
site = re.compile(r"^staticcall: static key site (\S+?):(\S+) \((\S+)\) key "
                  r"(\S+) (likely|unlikely): (nop|jump|load-and-test|"
                  r"unverified), label (\S+)(?:: (.+))?$")
summary = re.compile(r"^staticcall: report: (\S+): (\d+) static key sites, "
                     r"(\d+) nop, (\d+) jump, (\d+) load-and-test, "
                     r"(\d+) unverified$")
sites, sums = {}, {}
for line in text.splitlines():
    m = site.match(line)
    if m:
        obj = os.path.basename(m[1])
        sites.setdefault(obj, []).append((m[4], m[5], m[6], m[8]))
    m = summary.match(line)
    if m:
        sums[os.path.basename(m[1])] = [int(x) for x in m.groups()[1:]]

if mode == "patched":
    want = {
        "kernel_style": [("fast_key", "likely", "nop"),
                         ("lib_key", "unlikely", "nop"),
                         ("plain_key", "unlikely", "nop"),
                         ("trace_key", "unlikely", "jump")],
        "libkeys_lib.so": [("lib_key", "likely", "jump"),
                           ("lib_key", "unlikely", "nop")],
    }
else:
    want = {
        "kernel_style": [("fast_key", "likely", "load-and-test"),
                         ("lib_key", "unlikely", "load-and-test"),
                         ("plain_key", "unlikely", "load-and-test"),
                         ("trace_key", "unlikely", "load-and-test")],
        "libkeys_lib.so": [("lib_key", "likely", "load-and-test"),
                           ("lib_key", "unlikely", "load-and-test")],
    }
errors = []
got = {o: sorted(s[:3] for s in v) for o, v in sites.items()}
if got != want:
    errors.append("sites %r, want %r" % (got, want))
for obj, v in sites.items():
    for key, branch, form, why in v:
        if (form == "load-and-test") != bool(why):
            errors.append("%s: %s %s %s: reason %r" %
                          (obj, key, branch, form, why))
    forms = [f for _, _, f, _ in v]
    n = [len(v), forms.count("nop"), forms.count("jump"),
         forms.count("load-and-test"), forms.count("unverified")]
    if sums.get(obj) != n:
        errors.append("%s: summary %r, sites %r" % (obj, sums.get(obj), n))
if not re.search(r"^staticcall: verify: 0 stale sites$", text, re.M):
    errors.append("no 'verify: 0 stale sites'")
if errors:
    sys.stdout.write(text)
    sys.exit("report (%s): %s" % (mode, "; ".join(errors)))
