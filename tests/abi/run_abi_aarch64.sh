#!/bin/sh
# tests/abi/run_abi_aarch64.sh - the ABI conformance sweep for arm64
# (tests/abi/README.md): prototypes generated for AAPCS64 (gen_abi.py
# --arch aarch64), built by aarch64-linux-gnu-gcc with the aarch64 GCC
# plugin and, when STATICCALL_CLANG_PLUGIN names the Clang plugin, by
# clang --target=aarch64-linux-gnu with it, at -O0 and -O2; run under
# qemu-aarch64 in the three site states and compared with libffi for arm64
# (libffi-dev:arm64, multiarch) and with the plugin-free build.
#
#   run_abi_aarch64.sh SRCDIR AARCH64_GCC_PLUGIN OUTDIR [run_abi.py args...]
#
# The runtime is cross-built in OUTDIR/build-aarch64 (cross/aarch64-linux-gnu.ini).
# Exits 77 (meson: skipped) with the reason when the cross toolchain, qemu,
# the plugin or libffi for arm64 is missing.
set -eu
SRC=$1
PLUGIN=$2
OUT=$3
shift 3
WHAT="arm64 ABI sweep"
. "$SRC/cross/need-aarch64.sh"
{ [ -n "$PLUGIN" ] && [ -f "$PLUGIN" ]; } || skip "no aarch64 GCC plugin (gcc-12-plugin-dev-aarch64-linux-gnu)"
mkdir -p "$OUT"
printf '#include <ffi.h>\nint main(void) { return ffi_prep_cif(0, FFI_DEFAULT_ABI, 0, 0, 0) == 42; }\n' >"$OUT/probe.c"
$CC "$OUT/probe.c" -o "$OUT/probe" -lffi 2>"$OUT/probe.log" ||
	skip "$CC cannot link libffi (libffi-dev:arm64, after dpkg --add-architecture arm64; scripts/install-deps.sh)"

B=$OUT/build-aarch64
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" --cross-file "$SRC/cross/aarch64-linux-gnu.ini" >"$OUT/setup.log" 2>&1 ||
		{ cat "$OUT/setup.log"; exit 1; }
fi
meson compile -C "$B" runtime/staticcall:shared_library >"$OUT/compile.log" 2>&1 ||
	meson compile -C "$B" >"$OUT/compile.log" 2>&1 || { cat "$OUT/compile.log"; exit 1; }

set -- --arch aarch64 --cc $CC --gcc-plugin "$PLUGIN" \
	--include "$SRC/include" --runtime-lib "$B/runtime" --out "$OUT/abi" \
	--run-wrapper "$QEMU" "$@"
CLANG=${STATICCALL_CLANG:-clang-19}
if [ -n "${STATICCALL_CLANG_PLUGIN:-}" ] && [ -f "$STATICCALL_CLANG_PLUGIN" ]; then
	if $CLANG --target=aarch64-linux-gnu "$OUT/probe.c" -o "$OUT/probe-clang" -lffi \
		2>"$OUT/probe-clang.log"; then
		set -- "$@" --clang "$CLANG --target=aarch64-linux-gnu" \
			"--clang-plugin-flags=-fplugin=$STATICCALL_CLANG_PLUGIN"
	else
		echo "note: $CLANG cannot link for aarch64-linux-gnu: GCC builds only"
	fi
fi
exec python3 "$SRC/tests/abi/run_abi.py" "$@"
