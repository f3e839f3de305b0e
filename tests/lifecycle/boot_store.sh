#!/usr/bin/env bash
# boot_store.sh CC PLUGIN_FLAGS INCLUDE_DIR RUNTIME_LIB_DIR OUT_DIR
# A store the plugin could not refuse (boot_store_other.c) to a
# STATIC_CALL_BOOT key whose site holds a multi-instruction fragment while
# a thread runs: never silent (docs/PATCHING.md, "Inline forms"): an error
# line names the site and its reason, static_call_verify fails.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 rt=$4 out=$5
src=$(dirname "$0")
mkdir -p "$out"
$cc -O2 $plugin -I"$inc" "$src/boot_store_main.c" "$src/boot_store_other.c" \
    -L"$rt" -lstaticcall -Wl,-rpath,"$rt" -lpthread -o "$out/boot_store"
STATICCALL_BIND=eager "$out/boot_store" >"$out/stdout" 2>"$out/stderr" || {
	echo "FAIL: exit status $?"; cat "$out/stdout" "$out/stderr"; exit 1; }
fail=0
grep -q '^verify 1 ' "$out/stdout" || { echo "FAIL: static_call_verify did not fail"; fail=1; }
grep -q 'error: STALE site .*multi-instruction fragment and threads run' "$out/stderr" ||
	{ echo "FAIL: no error line for the stale site"; fail=1; }
cat "$out/stdout" "$out/stderr"
[ $fail = 0 ] && echo "PASS boot_store"
exit $fail
