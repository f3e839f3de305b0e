#!/usr/bin/env python3
"""Build and run the staticcall test corpus with and without the plugin.

For every test x optimisation level x link mode the test is built with the
compiler plugin, linked with the runtime and run; it passes when it exits 0
and prints exactly what the test's reference prints. The reference is the
same test built once plainly (STATIC_CALL expands to nothing, calls are
ordinary indirect calls) at REFERENCE_OPT in its first link mode: what a
test prints is its meaning, the same at every level and in every mode, so
one plain build per test is the oracle for all of its plugin builds. The plugin build also runs the live-code checker
(tests/support/livecode_core.c with its architecture part, by default
tests/support/livecode.c) after every update, which fails the program when
the machine code does not match what the runtime reports.

Tests (see README.md beside this file):
  NAME.c        a single-file test; link modes pie, nopie and shared (the
                test built as a shared object with -Dmain=sc_corpus_main,
                called by support/corpus_main.c)
  NAME.cc       the same in C++ (compiled with --cxx)
  NAME/         a multi-file test: main.c (or main.cc) and any other *.c
                and *.cc form the executable, each lib*.c(c) becomes
                lib*.so linked to it, each dl*.c(c) becomes dl*.so that
                the program dlopens itself (the executable is then linked
                with -rdynamic); link modes pie and nopie
A test with C++ sources has each source compiled by its own language's
compiler (C by --cc, C++ by --cxx, the same plugin flags) and is linked by
--cxx: C and C++ objects in one program.
Every program gets its build directory as argv[1].

A source may carry a line `corpus-cflags: FLAGS` (extra compiler flags for
both builds) in a comment near its top.

Plus `stress`: support/stress.c built with the plugin (-O2, pie and nopie)
and run for --stress-seconds, or --stress-count updates if that comes first;
it must exit 0.

Every run is under a hang guard (support/hangguard.py): --run-timeout for
the corpus programs, HANG_FACTOR times --stress-seconds (plus a margin) for
the stress runs. A program that outlives its guard is reported as a HANG
with a backtrace of each of its threads, taken before it is killed.

Plus `forms_stress` when --forms-stress SECONDS is given:
support/forms_stress.c (every form change at sites at every offset, 8
callers) built with the plugin, -O2 PIE, and run for SECONDS; it must exit 0.

Prints `PASS name -O2 pie` or `FAIL name -O2 pie: reason` per case and a
closing `N passed, N failed` line; exits 1 if anything failed.
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from hangguard import guard_for, run_guarded  # noqa: E402

OPTS = ["-O0", "-O2", "-O3"]
REFERENCE_OPT = "-O0"
MODES = ["pie", "nopie", "shared"]
BUILD_TIMEOUT = 300


class BuildError(Exception):
    pass


def run(cmd, cwd=None, timeout=BUILD_TIMEOUT):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildError("timed out: " + " ".join(map(shlex.quote, cmd)))
    if p.returncode != 0:
        raise BuildError(" ".join(map(shlex.quote, cmd)) + "\n" +
                         p.stderr.decode(errors="replace"))
    return p


def tail(text, lines=12):
    t = text.decode(errors="replace") if isinstance(text, bytes) else text
    t = t.rstrip().splitlines()
    return "\n".join("    " + x for x in t[-lines:])


CORPUS_CC = "gcc"  # set from --cc before the tests are collected
SOURCE_EXTS = (".c", ".cc")


def is_cxx(path):
    return path.endswith(".cc")


def stem_of(path):
    """foo.c, foo.cc -> foo"""
    return os.path.splitext(os.path.basename(path))[0]


def default_cxx(cc):
    """The C++ driver beside a C one: gcc -> g++, gcc-12 -> g++-12,
    clang-19 -> clang++-19, x-linux-gnu-gcc -> x-linux-gnu-g++."""
    d, b = os.path.split(cc)
    m = re.match(r"^(.*)clang(-\d+)?$", b)
    if m:
        return os.path.join(d, m.group(1) + "clang++" + (m.group(2) or ""))
    m = re.match(r"^(.*)gcc(-\d+)?$", b)
    if m:
        return os.path.join(d, m.group(1) + "g++" + (m.group(2) or ""))
    return cc


def directive_flags(path, cc=""):
    """`corpus-cflags: FLAGS` for every compiler; `corpus-cflags-gcc:` and
    `corpus-cflags-clang:` for one family only (their flags differ, e.g.
    -mindirect-branch=thunk vs -mretpoline)."""
    family = "clang" if "clang" in os.path.basename(cc) else "gcc"
    flags = []
    try:
        with open(path, errors="replace") as f:
            for _, line in zip(range(40), f):
                m = re.search(r"corpus-cflags(-gcc|-clang)?:\s*(.*?)\s*(\*/)?\s*$", line)
                if m and (not m.group(1) or m.group(1) == "-" + family):
                    flags += shlex.split(m.group(2))
    except OSError:
        pass
    return flags


class Test:
    def __init__(self, name, main, exe_srcs, libs, dls, single):
        self.name = name
        self.main = main
        self.exe_srcs = exe_srcs  # for a single-file test: [main]
        self.libs = libs          # lib*.c -> lib*.so, linked
        self.dls = dls            # dl*.c -> dl*.so, dlopen'ed
        self.single = single
        self.cflags = []
        for s in exe_srcs + libs + dls:
            self.cflags += directive_flags(s, CORPUS_CC)

    @property
    def modes(self):
        return MODES if self.single else ["pie", "nopie"]

    @property
    def cxx(self):
        """Any C++ source: compiled per source, linked by the C++ driver."""
        return any(is_cxx(s) for s in self.exe_srcs + self.libs + self.dls)

    @property
    def incdir(self):
        return os.path.dirname(self.main)


def discover(corpus):
    tests = []
    for entry in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, entry)
        if entry.endswith(SOURCE_EXTS) and os.path.isfile(path):
            tests.append(Test(stem_of(entry), path, [path], [], [], True))
        elif os.path.isdir(path):
            mains = [os.path.join(path, "main" + e) for e in SOURCE_EXTS]
            mains = [m for m in mains if os.path.isfile(m)]
            if not mains:
                continue
            srcs = sorted(f for f in os.listdir(path)
                          if f.endswith(SOURCE_EXTS))
            libs = [os.path.join(path, f) for f in srcs if f.startswith("lib")]
            dls = [os.path.join(path, f) for f in srcs if f.startswith("dl")]
            exe = [os.path.join(path, f) for f in srcs
                   if not f.startswith(("lib", "dl"))]
            tests.append(Test(entry, mains[0], exe, libs, dls, False))
    return tests


class Driver:
    def __init__(self, args):
        self.a = args
        self.out = os.path.abspath(args.out)
        self.rt = os.path.abspath(args.runtime_lib)
        self.inc = os.path.abspath(args.include)
        self.sup = os.path.abspath(args.support)
        self.plugin = os.path.abspath(args.plugin) if args.plugin else None
        self.extra = shlex.split(args.cflags or "")
        self.plugin_flags = (shlex.split(args.plugin_flags)
                             if args.plugin_flags else
                             ["-fplugin=" + (self.plugin or "")])
        self.lock = threading.Lock()
        self.passed = 0
        self.failed = 0
        self.support_objs = {}
        self.references = {}     # test name -> (rc, stdout, stderr)
        self.reference_locks = {}
        self.run_times = []  # (seconds, program) of every run
        # --run-wrapper: run every built program through it (qemu-user)
        self.wrapper = shlex.split(args.run_wrapper or "")
        # the live-code checker: the shared core and one architecture part
        self.livecode = [os.path.join(self.sup, "livecode_core.c"),
                         os.path.abspath(args.livecode) if args.livecode
                         else os.path.join(self.sup, "livecode.c")]
        self.checker_libs = shlex.split(args.checker_libs)

    def cflags(self, variant, opt, test=None, cxx=False):
        f = [self.a.cxx if cxx else self.a.cc, opt,
             "-std=gnu++17" if cxx else "-std=gnu11", "-Wall",
             "-Wno-unused-function", "-I", self.inc, "-I", self.sup]
        if test is not None:
            f += ["-I", test.incdir] + test.cflags
        if variant == "sc":
            f += self.plugin_flags
        return f + self.extra

    def libs(self, variant):
        f = ["-L", self.rt, "-lstaticcall", "-Wl,-rpath," + self.rt, "-ldl",
             "-lpthread"]
        if variant == "sc":
            f += self.checker_libs
        return f

    def variants(self):
        return ["ref", "sc"] if self.plugin else ["ref"]

    def build_support(self):
        d = os.path.join(self.out, "_support")
        os.makedirs(d, exist_ok=True)
        for v in self.variants():
            objs = []
            for src in self.livecode:
                stem = os.path.basename(src)[:-2]
                o = os.path.join(d, "%s-%s.o" % (stem, v))
                run(self.cflags(v, "-O2") + ["-fPIC", "-c", src, "-o", o])
                objs.append(o)
            self.support_objs[v] = objs
        o = os.path.join(d, "corpus_main.o")
        run([self.a.cc, "-O2", "-fPIC", "-c",
             os.path.join(self.sup, "corpus_main.c"), "-o", o])
        self.support_objs["main"] = o

    def compile_each(self, test, opt, variant, srcs, pic, d, extra=()):
        """Each source to an object by its own language's compiler (a
        test with C++ sources); returns the objects."""
        objs = []
        for src in srcs:
            o = os.path.join(d, os.path.basename(src) + ".o")
            run(self.cflags(variant, opt, test, is_cxx(src)) + pic +
                list(extra) + ["-c", src, "-o", o])
            objs.append(o)
        return objs

    def build_cxx(self, test, opt, mode, variant):
        """build() for a test with C++ sources: compiled per source,
        linked by the C++ driver."""
        d = os.path.join(self.out, test.name, "%s-%s-%s" % (
            opt.lstrip("-"), mode, variant))
        os.makedirs(d, exist_ok=True)
        ld = [self.a.cxx, opt]
        libs = self.libs(variant)
        lc = self.support_objs[variant]
        exe = os.path.join(d, test.name)
        if mode == "shared":
            so = os.path.join(d, "lib%s.so" % test.name)
            objs = self.compile_each(test, opt, variant, test.exe_srcs,
                                     ["-fPIC"], d, ["-Dmain=sc_corpus_main"])
            run(ld + ["-shared"] + objs + lc + ["-o", so] + libs)
            run([self.a.cxx, "-pie", self.support_objs["main"], "-o", exe,
                 "-L", d, "-l" + test.name, "-Wl,-rpath," + d])
            return exe, d
        pic = ["-fPIE"] if mode == "pie" else ["-fno-PIE"]
        link = ["-pie"] if mode == "pie" else ["-no-pie"]
        linked = []
        for src in test.libs + test.dls:
            stem = stem_of(src)                    # libfoo, dlfoo
            objs = self.compile_each(test, opt, variant, [src], ["-fPIC"], d)
            run(ld + ["-shared"] + objs + ["-o",
                os.path.join(d, stem + ".so")] + libs)
            if src in test.libs:
                linked += ["-l" + stem[3:]]
        extra = ["-rdynamic"] if test.dls else []
        if linked:
            linked = ["-L", d, "-Wl,-rpath," + d] + linked
        objs = self.compile_each(test, opt, variant, test.exe_srcs, pic, d)
        run(ld + link + extra + objs + lc + ["-o", exe] + linked + libs)
        return exe, d

    def build(self, test, opt, mode, variant):
        if test.cxx:
            return self.build_cxx(test, opt, mode, variant)
        d = os.path.join(self.out, test.name, "%s-%s-%s" % (
            opt.lstrip("-"), mode, variant))
        os.makedirs(d, exist_ok=True)
        cf = self.cflags(variant, opt, test)
        libs = self.libs(variant)
        lc = self.support_objs[variant]
        exe = os.path.join(d, test.name)
        if mode == "shared":
            so = os.path.join(d, "lib%s.so" % test.name)
            run(cf + ["-fPIC", "-shared", "-Dmain=sc_corpus_main"] +
                test.exe_srcs + lc + ["-o", so] + libs)
            run([self.a.cc, "-pie", self.support_objs["main"], "-o", exe,
                 "-L", d, "-l" + test.name, "-Wl,-rpath," + d])
            return exe, d
        pic = ["-fPIE"] if mode == "pie" else ["-fno-PIE"]
        link = ["-pie"] if mode == "pie" else ["-no-pie"]
        linked = []
        for src in test.libs:
            stem = os.path.basename(src)[:-2]      # libfoo
            run(cf + ["-fPIC", "-shared", src, "-o",
                      os.path.join(d, stem + ".so")] + libs)
            linked += ["-l" + stem[3:]]
        for src in test.dls:
            stem = os.path.basename(src)[:-2]      # dlfoo
            run(cf + ["-fPIC", "-shared", src, "-o",
                      os.path.join(d, stem + ".so")] + libs)
        extra = ["-rdynamic"] if test.dls else []
        if linked:
            linked = ["-L", d, "-Wl,-rpath," + d] + linked
        run(cf + pic + link + extra + test.exe_srcs + lc + ["-o", exe] +
            linked + libs)
        return exe, d

    def execute(self, exe, d, args=None, timeout=None):
        """Run a built program under the hang guard; a hang is returned
        as exit status "HANG" with the backtraces on stderr."""
        r = run_guarded(self.wrapper + [exe] +
                        (args if args is not None else [d]), cwd=d,
                        timeout=timeout or self.a.run_timeout)
        with self.lock:
            self.run_times.append((r.elapsed, os.path.relpath(exe,
                                                              self.out)))
        if r.hung:
            return "HANG", r.stdout, (r.stderr + b"\n" +
                                      r.describe().encode())
        return r.returncode, r.stdout, r.stderr

    def report(self, label, ok, reason="", detail=""):
        with self.lock:
            if ok:
                self.passed += 1
                print("PASS " + label + (": " + detail if detail else ""),
                      flush=True)
            else:
                self.failed += 1
                print("FAIL %s: %s" % (label, reason), flush=True)
                if detail:
                    print(detail, flush=True)

    def reference(self, test):
        """The plain build's (rc, stdout, stderr), built and run once per
        test (the first caller does it, the others wait for it)."""
        with self.lock:
            lock = self.reference_locks.setdefault(test.name,
                                                   threading.Lock())
        with lock:
            if test.name not in self.references:
                try:
                    exe, d = self.build(test, REFERENCE_OPT, test.modes[0],
                                        "ref")
                    self.references[test.name] = self.execute(exe, d)
                except BuildError as e:
                    self.references[test.name] = ("BUILD", b"",
                                                  str(e).encode())
            return self.references[test.name]

    def case(self, test, opt, mode):
        label = "%s %s %s" % (test.name, opt, mode)
        results = {}
        for v in self.variants():
            what = "reference" if v == "ref" else "plugin"
            if v == "ref" and self.plugin:
                rc, out, err = self.reference(test)
                if rc == "BUILD":
                    return self.report(label, False,
                                       "reference build failed",
                                       tail(err.decode(errors="replace"),
                                            20))
            else:
                try:
                    exe, d = self.build(test, opt, mode, v)
                except BuildError as e:
                    return self.report(label, False, what + " build failed",
                                       tail(str(e), 20))
                rc, out, err = self.execute(exe, d)
            if rc == "HANG":
                return self.report(label, False, "%s build: HANG" % what,
                                   tail(err, 200))
            if rc != 0:
                return self.report(label, False,
                                   "%s build exited %s" % (what, rc),
                                   tail(err))
            results[v] = (out, err)
        if "sc" in results and results["sc"][0] != results["ref"][0]:
            a = results["ref"][0].decode(errors="replace").splitlines()
            b = results["sc"][0].decode(errors="replace").splitlines()
            detail = []
            for i in range(max(len(a), len(b))):
                x = a[i] if i < len(a) else "<none>"
                y = b[i] if i < len(b) else "<none>"
                if x != y:
                    detail = ["    line %d:" % (i + 1),
                              "    reference: " + x,
                              "    plugin:    " + y]
                    break
            return self.report(label, False,
                               "stdout differs from the reference",
                               "\n".join(detail) + "\n" +
                               tail(results["sc"][1], 6))
        self.report(label, True)

    def stress_case(self, mode):
        label = "stress -O2 %s" % mode
        d = os.path.join(self.out, "_stress", mode)
        os.makedirs(d, exist_ok=True)
        exe = os.path.join(d, "stress")
        pic = ["-fPIE", "-pie"] if mode == "pie" else ["-fno-PIE", "-no-pie"]
        try:
            run(self.cflags("sc", "-O2") + pic +
                [os.path.join(self.sup, "stress.c")] +
                self.support_objs["sc"] + ["-o", exe] + self.libs("sc"))
        except BuildError as e:
            return self.report(label, False, "build failed", tail(str(e), 20))
        secs = self.a.stress_seconds
        rc, out, err = self.execute(
            exe, d, [str(self.a.stress_count), str(secs),
                     str(self.a.stress_min_updates)],
            timeout=guard_for(secs) if secs > 0 else self.a.run_timeout)
        if rc == "HANG":
            meant = ("meant to stop after %g s" % secs if secs > 0 else
                     "%d updates, no time bound" % self.a.stress_count)
            return self.report(label, False, "HANG (%s)" % meant,
                               tail(out, 4) + "\n" + tail(err, 200))
        if rc != 0:
            return self.report(label, False, "exited %s" % rc,
                               tail(out, 4) + "\n" + tail(err))
        summary = out.decode(errors="replace").strip().splitlines()
        self.report(label, True, detail=summary[-1] if summary else "")

    def forms_case(self):
        """support/forms_stress.c, -O2 PIE, for --forms-stress seconds
        (the run's timeout is only a hang guard)."""
        label = "forms_stress -O2 pie"
        d = os.path.join(self.out, "_forms_stress")
        os.makedirs(d, exist_ok=True)
        exe = os.path.join(d, "forms_stress")
        try:
            run(self.cflags("sc", "-O2") + ["-fPIE", "-pie",
                os.path.join(self.sup, "forms_stress.c")] +
                self.support_objs["sc"] + ["-o", exe] + self.libs("sc"))
        except BuildError as e:
            return self.report(label, False, "build failed", tail(str(e), 20))
        secs = self.a.forms_stress
        rc, out, err = self.execute(exe, d, ["%g" % secs],
                                    timeout=guard_for(secs))
        if rc != 0:
            why = ("killed by signal %d" % -rc
                   if isinstance(rc, int) and rc < 0 else "exited %s" % rc)
            return self.report(label, False, why,
                               tail(out, 4) + "\n" + tail(err, 24))
        print(tail(out, 1), flush=True)
        self.report(label, True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cc", default="gcc")
    ap.add_argument("--cxx", default="",
                    help="the C++ compiler for .cc sources (default: the "
                         "one beside --cc: g++, clang++-N)")
    ap.add_argument("--plugin", default="",
                    help="the compiler plugin (.so); empty: only build and "
                         "run the reference builds")
    ap.add_argument("--plugin-flags", default="",
                    help="compiler flags that load the plugin (default "
                         "-fplugin=PLUGIN)")
    ap.add_argument("--include", required=True, help="the project's include/")
    ap.add_argument("--runtime-lib", required=True,
                    help="directory with libstaticcall.so")
    ap.add_argument("--support", default=os.path.join(HERE, "..", "support"))
    ap.add_argument("--corpus", default=HERE)
    ap.add_argument("--out", required=True, help="scratch build directory")
    ap.add_argument("--filter", default="",
                    help="regex on 'name -Ox mode' of the cases to run")
    ap.add_argument("--opts", default=",".join(OPTS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--cflags", default="", help="extra flags for every build")
    ap.add_argument("--run-wrapper", default="",
                    help="command prefix that runs the built programs, "
                         "e.g. cross/qemu-aarch64")
    ap.add_argument("--livecode", default="",
                    help="the architecture part of the live-code checker, "
                         "linked with SUPPORT/livecode_core.c (default "
                         "SUPPORT/livecode.c, x86-64 with Zydis)")
    ap.add_argument("--checker-libs", default="-lZydis -lZycore",
                    help="libraries the checker needs in plugin builds")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--stress-count", type=int, default=100000,
                    help="most updates of a stress run (0: skip them)")
    ap.add_argument("--stress-seconds", type=float, default=8,
                    help="duration of a stress run, if --stress-count "
                         "updates do not come first (0: no time bound)")
    ap.add_argument("--stress-min-updates", type=int, default=200,
                    help="fewer updates than this in a stress run is a "
                         "failure (a starved updater proves nothing)")
    ap.add_argument("--run-timeout", type=float, default=300,
                    help="hang guard of each corpus program run, seconds")
    ap.add_argument("--forms-stress", type=float, default=0,
                    help="seconds for the forms_stress case (0: skip it)")
    a = ap.parse_args()
    global CORPUS_CC
    CORPUS_CC = a.cc
    a.cxx = a.cxx or default_cxx(a.cc)

    drv = Driver(a)
    if drv.plugin and not os.path.isfile(drv.plugin):
        print("run_corpus: no plugin at %s" % drv.plugin, file=sys.stderr)
        return 2
    os.makedirs(drv.out, exist_ok=True)
    try:
        drv.build_support()
    except BuildError as e:
        print("FAIL support: build failed\n" + tail(str(e), 20))
        print("0 passed, 1 failed")
        return 1

    flt = re.compile(a.filter) if a.filter else None
    opts = [o for o in a.opts.split(",") if o]
    modes = [m for m in a.modes.split(",") if m]
    jobs = []
    for t in discover(a.corpus):
        for opt in opts:
            for mode in t.modes:
                if mode not in modes:
                    continue
                label = "%s %s %s" % (t.name, opt, mode)
                if flt and not flt.search(label):
                    continue
                jobs.append((drv.case, (t, opt, mode)))
    if drv.plugin and a.stress_count > 0:
        for mode in ("pie", "nopie"):
            if mode in modes and (not flt or flt.search("stress -O2 " + mode)):
                jobs.append((drv.stress_case, (mode,)))
    if (drv.plugin and a.forms_stress > 0 and
            (not flt or flt.search("forms_stress -O2 pie"))):
        jobs.append((drv.forms_case, ()))

    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        futs = [pool.submit(fn, *args) for fn, args in jobs]
        for f in futs:
            try:
                f.result()
            except Exception as e:  # a driver bug must not pass silently
                drv.report("driver", False, repr(e))
    if not drv.plugin:
        print("run_corpus: no --plugin: reference builds only",
              file=sys.stderr)
    print("run_corpus: %d cases in %.1fs" % (len(jobs), time.time() - start),
          file=sys.stderr)
    slow = sorted(drv.run_times, reverse=True)[:3]
    if slow:
        print("run_corpus: %d runs, %.1fs in all; longest: %s" % (
            len(drv.run_times), sum(t for t, _ in drv.run_times),
            ", ".join("%s %.1fs" % (n, t) for t, n in slow)),
            file=sys.stderr)
    print("%d passed, %d failed" % (drv.passed, drv.failed))
    return 1 if drv.failed or not jobs else 0


if __name__ == "__main__":
    sys.exit(main())
