#!/usr/bin/env bash
# struct_copy.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT
# The struct-copy window (struct_copy.c): the plugin puts
# __staticcall_store_range_begin before a routed struct copy, and with it
# no call pairs a new ctx with an old function (2 s, and 1 s with
# STATICCALL_STRADDLE=wait). Without the begin step the same run shows the
# window (a check that the detector sees it: a warning if it does not).
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
src=$(dirname "$0")/struct_copy.c
mkdir -p "$out"
$cc -O2 -pthread $plugin -I"$inc" "$src" -L"$lib" -lstaticcall \
	-Wl,-rpath,"$lib" -o "$out/struct_copy"
if ! objdump -d "$out/struct_copy" | awk '/<copy_in[.a-z0-9]*>:/,/^$/' |
	grep -q 'call.*<__staticcall_store_range_begin@plt>'; then
	echo "the plugin emitted no __staticcall_store_range_begin before a struct copy"
	exit 1
fi
fail=0
"$out/struct_copy" 2 || fail=1
STATICCALL_STRADDLE=wait "$out/struct_copy" 1 || fail=1
rc=0
"$out/struct_copy" 1 nobegin || rc=$?
[ $rc = 1 ] || echo "warning: without the begin step no window call was seen (a loaded machine?)"
exit $fail
