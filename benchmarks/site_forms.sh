#!/usr/bin/env bash
# site_forms.sh [CALLS [ROUNDS]] - the candidate shapes of a promoted call
# site against a direct call and a retpoline (site_forms.S, written by
# hand: no plugin, no runtime), and the cost of the restartable-sequence
# barrier the inline form's write protocol would use (docs/PATCHING.md
# "What a stub costs"), each loop at four places in its fetch block.
# x86-64. Writes build/bench/site_forms/forms.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$(bench_dir site_forms)
cc=${CC:-gcc}
$cc -O2 -c benchmarks/site_forms_target.c -o "$out/target.o"
# each loop placed at four offsets in its 32-byte block (a cycle either
# way, for every form): one table each
: > "$out/forms.csv"
for pad in 0 8 16 24; do
	$cc -O2 -DPAD=$pad -Ibenchmarks benchmarks/site_forms.c \
		benchmarks/site_forms.S "$out/target.o" -o "$out/site_forms" -lpthread
	echo "# loops at +$pad in their 32-byte block" | tee -a "$out/forms.csv"
	"$out/site_forms" "${1:-20000000}" "${2:-11}" | tee -a "$out/forms.csv"
done
