#!/usr/bin/env bash
# cpython.sh [RUNS] - a real program's ordinary indirect calls: CPython 3.11
# (Debian's python3.11 source package, fetched by fetch-cpython.sh into
# build/bench/cpython/src, never committed), built with GCC -O2 (no PGO,
# no LTO, only the interpreter and a few shared modules) four ways:
#   plain          as is
#   thunk          retpolines (-mindirect-branch=thunk -mfunction-return=keep)
#   promote        retpolines + the plugin's promote mode (gcc_promote_cflags:
#                  the runtime learns each indirect call's targets)
#   promote-sc     promote + the four allocator hooks of PyMemAllocatorEx
#                  (malloc, calloc, realloc, free) marked STATIC_CALL
#   thunk-sc       retpolines + the plugin (static calls only), for reference
#   promote-inline promote + promote-inline (each call site compares its
#                  hottest target inline; not built unless VARIANTS names it)
# runs a pure-Python workload (benchmarks/cpython_workload.py: allocation
# and JSON loops), median of RUNS (default 5) runs interleaved across
# builds, CPU and wall time; a promoted run reports sites promoted /
# executed, stub memory and learning time (promote_report.c, preloaded).
# A small documented subset of CPython's test suite runs on the promoted
# builds (test_json test_dict test_list test_gc test_threading; NO_CHECK=1
# skips it). Build dirs stay under build/bench/cpython (reruns reuse them;
# REBUILD=1 rebuilds; JOBS=N: make -jN, default 2). Writes
# build/bench/cpython/{speed,sites,check}.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
repo=$PWD
runs=${1:-5}
out=$(bench_dir cpython)
benchmarks/fetch-cpython.sh "$out/src"
# The marked source: PyMemAllocatorEx's four function pointers get
# STATIC_CALL (staticcall.h defines it empty without the plugin).
if [ ! -f "$out/src-marked/.marked" ]; then
	rm -rf "$out/src-marked"
	cp -a "$out/src" "$out/src-marked"
	python3 - "$out/src-marked/Include/cpython/pymem.h" <<'PY'
import re, sys
p = sys.argv[1]
src = open(p).read()
src, n = re.subn(r"\(\*(malloc|calloc|realloc|free)\) \(", r"(*STATIC_CALL \1) (", src)
assert n == 4, n
src = src.replace("typedef struct {\n    /* user context", '#include "staticcall.h"\ntypedef struct {\n    /* user context', 1)
open(p, "w").write(src)
print("cpython: %d members of PyMemAllocatorEx marked STATIC_CALL" % n, file=sys.stderr)
PY
	touch "$out/src-marked/.marked"
