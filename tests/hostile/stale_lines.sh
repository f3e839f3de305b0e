#!/usr/bin/env bash
# stale_lines.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT [g-only]: a
# stale report names the site's file:line, built without -g (the plugin's
# lines table, not DWARF). `g-only`: a compiler whose plugin cannot track
# locations without -g (Clang 14 to 16 copy their code generation options
# before a plugin runs): without -g the report gives the addr2line command, with
# -g the file:line.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5 mode=${6:-}
src=$(dirname "$0")
mkdir -p "$out"
line=$(grep -n 'return key(x) + 1;' "$src/stale_lines.c" | cut -d: -f1)
fail() { echo "stale_lines: $*"; exit 1; }

# check NAME CFLAGS EXPECT: EXPECT is `line` or `addr2line`
check() {
	local name=$1 cflags=$2 want=$3
	$cc -O2 $cflags $plugin -I"$inc" "$src/stale_lines.c" -L"$lib" \
	    -lstaticcall -Wl,-rpath,"$lib" -o "$out/$name"
	"$out/$name" >"$out/$name.out" 2>"$out/$name.err" ||
		{ cat "$out/$name.out" "$out/$name.err"; fail "$name: wrong result"; }
	cat "$out/$name.err"
	local report
	report=$(grep 'STALE site .*call+0x[0-9a-f]* (.*' "$out/$name.err") ||
		fail "$name: no stale report"
	if [ "$want" = line ]; then
		grep -q " at [^ ]*stale_lines\\.c:$line keeps its old target" <<<"$report" ||
			fail "$name: the report does not name stale_lines.c:$line"
	else
		grep -q 'file:line: addr2line -f -i -e .* 0x[0-9a-f]*$' <<<"$report" ||
			fail "$name: the report gives no addr2line command"
	fi
}

if [ "$mode" = g-only ]; then
	check nodebug "" addr2line
	check debug -g line
else
	check nodebug "" line
fi
echo "stale_lines: ok"
