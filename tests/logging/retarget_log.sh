#!/usr/bin/env bash
# retarget_log.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT
# Every re-targeting is one info line naming the key (static symbols too),
# the target, the cause and the sites changed (retarget_program.c: update,
# update_null, update_ret0, store, range store, resync, registration); a
# store that changes nothing is a debug line; the default level prints none.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
src=$(dirname "$0")/retarget_program.c
mkdir -p "$out"
# every site patchable whatever the layout (a site straddling a word
# otherwise stays on its trampoline: 0 sites changed)
export STATICCALL_STRADDLE=wait
$cc -O2 $plugin -I"$inc" "$src" -L"$lib" -lstaticcall -Wl,-rpath,"$lib" \
	-o "$out/retarget"
STATICCALL_LOG=info "$out/retarget" 2>"$out/info.txt" ||
	{ echo "retarget: failed"; cat "$out/info.txt"; exit 1; }
fail=0
expect() { # expect SECTION REGEX: the section's lines hold one match
	local n
	n=$(awk -v s="--- $1" '/^--- /{on = ($0 == s)} on' "$out/info.txt" |
		grep -cE "$2" || true)
	[ "$n" = 1 ] || { echo "section '$1': want one line matching: $2"; fail=1; }
}
key='hook \(0x[0-9a-f]+\)'
expect update "^staticcall: info: re-target $key -> impl_b \(update\): 2 of 2 sites changed$"
expect update_null "^staticcall: info: re-target $key -> NULL \(update_null\): 2 of 2 sites changed$"
expect update_ret0 "^staticcall: info: re-target $key -> return-zero \(update_ret0\): [12] of 2 sites changed$"
expect store "^staticcall: info: re-target $key -> impl_a \(store\): 2 of 2 sites changed$"
expect resync "^staticcall: info: re-target $key -> impl_b \(resync\): 2 of 2 sites changed$"
expect 'range store' "^staticcall: info: re-target g_ops \(0x[0-9a-f]+\) -> impl_b \(range store\): 1 of 1 sites changed$"
grep -qE '^staticcall: info: registered .*: 3 sites, .* \(registration\): 3 sites changed$' "$out/info.txt" ||
	{ echo "no registration line"; fail=1; }
# the same value again: nothing changed, nothing at info
[ "$(awk '/^--- same value/{on=1; next} /^--- /{on=0} on' "$out/info.txt" | wc -l)" = 0 ] ||
	{ echo "a store that changed nothing was logged at info"; fail=1; }
STATICCALL_LOG=debug "$out/retarget" 2>"$out/debug.txt"
awk '/^--- same value/{on=1; next} /^--- /{on=0} on' "$out/debug.txt" |
	grep -qE '^staticcall: debug: re-target g_ops .* \(range store(, value kept)?\): [01] of 1 sites changed$' ||
	{ echo "no debug line for the store that changed nothing"; fail=1; }
"$out/retarget" 2>"$out/default.txt"
if grep -v '^--- ' "$out/default.txt"; then
	echo "lines at the default level (above)"; fail=1
fi
[ $fail = 0 ] || { echo "--- log:"; cat "$out/info.txt"; exit 1; }
# STATICCALL_REPORT=1 names keys, sites in static functions and targets
# (symname.c, the inspector's reader), no raw addresses in their place
STATICCALL_REPORT=1 "$out/retarget" 2>"$out/report.txt"
site='^staticcall: site [^ ]*/retarget:call_(hook|guarded|ops)[.a-z0-9]*\+0x[0-9a-f]+ \(0x[0-9a-f]+\)'
[ "$(grep -cE "$site key hook [a-z-]+ -> impl_b$" "$out/report.txt")" = 2 ] &&
	[ "$(grep -cE "$site key g_ops [a-z-]+ -> impl_b$" "$out/report.txt")" = 1 ] ||
	{ echo "STATICCALL_REPORT lines without names:"; cat "$out/report.txt"; exit 1; }
