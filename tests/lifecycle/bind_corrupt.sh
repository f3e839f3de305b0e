#!/usr/bin/env bash
# bind_corrupt.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT
# A record that does not match its code in an object registered with lazy
# binding (bind_corrupt_lib.S): reported (static_call_sites,
# STATICCALL_REPORT), never patched at an update or through the binder.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
d=$(dirname "$0")
mkdir -p "$out"
# shellcheck disable=SC2086
$cc -O2 -fPIC -shared $plugin -I"$inc" "$d/bind_corrupt_lib.c" \
	"$d/bind_corrupt_lib.S" -L"$lib" -lstaticcall -Wl,-rpath,"$lib" \
	-o "$out/libbind_corrupt.so"
$cc -O2 -I"$inc" "$d/bind_corrupt.c" -L"$lib" -lstaticcall -ldl \
	-Wl,-rpath,"$lib" -o "$out/bind_corrupt"
for mode in lazy eager; do
	STATICCALL_BIND=$mode STATICCALL_REPORT=1 \
		"$out/bind_corrupt" "$out/libbind_corrupt.so" \
		>"$out/$mode.out" 2>"$out/$mode.err" || {
		cat "$out/$mode.out" "$out/$mode.err"
		echo "$mode: FAILED"
		exit 1
	}
	grep -q "does not hold a call to its trampoline" "$out/$mode.err" || {
		cat "$out/$mode.err"
		echo "$mode: STATICCALL_REPORT did not report the corrupt site"
		exit 1
	}
	echo "$mode: ok"
done
