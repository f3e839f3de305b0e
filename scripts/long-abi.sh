#!/usr/bin/env bash
# Long ABI conformance sweep (tests/abi/README.md): thousands of random
# prototypes through static-call sites built with each plugin at -O0 and
# -O2, in all three site states, against libffi and the plugin-free build.
#
#   scripts/long-abi.sh [COUNT (default 3000)] [SEED (default: today's date)]
#
# Needs a build (scripts/build.sh or scripts/test.sh) first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-3000}
seed=${2:-$(date +%Y%m%d)}
build=$root/build
clang_args=()
flags=$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --variable=clang_cflags staticcall 2>/dev/null || true)
if [ -n "$flags" ] && command -v clang-19 >/dev/null; then
	clang_args=(--clang clang-19 "--clang-plugin-flags=$flags" --clang-plain)
fi
exec python3 "$root/tests/abi/run_abi.py" --cc gcc \
	--gcc-plugin "$build/gcc-plugin/staticcall_gcc.so" "${clang_args[@]}" \
	--include "$root/include" --runtime-lib "$build/runtime" \
	--out "$build/tests/abi-long" --seed "$seed" --count "$count" \
	--chunk 100 -j "$(nproc)"
