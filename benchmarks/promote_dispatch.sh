#!/usr/bin/env bash
# promote_dispatch.sh [OPS [ROUNDS]] - jump sites (issue 16: computed
# gotos and jump tables in GCC's promote mode), microbenchmark: one
# interpreter loop (promote_dispatch_loop.c) built plain, with retpolines
# (-mindirect-branch=thunk-inline) and in promote mode
# (gcc_promote_cflags), in one program (promote_dispatch.c): ns per
# dispatched operation and the ratios. Needs a built tree
# (scripts/build.sh); STATICCALL_BUILD picks another build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ops=${1:-4000000} rounds=${2:-7}
out=$(bench_dir promote_dispatch)
promote=$(pc gcc_promote_cflags)
cc=${CC:-gcc}
# -fjump-tables: GCC drops jump tables under -mindirect-branch unless
# asked; every variant has them, so the switch is a table jump in each
cflags=(-O2 -fjump-tables -Iinclude)
loop=benchmarks/promote_dispatch_loop.c
$cc "${cflags[@]}" -DVARIANT=plain -c $loop -o "$out/plain.o"
$cc "${cflags[@]}" -DVARIANT=retpoline -mindirect-branch=thunk-inline -c $loop -o "$out/retpoline.o"
# shellcheck disable=SC2086 # the variable holds several flags
$cc "${cflags[@]}" -DVARIANT=promoted $promote -c $loop -o "$out/promoted.o"
if [ "$(objdump -dr "$out/promoted.o" | grep -c 'jmp.*__x86_indirect_thunk')" -eq 0 ] ||
	[ "$(objdump -d "$out/retpoline.o" | grep -c lfence)" -eq 0 ]; then
	echo "promote_dispatch: a build without its retpolines" >&2
	exit 1
fi
$cc "${cflags[@]}" benchmarks/promote_dispatch.c "$out"/{plain,retpoline,promoted}.o \
	-o "$out/promote_dispatch" -L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
"$out/promote_dispatch" "$ops" "$rounds"
