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
for run in lazy:calls-first lazy:update-first lazy:fork-first \
	lazy:seal-first eager:calls-first; do
	mode=${run%%:*} order=${run#*:} o=$out/$mode-$order
	STATICCALL_BIND=$mode STATICCALL_REPORT=1 STATICCALL_LOG=info \
		"$out/bind_corrupt" "$out/libbind_corrupt.so" "$order" \
		>"$o.out" 2>"$o.err" || {
		cat "$o.out" "$o.err"
		echo "$run: FAILED"
		exit 1
	}
	grep -q "does not hold a call to its trampoline: left as compiled" \
		"$o.err" || {
		cat "$o.err"
		echo "$run: the corrupt site was not reported"
		exit 1
	}
	# the lazy runs must have taken the deferred registration
	if [ "$mode" = lazy ] && ! grep -q "registered .*deferred" "$o.err"; then
		grep registered "$o.err"
		echo "$run: registration not deferred"
		exit 1
	fi
	echo "$run: ok"
done
