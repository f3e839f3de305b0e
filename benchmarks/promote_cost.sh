#!/usr/bin/env bash
# promote_cost.sh [CALLS [ROUNDS]] - promotion of indirect calls (issue
# 16), microbenchmark: the same loops built as direct calls, as retpoline
# calls (-mindirect-branch=thunk) and in promote mode (gcc_promote_cflags),
# in one program (promote_cost.c), and in promote-inline mode (the
# compare inline at the site); and the plain build: plain `call
# *%reg` against promote-plain mode. Needs a built tree (scripts/build.sh);
# STATICCALL_BUILD picks another build directory. CC=clang-19 builds the
# loops with Clang and its plugin (no promote-inline or promote-plain
# there: those lines are left out).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
calls=${1:-2000000} rounds=${2:-7}
out=$(bench_dir promote_cost)
loop_objects "$out" direct retpoline promoted inlined indirect plainpromoted
if [ "$(objdump -d "$out/promoted.o" | grep -c 'call.*__x86_indirect_thunk')" -eq 0 ] ||
	[ "$(objdump -d "$out/retpoline.o" | grep -c lfence)" -eq 0 ]; then
	echo "promote_cost: a build without its retpolines" >&2
	exit 1
fi
cc=${CC:-gcc}
cflags=(-O2 -Iinclude)
$cc "${cflags[@]}" benchmarks/promote_cost.c "$out"/{targets,direct,retpoline,promoted,indirect,plainpromoted,inlined}.o \
	-o "$out/promote_cost" -L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
echo "promote_cost: loops built by $($cc --version | head -1)"
"$out/promote_cost" "$calls" "$rounds"
