#!/usr/bin/env bash
# modes.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR STATIC_RUNTIME OUT
# The runtime's environment switches, with the shared runtime and in a
# -static executable: 1/on and 0/off, a value no variable takes said and
# ignored.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 archive=$5 out=$6
src=$(dirname "$0")/modes_program.c
mkdir -p "$out"
$cc -O2 $plugin -I"$inc" "$src" -L"$lib" -lstaticcall -Wl,-rpath,"$lib" -o "$out/modes"
# -static: the archive without Zydis (GCC sites need no decoder); glibc may
# warn that static dlopen needs matching shared libraries at run time.
$cc -O2 -static $plugin -I"$inc" "$src" "$archive" -lpthread -o "$out/modes-static" 2>"$out/static-link.txt" ||
	{ cat "$out/static-link.txt"; exit 1; }
for exe in modes modes-static; do
	"$out/$exe" direct
	STATICCALL_DISABLE=1 "$out/$exe" disabled
	STATICCALL_DISABLE=on "$out/$exe" disabled
	# a switch's "off" is off (it meant on before); a value no
	# variable takes is said and ignored
	STATICCALL_DISABLE=off "$out/$exe" direct
	STATICCALL_DISABLE=maybe "$out/$exe" direct 2>"$out/bad-$exe.txt"
	grep -q 'STATICCALL_DISABLE=maybe is not a value it takes: ignored' \
		"$out/bad-$exe.txt" ||
		{ echo "modes: $exe: no word on DISABLE=maybe:"; cat "$out/bad-$exe.txt"; exit 1; }
	STATICCALL_SITES=trampoline "$out/$exe" trampoline
	# switches set by the program after start-up change nothing
	"$out/$exe" late
	# the exit checks, through the logger whatever STATICCALL_LOG says
	STATICCALL_REPORT=1 STATICCALL_VERIFY=1 STATICCALL_LOG=error \
		"$out/$exe" direct 2>"$out/exit-$exe.txt"
	grep -qx 'staticcall: verify: 0 stale sites' "$out/exit-$exe.txt" &&
		grep -q '^staticcall: report: .*: 2 sites, 2 direct, 0 trampoline' \
			"$out/exit-$exe.txt" &&
		[ "$(grep -c '^staticcall: site .* key .* -> ' "$out/exit-$exe.txt")" = 2 ] ||
		{ echo "modes: $exe: exit report/verify lines missing:"; cat "$out/exit-$exe.txt"; exit 1; }
done
