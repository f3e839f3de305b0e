#!/usr/bin/env bash
# Long libFuzzer run of the site-table fuzzer (tests/fuzz/README.md).
#
#   scripts/long-fuzz.sh [SECONDS (default 3600)] [JOBS (default: nproc)]
#
# Builds with clang (ASan + UBSan) under build/tests/fuzz-long; new inputs
# accumulate in build/tests/fuzz-long/corpus (reused by later runs), a
# crash leaves build/tests/fuzz-long/crash-*. FZ_STRICT=1 in the
# environment also fails on the known gap (overlapping verified code).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3600}
jobs=${2:-$(nproc)}
out=$root/build/tests/fuzz-long
python3 "$root/tests/fuzz/gen_corpus.py" "$out/seeds" >/dev/null
exec "$root/tests/fuzz/run_fuzz.sh" "$root" "$out" "$secs" \
	-jobs="$jobs" -workers="$jobs" "$out/seeds"
