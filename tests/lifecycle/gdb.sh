#!/usr/bin/env bash
# gdb.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT: the program under gdb
# (batch mode): breakpoints hit and continued between updates; then a
# breakpoint on a site: updates are written around it or, where they must
# replace its byte, refused (-EBUSY); see gdb_program.c.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
command -v gdb >/dev/null || { echo "gdb not installed"; exit 77; }
mkdir -p "$out"
$cc -O2 -g $plugin -I"$inc" "$(dirname "$0")/gdb_program.c" -L"$lib" \
    -lstaticcall -Wl,-rpath,"$lib" -o "$out/gdb_program"
cat >"$out/cmds" <<'GDB'
set pagination off
set confirm off
break checkpoint if i >= 0
commands
silent
continue
end
break checkpoint if i < 0
run
# checkpoint(-1): a breakpoint on the site
up
eval "break *%p", si[0].address
# three calls through the site stop on it
continue
continue
continue
continue
# checkpoint(-2): remove it
delete 3
continue
# checkpoint(-3): a breakpoint on the site's inline form
up
eval "break *%p", si[0].address
continue
# checkpoint(-4): remove it
delete 4
continue
GDB
timeout 120 gdb -q -batch -x "$out/cmds" "$out/gdb_program" >"$out/gdb.log" 2>&1 || true
cat "$out/gdb.log"
grep -q "^0 problems" "$out/gdb.log"
[ "$(grep -c "^Breakpoint 3, " "$out/gdb.log")" = 3 ] ||
	{ echo "gdb: the site's breakpoint was not hit 3 times"; exit 1; }
grep -q "update that must replace the breakpointed byte: -16$" "$out/gdb.log"
grep -q "STALE site .*call+0x.*a debugger's breakpoint is on the site" "$out/gdb.log" ||
	{ echo "gdb: the store left no STALE report"; exit 1; }
# ... naming the site's source line (the call in call(), gdb_program.c)
line=$(grep -n 'int r = gk(x);' "$(dirname "$0")/gdb_program.c" | cut -d: -f1)
grep -q "STALE site .*call+0x.* at [^ ]*gdb_program\.c:$line keeps its old target: a debugger's breakpoint" "$out/gdb.log" ||
	{ echo "gdb: the STALE report does not name gdb_program.c:$line"; exit 1; }
echo "gdb: ok"
