#!/usr/bin/env bash
# without_optional.sh SRC OUT [MESON] - configure the project as a host
# without Criterion and without Clang would (-Dcriterion=disabled
# -Dclang=disabled) in OUT/minimal, check that configure says what it
# skips, registers none of the skipped tests, and that the runtime compiles
# and its uninstalled pkg-config file names the GCC plugin only. Then, when
# aarch64-linux-gnu-gcc and its plugin headers are installed, configure
# (only) with -Dgcc=aarch64-linux-gnu-gcc, as a native arm64 host's gcc
# would be: the GCC plugin must be built for that compiler's target.
set -euo pipefail
src=$(realpath "$1") out=$2 meson=${3:-meson}
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # log, text
	grep -qF -- "$2" "$1" || { cat "$1"; fail "configure did not say: $2"; }
}

b=$out/minimal
echo "== meson setup $b -Dcriterion=disabled -Dclang=disabled"
"$meson" setup "$b" "$src" -Dcriterion=disabled -Dclang=disabled \
	>"$out/minimal-setup.log" 2>&1 || { cat "$out/minimal-setup.log"; fail "configure"; }
expect "$out/minimal-setup.log" "runtime unit tests and their sanitizer runs skipped: -Dcriterion=disabled"
expect "$out/minimal-setup.log" "Clang plugin not built (-Dclang=disabled)"
grep -F -e "Message:" -e "WARNING:" "$out/minimal-setup.log" || true

# No test of what was skipped, the GCC ones still there.
"$meson" introspect "$b" --tests |
	python3 -c 'import json, sys; print("\n".join(t["name"] for t in json.load(sys.stdin)))' \
	>"$out/minimal-tests.txt"
grep -qx "compile errors (gcc)" "$out/minimal-tests.txt" || fail "no GCC tests registered"
if grep -E '^(runtime unit|sanitizer asan|sanitizer valgrind|clang anchors|mixed GCC and Clang objects)$|\((clang|clang-[0-9]+)[,)]' \
	"$out/minimal-tests.txt"; then
	fail "tests of skipped parts registered"
fi

echo "== meson compile -C $b staticcall:shared_library"
"$meson" compile -C "$b" staticcall:shared_library >"$out/minimal-compile.log" 2>&1 ||
	{ cat "$out/minimal-compile.log"; fail "runtime build"; }
pc=$b/meson-uninstalled/staticcall-uninstalled.pc
[ -f "$pc" ] || fail "no $pc"
grep -q "^gcc_plugin=" "$pc" || fail "$pc: no gcc_plugin"
if grep "^clang" "$pc"; then fail "$pc names a Clang plugin"; fi

a64=aarch64-linux-gnu-gcc
if ! command -v $a64 >/dev/null ||
   [ ! -f "$($a64 -print-file-name=plugin)/include/gcc-plugin.h" ]; then
	echo "native arm64 plugin selection skipped: no $a64 with plugin headers"
	exit 0
fi
b=$out/gcc-aarch64
echo "== meson setup $b -Dgcc=$a64 (configure only)"
"$meson" setup "$b" "$src" -Dcriterion=disabled -Dclang=disabled -Dgcc=$a64 \
	>"$out/gcc-aarch64-setup.log" 2>&1 || { cat "$out/gcc-aarch64-setup.log"; fail "configure"; }
expect "$out/gcc-aarch64-setup.log" "GCC plugin staticcall_gcc: for $(command -v $a64) (aarch64-linux-gnu)"
expect "$out/gcc-aarch64-setup.log" "GCC plugin staticcall_gcc_aarch64 not built: staticcall_gcc targets aarch64-linux-gnu already"
# Its objects are compiled for arm64 (and the x86-64 build's are not).
target_flags() { # build dir
	python3 -c 'import json, sys
for c in json.load(open(sys.argv[1] + "/compile_commands.json")):
    if c["file"].endswith("emit_asm.cc") and "staticcall_gcc.so" in c["output"]:
        print("aarch64" if "-DSC_TARGET_AARCH64" in c["command"] else "x86_64")' "$1"
}
[ "$(target_flags "$b")" = aarch64 ] || fail "staticcall_gcc for $a64 not built for aarch64"
native=$(gcc -dumpmachine)
[ "$(target_flags "$out/minimal")" = "${native%%-*}" ] ||
	fail "staticcall_gcc for gcc not built for $native"
echo "ok"
