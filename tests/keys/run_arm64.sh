#!/usr/bin/env bash
# run_arm64.sh SRCDIR OUT [AARCH64_GCC_PLUGIN] [CLANG_PLUGIN]
# Static keys and kernel.h on arm64 under qemu-aarch64: the runtime
# cross-built from runtime/ (the aarch64 files), then run.sh with
# aarch64-linux-gnu-gcc (with and without the aarch64 GCC plugin) and
# clang --target=aarch64-linux-gnu (with and without the Clang plugin).
# The stress test runs under qemu -singlestep (tests/arm64/run.sh says
# why). Exits 77 (skipped) without the cross toolchain or qemu.
set -euo pipefail
SRC=$1 OUT=$2 GCCP=${3:-} CLANGP=${4:-}
WHAT="static keys on arm64"
# shellcheck disable=SC1091
. "$SRC/cross/need-aarch64.sh"
mkdir -p "$OUT/runtime"
cd "$SRC/runtime"
# shellcheck disable=SC2046
$CC -O2 -shared -fPIC -fvisibility=hidden -std=gnu11 -I../include -I. \
	$(ls ./*.c | grep -v -e x86_64 -e arch_ops.c) bind_aarch64.S \
	-o "$OUT/runtime/libstaticcall.so" -ldl -lpthread
Q="$SRC/cross/qemu-aarch64"
export RUN=$Q STRESS_RUN="$Q -singlestep"
k=$SRC/tests/keys/run.sh
"$k" a64-gcc "$CC" "$SRC/include" "$OUT/runtime" "$OUT/gcc"
if [ -n "$GCCP" ] && [ -f "$GCCP" ]; then
	"$k" a64-gcc-plugin "$CC" "$SRC/include" "$OUT/runtime" "$OUT/gcc-p" \
		-fplugin="$GCCP"
fi
CL="clang-19 --target=aarch64-linux-gnu"
if command -v clang-19 >/dev/null; then
	"$k" a64-clang "$CL" "$SRC/include" "$OUT/runtime" "$OUT/clang"
	if [ -n "$CLANGP" ] && [ -f "$CLANGP" ]; then
		"$k" a64-clang-plugin "$CL" "$SRC/include" "$OUT/runtime" \
			"$OUT/clang-p" -fplugin="$CLANGP"
	fi
fi
echo "static keys on arm64: ok"
