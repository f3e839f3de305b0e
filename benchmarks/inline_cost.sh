#!/usr/bin/env bash
# inline_cost.sh [CALLS [ROUNDS]] - a return-constant (and return-argument)
# hook against a direct call of an opaque function returning the constant
# (inline_cost.c), GCC -O2 with the plugin. Needs a built tree
# (scripts/build.sh); STATICCALL_BUILD picks another build directory.
# Writes build/bench/inline/inline.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
plugin=$(pc gcc_cflags)
out=$(bench_dir inline)
cc=${CC:-gcc}
$cc -O2 -fno-ipa-ra -c benchmarks/inline_cost_target.c -o "$out/target.o"
$cc -O2 -Iinclude -Ibenchmarks $plugin -c benchmarks/inline_cost.c -o "$out/inline_cost.o"
$cc "$out/inline_cost.o" "$out/target.o" -o "$out/inline_cost" \
	-L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
"$out/inline_cost" "${1:-50000000}" "${2:-11}" | tee "$out/inline.csv"
