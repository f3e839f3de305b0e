#!/usr/bin/env bash
# run-all.sh [--no-libxml2] [--quick] - regenerate every benchmark figure:
# call cost (1 site; 2048 sites over 256 keys), update/load/memory cost,
# store routing, start-up with 100,000 sites,
# libxml2 (build time with and without the plugins, test suite, parse time,
# sites), SQLite speedtest1 with struct-field keys (with libxml2). Prints the figures and writes benchmarks/results/latest.md and
# latest.png. About 15 minutes on 2 cores, mostly building libxml2 four
# (six with Clang) ways; --no-libxml2 (or NO_LIBXML2=1) skips that part,
# --quick runs fewer rounds. STATICCALL_BUILD picks a build directory other
# than build/ (which scripts/build.sh creates and updates).
set -euo pipefail
cd "$(dirname "$0")/.."
libxml2=${NO_LIBXML2:+no}; libxml2=${libxml2:-yes}
rounds=11 calls=20000000 uprounds=11 xruns=5
for a in "$@"; do
	case $a in
	--no-libxml2) libxml2=no ;;
	--quick) rounds=5 calls=5000000 uprounds=5 xruns=3 ;;
	*) echo "usage: $0 [--no-libxml2] [--quick]" >&2; exit 2 ;;
	esac
done
if [ -z "${STATICCALL_BUILD:-}" ]; then
	scripts/build.sh > /dev/null
fi
# The plot needs matplotlib: Debian's, for Debian's python3 (the python3
# first in PATH may be another one).
py=python3
if ! python3 -c 'import matplotlib' 2>/dev/null; then
	if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
		sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get install -y -qq python3-matplotlib > /dev/null || echo "run-all: no matplotlib, no plot" >&2
	fi
	/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && py=/usr/bin/python3
fi
res=build/bench/results
mkdir -p "$res"
rm -f "$res"/*.txt

echo "=== call cost, 1 site"
benchmarks/call_cost.sh 1 1 "$calls" "$rounds" | tee "$res/call_1_1.txt"
echo "=== call cost, 2048 sites over 256 keys"
benchmarks/call_cost.sh 2048 256 "$calls" "$rounds" | tee "$res/call_2048_256.txt"
echo "=== promotion of indirect calls (issue 16)"
benchmarks/promote_cost.sh "$calls" "$rounds" | tee "$res/promote_cost.txt"
benchmarks/promote_layout.sh "$calls" "$rounds" | tee "$res/promote_layout.txt"
benchmarks/promote_dispatch.sh "$calls" "$rounds" | tee "$res/promote_dispatch.txt"
echo "=== update, load and memory cost"
benchmarks/update_cost.sh "$uprounds" | grep -v '^csv,'
echo "=== store routing cost (struct-field keys)"
benchmarks/store_cost.sh "$uprounds" | grep -v '^csv,'
echo "=== static keys: per check, per toggle"
benchmarks/static_keys.sh | tee "$res/static_keys.txt"
echo "=== start-up, 100,000 sites over 1,000 keys"
benchmarks/startup_cost.sh "$uprounds" | grep -v '^csv,'
if [ "$libxml2" = yes ]; then
	echo "=== libxml2"
	benchmarks/libxml2.sh "$xruns"
	echo "=== SQLite speedtest1, config methods marked (struct-field keys)"
	benchmarks/sqlite.sh "$xruns"
else
	rm -f build/bench/libxml2/{build,parse,check}.csv build/bench/libxml2/sites.csv
fi
echo "=== report"
$py benchmarks/report.py build/bench benchmarks/results
