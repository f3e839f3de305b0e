#!/usr/bin/env bash
# The long stress tier: tests/support/stress.c with 1,000,000 updates (the
# CI tier runs 100,000 inside the corpus), built with the GCC plugin at -O2,
# PIE and non-PIE, then once more under valgrind --smc-check=all with the
# 10,000-cycle dlopen test. Usage: scripts/long-stress.sh [UPDATES]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
n=${1:-1000000}
python3 tests/corpus/run_corpus.py --cc gcc \
	--plugin build/gcc-plugin/staticcall_gcc.so --include include \
	--runtime-lib build/runtime --support tests/support \
	--out build/long-stress --filter 'stress|dlopen_cycles' --stress-count "$n"
exe=$(ls build/long-stress/dlopen_cycles/O2-pie-sc/dlopen_cycles)
LD_LIBRARY_PATH=build/runtime valgrind --smc-check=all -q --error-exitcode=9 \
	--leak-check=full --errors-for-leak-kinds=definite \
	"$exe" "$(dirname "$exe")"
echo "long-stress: ok"
