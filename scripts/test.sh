#!/usr/bin/env bash
# The whole test suite (the CI tier): installs what is missing, builds,
# runs every meson test. Long stress/fuzz/ABI sweeps live in scripts/long-*.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
rc=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || rc=$?
# One closing line in the plain form any reader understands.
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"tests: {ok} passed, {bad} failed, {skip} skipped")
PY
exit $rc
