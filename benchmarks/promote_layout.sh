#!/usr/bin/env bash
# promote_layout.sh [CALLS [ROUNDS]] - promotion of indirect calls (issue
# 16): the monomorphic loop of promote_cost.sh (direct call of an opaque
# function, stub form, inline form; GCC, retpoline build) at the four
# 16-byte placements of its functions against the 64-byte fetch line
# (each form's loop function at the same one), one program each
# (promote_layout.c), and each form's mean time over the four against
# the direct call's. Needs a built tree
# (scripts/build.sh); STATICCALL_BUILD picks another build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
calls=${1:-2000000} rounds=${2:-9}
out=$(bench_dir promote_layout)
loop_objects "$out" direct promoted inlined
cc=${CC:-gcc}
cflags=(-O2 -Iinclude)
$cc "${cflags[@]}" -c benchmarks/promote_layout.c -o "$out/main.o"
echo "ns/call (medians of $rounds x $calls calls); each loop's function's start mod 64"
echo " at: direct stub inline    direct   stub inline  stub/d inl/d"
lines=()
for pad in 0 16 32 48; do
	{
		printf '\t.text\n\t.balign 64\n'
		[ "$pad" = 0 ] || printf '\t.space %d, 0xcc\n' "$pad"
		printf '\t.section .note.GNU-stack,"",@progbits\n'
	} >"$out/pad$pad.s"
	$cc -c "$out/pad$pad.s" -o "$out/pad$pad.o"
	# each loop's object after its own pad: every form at the same place
	$cc "$out/main.o" "$out/pad$pad.o" "$out/direct.o" "$out/pad$pad.o" \
		"$out/promoted.o" "$out/pad$pad.o" "$out/inlined.o" "$out/targets.o" \
		-o "$out/layout$pad" -L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
	line=$("$out/layout$pad" "$calls" "$rounds")
	echo "    $line"
	lines+=("$line")
done
# each form's mean time over the placements, against the direct call's
printf '%s\n' "${lines[@]}" | awk '{ d += $4; s += $5; i += $6; n++ }
	END { printf "mean of the %d placements: direct %.2f, stub %.2f (%.2fx), inline %.2f (%.2fx; bound 1.15)\n",
		n, d / n, s / n, s / d, i / n, i / d }'
