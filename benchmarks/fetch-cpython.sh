#!/usr/bin/env bash
# fetch-cpython.sh DIR - unpack Debian's python3.11 source package into DIR
# (e.g. build/bench/cpython/src) with `apt-get source`, which checks the
# package's signature and checksums; Debian's patches are applied by
# dpkg-source. Adds deb-src entries where needed (benchmarks/deb-src.sh).
# Never committed.
set -euo pipefail
dir=${1:?usage: fetch-cpython.sh DIR}
if [ -f "$dir/configure" ] && [ -f "$dir/Include/Python.h" ]; then exit 0; fi
. "$(dirname "$0")/deb-src.sh"

work=$(dirname "$dir")
mkdir -p "$work/apt-source"
# The newest version first; an index may name a version the mirror no
# longer has (a security update replaced it), so older ones are tried too.
if ! find "$work/apt-source" -maxdepth 1 -type d -name 'python3.11-*' | grep -q .; then
	for ver in $(apt-cache showsrc python3.11 | sed -n 's/^Version: //p' | sort -rV); do
		( cd "$work/apt-source" && apt-get source -qq "python3.11=$ver" >/dev/null 2>&1 ) && break
		echo "fetch-cpython: python3.11=$ver not fetched, trying the next" >&2
	done
fi
src=$(find "$work/apt-source" -maxdepth 1 -mindepth 1 -type d -name 'python3.11-*' | head -1)
[ -n "$src" ] || { echo "fetch-cpython: apt-get source produced no tree" >&2; exit 1; }
rm -rf "$dir"
cp -a "$src" "$dir"
echo "fetch-cpython: $(basename "$src") in $dir" >&2
