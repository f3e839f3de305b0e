"""Run a test program under a hang guard.

Timed work in the test suite is bounded by the programs themselves (a
duration, or a fixed amount of work); the timeout here is only a guard
against hangs, several times what a run should take. A program that
outlives it is a hang, and is reported as one: before it is killed, every
thread of it (and of every process it started) gets a backtrace from gdb,
so the report says where it was stuck, not just that it was slow.

    from hangguard import run_guarded
    r = run_guarded([exe, arg], timeout=60, cwd=d)
    if r.hung:
        print(r.describe())      # "HANG after 60 s" + the backtraces
    else:
        r.returncode, r.stdout, r.stderr

From a shell script (output passes through; a hang prints the report on
stderr and exits 124):

    python3 tests/support/hangguard.py SECONDS COMMAND [ARGS...]

Under qemu-user the process is qemu, and the backtrace is of qemu's
threads (the emulated program's threads are among them, inside qemu's
translated code), which still tells a deadlock in the runtime's host-side
code from a livelock in guest code but not which guest function; the
report says so. Run the program under `qemu-aarch64 -g PORT` and attach
gdb-multiarch to see guest frames.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

# How many times a program's intended duration its guard allows.
HANG_FACTOR = 6
BACKTRACE_TIMEOUT = 60


def guard_for(seconds, slack=60):
    """The hang guard of a run that should take about SECONDS."""
    return HANG_FACTOR * seconds + slack


class Result:
    def __init__(self, cmd, returncode, stdout, stderr, elapsed,
                 timeout, backtraces=""):
        self.cmd = cmd
        self.returncode = returncode  # None: it hung and was killed
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timeout = timeout
        self.backtraces = backtraces

    @property
    def hung(self):
        return self.returncode is None

    def describe(self):
        """One line and the backtraces, for a report."""
        return ("HANG: still running after %.0f s (hang guard), killed; "
                "threads at that moment:\n%s" % (self.timeout,
                                                  self.backtraces))


def _children(pid):
    """PIDs of every descendant of pid (from /proc)."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # comm may hold spaces and parentheses: ppid follows the last ')'
        parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def backtraces(pid):
    """`thread apply all bt` of pid and each of its descendants."""
    gdb = shutil.which("gdb")
    if not gdb:
        return "    (no backtrace: gdb is not installed)\n"
    text = []
    for p in [pid] + _children(pid):
        comm = _comm(p)
        note = ""
        if comm.startswith("qemu-"):
            note = (" (qemu-user: these are qemu's threads, the guest's "
                    "frames are inside its translated code)")
        text.append("  -- process %d (%s)%s" % (p, comm, note))
        try:
            r = subprocess.run(
                [gdb, "-nx", "-p", str(p), "-batch",
                 "-ex", "set pagination off",
                 "-ex", "thread apply all bt"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, timeout=BACKTRACE_TIMEOUT)
            bt = r.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            bt = "(gdb itself timed out after %d s)" % BACKTRACE_TIMEOUT
        lines = [l for l in bt.splitlines()
                 if l.startswith(("Thread ", "#", "warning: process",
                                  "ptrace", "Could not attach"))
                 or "(gdb itself" in l]
        if not lines:
            lines = bt.splitlines()[-5:] or ["(gdb printed nothing)"]
        text += ["    " + l for l in lines]
    return "\n".join(text) + "\n"


def _ptracer_prefix():
    """Under Yama ptrace_scope 1 only an ancestor may attach: a program we
    start names any process its ptracer (PR_SET_PTRACER_ANY) before it
    execs, so gdb can take its backtrace."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = int(f.read())
    except (OSError, ValueError):
        return []
    if scope != 1 or os.geteuid() == 0:
        return []
    return [sys.executable, "-c",
            "import ctypes, os, sys; "
            "ctypes.CDLL(None).prctl(0x59616d61, -1, 0, 0, 0); "
            "os.execvp(sys.argv[1], sys.argv[1:])"]


def run_guarded(cmd, timeout, cwd=None, env=None, capture=True):
    """Run cmd with stdout and stderr captured (or passed through); past
    timeout seconds take the backtraces, then kill its process group."""
    start = time.monotonic()
    pipe = subprocess.PIPE if capture else None
    p = subprocess.Popen(_ptracer_prefix() + list(cmd), cwd=cwd, env=env,
                         stdin=subprocess.DEVNULL, stdout=pipe,
                         stderr=pipe, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return Result(cmd, p.returncode, out, err,
                      time.monotonic() - start, timeout)
    except subprocess.TimeoutExpired:
        bts = backtraces(p.pid)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return Result(cmd, None, out, err, time.monotonic() - start,
                      timeout, bts)


def main(argv):
    if len(argv) < 3:
        print("usage: hangguard.py SECONDS COMMAND [ARGS...]",
              file=sys.stderr)
        return 2
    # the program's own output, unbuffered, in order with ours
    r = run_guarded(argv[2:], float(argv[1]), capture=False)
    if r.hung:
        print("hangguard: %s: %s" % (" ".join(argv[2:]), r.describe()),
              file=sys.stderr, flush=True)
        return 124
    return r.returncode if r.returncode >= 0 else 128 - r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
