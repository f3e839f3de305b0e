#!/usr/bin/env bash
# static_keys.sh [ITERATIONS] - the cost of a static key's check (disabled,
# enabled, as compiled) against a load and test of a flag, hot and
# evicted, and of one toggle with 1, 100 and 10,000 sites
# (static_keys.c). Needs a built tree; STATICCALL_BUILD picks another.
# Writes build/bench/keys/keys.csv (patched) and keys_test.csv (every
# site on its load and test: STATICCALL_DISABLE=1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$(bench_dir keys)
for cc in ${CC:-gcc}; do
	$cc -O2 -Iinclude -Ibenchmarks benchmarks/static_keys.c -o "$out/static_keys" \
		-L"$B/runtime" -Wl,--no-as-needed -lstaticcall -Wl,-rpath,"$B/runtime"
done
"$out/static_keys" "${1:-20000000}" | tee "$out/keys.csv"
echo "-- every site on its load and test (STATICCALL_DISABLE=1):"
STATICCALL_DISABLE=1 "$out/static_keys" "${1:-20000000}" | grep -v '^toggle' |
	tee "$out/keys_test.csv"
