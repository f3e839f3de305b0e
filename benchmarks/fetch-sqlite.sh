#!/usr/bin/env bash
# fetch-sqlite.sh DIR - unpack Debian's sqlite3 source package (3.40.1) into
# DIR (e.g. build/bench/sqlite/src) with `apt-get source`, which checks the
# package's signature and checksums; the upstream tarball's SHA-256 is
# checked here too. Adds deb-src entries where needed (benchmarks/deb-src.sh).
# Never committed.
set -euo pipefail
dir=${1:?usage: fetch-sqlite.sh DIR}
orig_sha256=${SQLITE_ORIG_SHA256:-aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655}
if [ -f "$dir/test/speedtest1.c" ]; then exit 0; fi
. "$(dirname "$0")/deb-src.sh"

work=$(dirname "$dir")
mkdir -p "$work/apt-source"
( cd "$work/apt-source" && { apt-get source -qq sqlite3 >/dev/null 2>&1 || apt-get source sqlite3; } )
orig=$(find "$work/apt-source" -maxdepth 1 -name 'sqlite3_*.orig.tar.*' | head -1)
[ -n "$orig" ] || { echo "fetch-sqlite: no upstream tarball" >&2; exit 1; }
got=$(sha256sum "$orig" | cut -d' ' -f1)
if [ "$got" != "$orig_sha256" ]; then
	echo "fetch-sqlite: $orig: sha256 $got, expected $orig_sha256" >&2
	exit 1
fi
src=$(find "$work/apt-source" -maxdepth 1 -mindepth 1 -type d -name 'sqlite3-*' | head -1)
[ -n "$src" ] || { echo "fetch-sqlite: apt-get source produced no tree" >&2; exit 1; }
rm -rf "$dir"
cp -a "$src" "$dir"
echo "fetch-sqlite: $(basename "$src") in $dir" >&2
