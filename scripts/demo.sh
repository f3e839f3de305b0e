#!/usr/bin/env bash
# The main job: build the runtime and the plugin, compile the demo with the
# plugin and, from the same source, without it (plain indirect calls, and
# retpolines), then print what was patched and the cost of one call in each.
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
