#!/usr/bin/env bash
# The main job: build the runtime and the plugin, compile the demo with the
# plugin and, from the same source, without it (plain indirect calls, and
# retpolines), then print what was patched and the cost of one call in each,
# and end with a short run of the call-cost benchmark (GCC and Clang).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null

export PKG_CONFIG_PATH="$PWD/build/meson-uninstalled"
plugin_flags=$(pkg-config --variable=gcc_cflags staticcall)
runtime_flags=$(pkg-config --cflags --libs staticcall)
export LD_LIBRARY_PATH="$PWD/build/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out=build/demo
mkdir -p "$out"

build() { # name, extra flags...
	local name=$1; shift
	gcc -O2 "$@" demo/demo.c demo/demo_impl.c $runtime_flags -o "$out/$name"
}
build demo-staticcall $plugin_flags
build demo-indirect
build demo-retpoline -mindirect-branch=thunk

# A retpoline build that contains no thunk call measures nothing.
# (grep -c, not -q: an early exit would SIGPIPE objdump under pipefail)
if [ "$(objdump -d "$out/demo-retpoline" | grep -c 'call.*__x86_indirect_thunk')" -eq 0 ]; then
	echo "demo: the retpoline build has no thunk call" >&2
	exit 1
fi

calls=${DEMO_CALLS:-20000000}
echo "== demo built with the GCC plugin ($plugin_flags)"
"$out/demo-staticcall" "$calls" | tee "$out/staticcall.txt"
echo "== same source, no plugin, plain indirect calls"
"$out/demo-indirect" "$calls" | tee "$out/indirect.txt"
echo "== same source, no plugin, -mindirect-branch=thunk (retpoline)"
"$out/demo-retpoline" "$calls" | tee "$out/retpoline.txt"

ns() { sed -n 's/^per call: \([0-9.]*\) ns.*/\1/p' "$out/$1.txt"; }
sc=$(ns staticcall) ind=$(ns indirect) ret=$(ns retpoline)
echo "== summary"
grep '^sites:' "$out/staticcall.txt"
awk -v s="$sc" -v i="$ind" -v r="$ret" 'BEGIN {
	printf "static call %.3f ns | indirect %.3f ns | retpoline %.3f ns\n", s, i, r
	printf "static call / retpoline = %.2f (retpoline is %.1fx slower)\n", s / r, r / s
}'
for f in indirect retpoline; do
	if ! cmp -s <(grep checksum "$out/staticcall.txt") <(grep checksum "$out/$f.txt"); then
		echo "demo: results differ between builds" >&2
		exit 1
	fi
done

# A short run of the call-cost benchmark (benchmarks/call_cost.sh; the full
# one is benchmarks/run-all.sh): one hot site, and 2048 sites over 256 keys
# (more than the indirect-branch predictor tracks); GCC rows, and Clang rows
# when the Clang plugin is built. Medians of a few rounds on a possibly
# noisy machine: figures, not pass/fail. DEMO_BENCH=0 skips it.
if [ "${DEMO_BENCH:-1}" != 0 ]; then
	bcalls=${DEMO_BENCH_CALLS:-3000000} brounds=${DEMO_BENCH_ROUNDS:-7}
	echo "== benchmark summary (benchmarks/call_cost.sh, $bcalls calls x $brounds rounds, medians)"
	for cfg in "1 1" "2048 256"; do
		set -- $cfg
		if ! benchmarks/call_cost.sh "$1" "$2" "$bcalls" "$brounds" > "$out/bench_$1_$2.txt"; then
			echo "demo: call_cost.sh $1 $2 failed" >&2
			exit 1
		fi
		head -1 "$out/bench_$1_$2.txt"
		label="1 site"; [ "$1" = 1 ] || label="$1 sites/$2 keys"
		awk -v cfg="$label" '
		function ns(label) { return (label in v) ? v[label] : 0 }
		NR > 2 { l = substr($0, 1, 38); sub(/ +$/, "", l); v[l] = $(NF - 2) }
		function row(cc, p, ret) {
			d = ns(p "direct call (floor)"); s = ns(p "static call, patched")
			i = ns(p "indirect call"); r = ns(p ret)
			if (!d || !s) return
			printf "  %-5s %-19s static %.2f ns: %.2f x direct, %.2f x indirect, %.2f x retpoline (retpoline %.1fx slower)\n",
			       cc, cfg, s, s / d, s / i, s / r, r / s
		}
		END {
			row("gcc", "", "indirect, retpoline (thunk)")
			row("clang", "clang: ", "indirect, -mretpoline")
		}' "$out/bench_$1_$2.txt"
	done
	echo "(short run on a possibly shared machine; the full one: benchmarks/run-all.sh, results in benchmarks/README.md)"
fi
