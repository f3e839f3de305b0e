#!/usr/bin/env bash
# Long ABI conformance sweep (tests/abi/README.md): thousands of random
# prototypes through static-call sites built with each plugin at -O0 and
# -O2, in all three site states, against libffi and the plugin-free build;
# then the arm64 sweep (AAPCS64 prototypes, aarch64-linux-gnu-gcc and
# clang --target=aarch64-linux-gnu with the plugins, run under
# qemu-aarch64, against libffi for arm64).
#
#   scripts/long-abi.sh [COUNT (default 3000)] [SEED (default: today's date)]
#
# ARM64_COUNT (default COUNT/3: qemu is slower) sets the arm64 sweep's
# prototypes, 0 skips it; it is skipped (with the reason) without the
# cross toolchain, qemu, the aarch64 plugin or libffi-dev:arm64.
# Needs a build (scripts/build.sh or scripts/test.sh) first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-3000}
seed=${2:-$(date +%Y%m%d)}
a64_count=${ARM64_COUNT:-$((count / 3))}
build=$root/build
clang_args=()
clang_plugin=
flags=$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --variable=clang_cflags staticcall 2>/dev/null || true)
if [ -n "$flags" ] && command -v clang-19 >/dev/null; then
	clang_args=(--clang clang-19 "--clang-plugin-flags=$flags" --clang-plain)
	# shellcheck disable=SC2086 # one flag per word
	clang_plugin=$(printf '%s\n' $flags | sed -n 's/^-fplugin=//p' | head -n 1)
fi
status=0
echo "== x86-64: $count prototypes, seed $seed"
python3 "$root/tests/abi/run_abi.py" --cc gcc \
	--gcc-plugin "$build/gcc-plugin/staticcall_gcc.so" "${clang_args[@]}" \
	--include "$root/include" --runtime-lib "$build/runtime" \
	--out "$build/tests/abi-long" --seed "$seed" --count "$count" \
	--chunk 100 -j "$(nproc)" || status=1

if [ "$a64_count" -gt 0 ]; then
	echo "== arm64 (qemu): $a64_count prototypes, seed $seed"
	rc=0
	STATICCALL_CLANG_PLUGIN=$clang_plugin STATICCALL_CLANG=clang-19 \
		"$root/tests/abi/run_abi_aarch64.sh" "$root" \
		"$build/gcc-plugin/staticcall_gcc_aarch64.so" \
		"$build/tests/abi-long-aarch64" --seed "$seed" \
		--count "$a64_count" --chunk 100 -j "$(nproc)" --clang-plain || rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 77 ] || status=1
fi
exit $status
