#!/bin/sh
# tools/tests/inspect_aarch64.sh - staticcall-inspect on arm64 files and
# processes: test_inspect.py with programs built by aarch64-linux-gnu-gcc
# (the aarch64 GCC plugin) and, when named, clang --target=aarch64-linux-gnu
# (the Clang plugin, anchors), against the runtime of a cross build (only
# its shared library is built), run under qemu-aarch64.
#
#   inspect_aarch64.sh SRCDIR INSPECT AARCH64_GCC_PLUGIN OUTDIR [CLANG_PLUGIN CLANG]
#
# Exits 77 (meson: skipped) without the cross toolchain, qemu or the plugin.
set -eu
SRC=$1
INSPECT=$2
PLUGIN=$3
OUT=$4
CLANG_PLUGIN=${5:-}
CLANG=${6:-}
WHAT="arm64 inspector test"
. "$SRC/cross/need-aarch64.sh"
[ -n "$PLUGIN" ] && [ -f "$PLUGIN" ] || skip "no aarch64 GCC plugin (gcc-12-plugin-dev-aarch64-linux-gnu)"

mkdir -p "$OUT"
B=$OUT/build-aarch64
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" --cross-file "$SRC/cross/aarch64-linux-gnu.ini" >"$OUT/setup.log" 2>&1 ||
		{ cat "$OUT/setup.log"; exit 1; }
fi
meson compile -C "$B" staticcall:shared_library >"$OUT/compile.log" 2>&1 ||
	{ cat "$OUT/compile.log"; exit 1; }

status=0
inspect() {
	python3 "$SRC/tools/tests/test_inspect.py" --arch arm64 --run-wrapper "$QEMU" \
		--inspect "$INSPECT" --include "$SRC/include" --runtime-lib "$B/runtime" "$@" ||
		status=1
}
echo "== aarch64-linux-gnu-gcc"
inspect --cc "$CC" --plugin-flags="-fplugin=$PLUGIN" --out "$OUT/gcc"
if [ -n "$CLANG_PLUGIN" ] && [ -f "$CLANG_PLUGIN" ]; then
	echo "== $CLANG --target=aarch64-linux-gnu"
	inspect --anchors --cc "$CLANG --target=aarch64-linux-gnu" \
		--plugin-flags="-fplugin=$CLANG_PLUGIN" --out "$OUT/clang"
fi
exit $status
