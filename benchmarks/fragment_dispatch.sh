#!/usr/bin/env bash
# fragment_dispatch.sh [CALLS [ROUNDS]] - a CPU-dispatch hook (popcount in
# a loop): inline fragment vs static call to the popcnt function vs IFUNC
# (target_clones) vs a plain function pointer (fragment_dispatch.c), built
# with the GCC plugin plain and with retpolines. Needs a built tree;
# STATICCALL_BUILD picks another. Writes build/bench/fragment/*.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$(bench_dir fragment)
for v in plain retpoline; do
	flags=""
	[ $v = retpoline ] && flags="-mindirect-branch=thunk -mfunction-return=keep"
	gcc -O2 $flags -fplugin="$B/gcc-plugin/staticcall_gcc.so" -Iinclude \
		-Ibenchmarks benchmarks/fragment_dispatch.c \
		-o "$out/fragment_dispatch_$v" -L"$B/runtime" \
		-Wl,--no-as-needed -lstaticcall -Wl,-rpath,"$B/runtime"
	echo "-- $v"
	"$out/fragment_dispatch_$v" "${1:-20000000}" "${2:-11}" |
		tee "$out/$v.csv"
done