fi
export PKG_CONFIG_PATH=$B/meson-uninstalled
gcc_plugin=$(pkg-config --variable=gcc_cflags staticcall)
gcc_promote=$(pkg-config --variable=gcc_promote_cflags staticcall)
plugins_sum=$(cat "$B"/gcc-plugin/*.so | sha256sum | cut -c1-16)
rt_libs="-L$B/runtime -lstaticcall -Wl,-rpath,$B/runtime"
variants=(${VARIANTS:-plain thunk promote promote-sc thunk-sc})
thunk="-mindirect-branch=thunk -mfunction-return=keep"
# Modules left out (not needed by the workload or the test subset; they
# cost most of the build): configure's py_cv_module_<name>=n/a. _testcapi
# stays: test_gc (with_tp_del, ContainerNoGC) and test_threading
# (call_in_temporary_c_thread, run_in_subinterp) import it and fail
# without it; their ctypes tests skip themselves.
skip_modules="_decimal _ctypes _ctypes_test _sqlite3 _tkinter _curses
	_curses_panel _dbm _gdbm _lzma _bz2 _ssl _hashlib nis readline
	_elementtree pyexpat _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp
	_codecs_kr _codecs_tw _multibytecodec _testbuffer
	_testimportmultiple _testmultiphase _xxtestfuzz xxlimited xxlimited_35
	_xxsubinterpreters audioop _crypt _uuid spwd ossaudiodev syslog
	_blake2 _sha3 _md5 _sha1 _sha256 _scproxy"
skip_env=()
for m in $skip_modules; do skip_env+=("py_cv_module_$m=n/a"); done

build() { # variant
	local v=$1 dir=$out/$1 src=src cflags="-O2" libs= cppflags=
	case $v in thunk*|promote*) cflags="$cflags $thunk" ;; esac
	case $v in promote*) cflags="$cflags $gcc_promote"; libs=$rt_libs ;; esac
	case $v in promote-inline*) cflags="$cflags -fplugin-arg-staticcall_gcc-promote-inline" ;; esac
	case $v in thunk-sc) cflags="$cflags $gcc_plugin"; libs=$rt_libs ;; esac
	case $v in *-sc) src=src-marked; cppflags="-I$repo/include" ;; esac
	# (the plugins' own bytes too: a build from an older plugin runs, but
	# a runtime that refuses its thunks promotes nothing in it)
	local stamp="$src|$cflags|$cppflags|$libs|$skip_modules|$plugins_sum"
	if [ -z "${REBUILD:-}" ] && [ -x "$dir/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "cpython: $v already built ($dir)" >&2
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "cpython: configuring and building $v" >&2
	# OPT without configure's -O3 and -g: the variants differ only by
	# CFLAGS; -fwrapv and NDEBUG as configure sets them.
	( cd "$dir" && env "${skip_env[@]}" "../$src/configure" -q --without-ensurepip \
		--without-pydebug --with-pymalloc OPT="-DNDEBUG -fwrapv -Wall" \
		CFLAGS="$cflags" CPPFLAGS="$cppflags" LIBS="$libs" \
		> configure.log 2>&1 ) || { tail -20 "$dir/configure.log" >&2; exit 1; }
	/usr/bin/time -f "%e %U %S" -o "$dir/build.time" \
		nice make -C "$dir" -j"${JOBS:-2}" python sharedmods > "$dir/build.log" 2>&1 ||
		{ tail -30 "$dir/build.log" >&2; exit 1; }
	echo "$stamp" > "$dir/.stamp"
	echo "cpython: built $v in $(cut -d' ' -f1 "$dir/build.time") s" >&2
}
for v in "${variants[@]}"; do build "$v"; done
for v in "${variants[@]}"; do
	case $v in thunk*|promote*)
		n=$(objdump -d "$out/$v/python" | grep -c 'call.*__x86_indirect_thunk' || true)
		[ "$n" -gt 0 ] || { echo "cpython: $v has no retpoline thunk call" >&2; exit 1; } ;;
	esac
done
[ -n "${BUILD_ONLY:-}" ] && exit 0

# The promotion reporter (preloaded into the promoted runs).
gcc -O2 -shared -fPIC -I"$repo/include" benchmarks/promote_report.c \
	-o "$out/promote_report.so" $rt_libs -lpthread

# CPython's own tests, a documented subset (the promoted builds must pass
# it as the plain build does).
if [ -z "${NO_CHECK:-}" ]; then
	echo "build,exit,summary" > "$out/check.csv"
	for v in "${variants[@]}"; do
		case $v in plain|promote*) ;; *) continue ;; esac
		rc=0
		( cd "$out/$v" && nice ./python -m test -j1 test_json test_dict test_list test_gc test_threading ) \
			> "$out/$v/check.log" 2>&1 || rc=$?
		sum=$(grep -aE '^Result:|^Total tests:' "$out/$v/check.log" | tr '\n' ' ' | tr -d ',')
		echo "cpython: test subset on $v: exit $rc: $sum" >&2
		echo "$v,$rc,$sum" >> "$out/check.csv"
	done
fi

# Timing: interleaved, median of RUNS; the promoted builds report their
# sites once (with the reporter preloaded, outside the timed runs).
python3 benchmarks/time_runs.py "$out" "$runs" python "${variants[@]}" -- \
	benchmarks/cpython_workload.py
echo "build,sites,executed,promoted,megamorphic,far,tail_sites,tail_unlearned,learning_executed,promotions,demotions,samples,stubs,stub_bytes,first_promotion_ms,last_promotion_ms,run_ms,untallied_samples" > "$out/sites.csv"
for v in "${variants[@]}"; do
	case $v in promote*) ;; *) continue ;; esac
	PROMOTE_REPORT_OUT=$out/$v/sites.txt LD_PRELOAD=$PWD/$out/promote_report.so \
		"$out/$v/python" benchmarks/cpython_workload.py > /dev/null
	echo "$v,$(head -1 "$out/$v/sites.txt")" >> "$out/sites.csv"
done
echo "== promoted sites (one run with the reporter)"
column -s, -t "$out/sites.csv"
