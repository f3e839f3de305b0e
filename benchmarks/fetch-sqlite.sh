#!/usr/bin/env bash
# fetch-sqlite.sh DIR - unpack Debian's sqlite3 source package (3.40.1) into
# DIR (e.g. build/bench/sqlite/src) with `apt-get source`, which checks the
# package's signature and checksums; the upstream tarball's SHA-256 is
# checked here too. Adds deb-src entries mirroring the system's deb entries
# when none exist. Never committed.
set -euo pipefail
dir=${1:?usage: fetch-sqlite.sh DIR}
orig_sha256=${SQLITE_ORIG_SHA256:-aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655}
if [ -f "$dir/test/speedtest1.c" ]; then exit 0; fi
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo

have_src() {
	grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! have_src; then
	echo "fetch-sqlite: adding deb-src entries mirroring the deb ones" >&2
	tmp=$(mktemp)
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && sed -n 's/^deb \(.*\)/deb-src \1/p' "$f" >> "$tmp.list" || true
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && { sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f"; echo; } >> "$tmp.sources" || true
	done
	[ -s "$tmp.list" ] && $sudo install -m 644 "$tmp.list" /etc/apt/sources.list.d/staticcall-bench-src.list
	[ -s "$tmp.sources" ] && $sudo install -m 644 "$tmp.sources" /etc/apt/sources.list.d/staticcall-bench-src.sources
	rm -f "$tmp" "$tmp.list" "$tmp.sources"
	$sudo apt-get update -qq
fi
command -v dpkg-source >/dev/null || $sudo apt-get install -y -qq dpkg-dev >/dev/null

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
