#!/usr/bin/env bash
# The long stress tier: tests/support/stress.c with 1,000,000 updates (the
# CI tier runs it for 8 s inside the corpus), built with the GCC plugin at
# -O2, PIE and non-PIE, then the 10,000-cycle dlopen test under valgrind
# --smc-check=all.
#
#   scripts/long-stress.sh [UPDATES (default 1000000)] [SECONDS (default 0)]
#
# SECONDS > 0 stops each stress run after that long if UPDATES have not
# come first. A program still running after STRESS_GUARD seconds (default
# 7200; a stress run with SECONDS: 6 x SECONDS + 60) is reported as a hang,
# with the backtrace of each thread.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
n=${1:-1000000}
secs=${2:-0}
guard=${STRESS_GUARD:-7200}
python3 tests/corpus/run_corpus.py --cc gcc \
	--plugin build/gcc-plugin/staticcall_gcc.so --include include \
	--runtime-lib build/runtime --support tests/support \
	--out build/long-stress --filter 'stress|dlopen_cycles' \
	--stress-count "$n" --stress-seconds "$secs" --run-timeout "$guard"
exe=$(ls build/long-stress/dlopen_cycles/O2-pie-sc/dlopen_cycles)
LD_LIBRARY_PATH=build/runtime python3 tests/support/hangguard.py "$guard" \
	valgrind --smc-check=all -q --error-exitcode=9 \
	--leak-check=full --errors-for-leak-kinds=definite \
	"$exe" "$(dirname "$exe")"
echo "long-stress: ok"
