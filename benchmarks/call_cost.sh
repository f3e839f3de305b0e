#!/usr/bin/env bash
# call_cost.sh [SITES KEYS [CALLS [ROUNDS]]] - build and run the call-cost
# benchmark: the same loop as a direct call, a patched static call, a call
# through the trampoline, and plain/CET/retpoline indirect calls, all in
# one binary. Needs a built tree (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
sites=${1:-1} keys=${2:-1} calls=${3:-20000000} rounds=${4:-11}
out=build/bench/call_cost_${sites}_${keys}
mkdir -p "$out"
python3 benchmarks/gen_calls.py "$out" "$sites" "$keys"

plugin=$(PKG_CONFIG_PATH=build/meson-uninstalled pkg-config --variable=gcc_cflags staticcall)
cc=${CC:-gcc}
cflags=(-O2 -Iinclude -I"$out")
variant() { # name, flags...
	local name=$1; shift
	$cc "${cflags[@]}" "$@" -DVARIANT="$name" -c "$out/loop.c" -o "$out/loop_$name.o"
}
variant direct -DDIRECT
variant static $plugin
variant trampoline -DTRAMPOLINE
variant indirect
variant cet -fcf-protection=branch
variant retpoline -mindirect-branch=thunk
variant retpoline_extern -mindirect-branch=thunk-extern
objs=("$out"/loop_{direct,static,trampoline,indirect,cet,retpoline,retpoline_extern}.o)
if command -v clang-19 >/dev/null && [ -n "${CLANG_PLUGIN_FLAGS:-}" ]; then
	clang-19 "${cflags[@]}" $CLANG_PLUGIN_FLAGS -DVARIANT=clang_static -c "$out/loop.c" -o "$out/loop_clang_static.o"
	clang-19 "${cflags[@]}" -mretpoline -DVARIANT=clang_retpoline -c "$out/loop.c" -o "$out/loop_clang_retpoline.o"
	objs+=("$out"/loop_clang_{static,retpoline}.o)
fi

# A retpoline build without thunk calls would measure nothing.
for v in retpoline retpoline_extern; do
	if [ "$(objdump -dr "$out/loop_$v.o" | grep -c '__x86_indirect_thunk')" -eq 0 ]; then
		echo "call_cost: loop_$v.o contains no retpoline thunk call" >&2
		exit 1
	fi
done

$cc "${cflags[@]}" $plugin -c "$out/keys.c" -o "$out/keys.o"
$cc "${cflags[@]}" -c "$out/targets.c" -o "$out/targets.o"
$cc "${cflags[@]}" benchmarks/call_cost.c benchmarks/thunks.S "${objs[@]}" \
    "$out/keys.o" "$out/targets.o" -Lbuild/runtime -lstaticcall \
    -Wl,-rpath,"$PWD/build/runtime" -o "$out/call_cost"
"$out/call_cost" "$calls" "$rounds"
