#!/usr/bin/env bash
# call_cost.sh [SITES KEYS [CALLS [ROUNDS]]] - build and run the call-cost
# benchmark: the same loop as a direct call, a patched static call, a call
# through the trampoline, and plain/CET/retpoline indirect calls, all in
# one binary; with Clang too when the Clang plugin is built (NO_CLANG=1
# skips it). Needs a built tree (scripts/build.sh); STATICCALL_BUILD picks
# another build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
sites=${1:-1} keys=${2:-1} calls=${3:-20000000} rounds=${4:-11}
out=$(bench_dir "call_cost_${sites}_${keys}")
python3 benchmarks/gen_calls.py "$out" "$sites" "$keys"

plugin=$(pc gcc_cflags)
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
thunked=(retpoline retpoline_extern)
# Clang columns when the Clang plugin is built (clang_cflags in the .pc).
clang=${CLANG:-clang-19}
clang_plugin=$(pc clang_cflags 2>/dev/null || true)
extra_libs=()
if [ -n "$clang_plugin" ] && command -v "$clang" >/dev/null && [ -z "${NO_CLANG:-}" ]; then
	cvariant() { # name, flags...
		local name=$1; shift
		$clang "${cflags[@]}" "$@" -DVARIANT="clang_$name" -c "$out/loop.c" -o "$out/loop_clang_$name.o"
	}
	cvariant direct -DDIRECT
	cvariant static $clang_plugin
	cvariant trampoline -DTRAMPOLINE
	cvariant indirect
	cvariant cet -fcf-protection=branch
	cvariant retpoline -mretpoline
	objs+=("$out"/loop_clang_{direct,static,trampoline,indirect,cet,retpoline}.o)
	thunked+=(clang_retpoline)
	# Clang's sites are found from anchors by the Zydis decoder, which the
	# runtime references weakly: link it for sure.
	extra_libs=(-Wl,--no-as-needed -lZydis -lZycore -Wl,--as-needed)
fi

# A retpoline build without thunk calls would measure nothing.
for v in "${thunked[@]}"; do
	if [ "$(objdump -dr "$out/loop_$v.o" | grep -c '__x86_indirect_thunk\|__llvm_retpoline')" -eq 0 ]; then
		echo "call_cost: loop_$v.o contains no retpoline thunk call" >&2
		exit 1
	fi
done

$cc "${cflags[@]}" $plugin -c "$out/keys.c" -o "$out/keys.o"
$cc "${cflags[@]}" -c "$out/targets.c" -o "$out/targets.o"
$cc "${cflags[@]}" benchmarks/call_cost.c benchmarks/thunks.S "${objs[@]}" \
    "$out/keys.o" "$out/targets.o" -L"$B/runtime" -lstaticcall "${extra_libs[@]}" \
    -Wl,-rpath,"$B/runtime" -o "$out/call_cost"
"$out/call_cost" "$calls" "$rounds"
