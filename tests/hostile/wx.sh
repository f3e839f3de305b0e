#!/usr/bin/env bash
# wx.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT: build wx_exec and
# wx_program, run the program under the W^X filter, and require it to pass
# with exactly one warning line from the runtime.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
src=$(dirname "$0")
mkdir -p "$out"
$cc -O2 "$src/wx_exec.c" -o "$out/wx_exec"
$cc -O2 $plugin -I"$inc" "$src/wx_program.c" -L"$lib" -lstaticcall \
    -Wl,-rpath,"$lib" -o "$out/wx_program"
rc=0
"$out/wx_exec" "$out/wx_program" 2>"$out/stderr.txt" || rc=$?
cat "$out/stderr.txt" >&2
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "wx: program failed ($rc)"; exit 1; }
warnings=$(grep -c 'W^X' "$out/stderr.txt" || true)
[ "$warnings" -eq 1 ] || { echo "wx: expected one W^X report, got $warnings"; exit 1; }
echo "wx: ok"
