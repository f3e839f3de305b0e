#!/usr/bin/env bash
# gdb.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT: the program under gdb
# (batch mode): breakpoints hit and continued between updates; a
# breakpoint on the site makes the update refuse (-EBUSY).
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
# stopped at checkpoint(-1): put a breakpoint on the site and go on
up
eval "break *%p", si[0].address
continue
GDB
gdb -q -batch -x "$out/cmds" "$out/gdb_program" >"$out/gdb.log" 2>&1 || true
cat "$out/gdb.log"
grep -q "0 problems" "$out/gdb.log"
grep -q "update with a breakpoint on the site: -16 (refused)" "$out/gdb.log"
echo "gdb: ok"
