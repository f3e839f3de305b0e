#!/usr/bin/env python3
"""Which writes the plugins route (docs/FIELD_KEYS.md): compile
store_routing_asm.c to assembly with one compiler and its plugin at -O0
and -O2, and check each function's body: routed_* hold the inline range
check (a reference to __staticcall_key_bounds and a call of
__staticcall_store_range), free_* hold neither (struct assignments
through pointers too: Clang's frontend gives its IR pass their type);
pta_free_* hold neither at -O2, where the alias facts (GCC's points-to
solution, LLVM's underlying objects through phis and selects) place their
pointer, and either at -O0. With -report the unit's counts are printed.

usage: store_routing.py CC PLUGIN_FLAGS INCLUDE_DIR
"""
import re
import shlex
import subprocess
import sys

HERE = __file__.rsplit("/", 1)[0]


def bodies(asm):
    """Function name -> its lines, from `name:` to `.size name` (or the
    next function)."""
    out, cur = {}, None
    for line in asm.splitlines():
        m = re.match(r"^([A-Za-z_][\w.]*):", line)
        if m and not m.group(1).startswith(".L"):
            name = m.group(1).split(".")[0]
            if name.startswith(("routed_", "free_", "pta_free_")):
                cur = name
                out.setdefault(cur, [])
                continue
        if cur and re.match(r"\s*\.size\s", line):
            cur = None
        if cur:
            out[cur].append(line)
    return out


def main():
    cc, flags, include = sys.argv[1], shlex.split(sys.argv[2]), sys.argv[3]
    clang = "clang" in cc.rsplit("/", 1)[-1]
    failed = 0
    for opt in ("-O0", "-O2"):
        cmd = [cc, opt, "-S", "-o", "-", "-I", include] + flags + \
              [HERE + "/store_routing_asm.c"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode:
            print("FAIL compile", opt, p.stderr)
            return 1
        fns = bodies(p.stdout)
        if len(fns) < 20:
            print("FAIL", opt, "found only", sorted(fns))
            return 1
        for name, lines in sorted(fns.items()):
            text = "\n".join(lines)
            calls = text.count("__staticcall_store_range")
            bounds = text.count("__staticcall_key_bounds")
            want = name.startswith("routed_")
            routed = calls >= 1 and bounds >= 1
            free = calls == 0 and bounds == 0
            if name.startswith("pta_free_") and opt == "-O0":
                ok = routed or free  # no points-to analysis at -O0
            else:
                ok = routed if want else free
            print("%s %s %s: %d runtime calls, %d bounds loads" %
                  ("PASS" if ok else "FAIL", opt, name, calls, bounds))
            failed += not ok
    # -report: one line of counts per unit
    plugin = "staticcall_clang" if clang else "staticcall_gcc"
    p = subprocess.run([cc, "-O2", "-c", "-o", "/dev/null", "-I", include] +
                       flags + ["-fplugin-arg-%s-report" % plugin,
                                HERE + "/store_routing_asm.c"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    m = re.search(r"stores: 0 routed to a key, (\d+) range-checked, "
                  r"(\d+) proven key-free", p.stdout)
    ok = p.returncode == 0 and m and int(m.group(1)) >= 6 and \
        int(m.group(2)) >= 5
    print("%s report: %s" % ("PASS" if ok else "FAIL",
                             m.group(0) if m else p.stdout[-500:]))
    failed += not ok
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
