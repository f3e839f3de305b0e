#!/usr/bin/env bash
# signal.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR STATIC_RUNTIME OUT
# A signal handler that updates a key while its thread is inside the
# runtime must never wait for itself (signal_program.c); shared runtime
# and -static. A hang is the failure: each run is bounded by `timeout`.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 archive=$5 out=$6
src=$(dirname "$0")/signal_program.c
mkdir -p "$out"
$cc -O1 $plugin -I"$inc" "$src" -L"$lib" -lstaticcall -Wl,-rpath,"$lib" -o "$out/signal"
$cc -O1 -static $plugin -I"$inc" "$src" "$archive" -lpthread -o "$out/signal-static" 2>"$out/static-link.txt" ||
	{ cat "$out/static-link.txt"; exit 1; }
for exe in signal signal-static; do
	rc=0
	timeout -s KILL 30 "$out/$exe" || rc=$?
	if [ $rc -eq 137 ]; then
		echo "$exe: hung (a signal handler waited for the runtime's lock its thread holds)"
		exit 1
	fi
	[ $rc -eq 0 ] || { echo "$exe: exit $rc"; exit 1; }
done
