#!/usr/bin/env bash
# fetch-libxml2.sh DIR - unpack Debian's libxml2 source package into DIR
# (e.g. build/bench/libxml2/src) with `apt-get source`. Adds deb-src entries
# where needed (benchmarks/deb-src.sh). Never committed.
set -euo pipefail
dir=${1:?usage: fetch-libxml2.sh DIR}
if [ -f "$dir/configure.ac" ]; then exit 0; fi
. "$(dirname "$0")/deb-src.sh"

work=$(dirname "$dir")
mkdir -p "$work/apt-source"
( cd "$work/apt-source" && apt-get source -qq libxml2 >/dev/null 2>&1 || apt-get source libxml2 )
src=$(find "$work/apt-source" -maxdepth 1 -mindepth 1 -type d -name 'libxml2-*' | head -1)
[ -n "$src" ] || { echo "fetch-libxml2: apt-get source produced no tree" >&2; exit 1; }
rm -rf "$dir"
cp -a "$src" "$dir"
echo "fetch-libxml2: $(basename "$src") in $dir" >&2
