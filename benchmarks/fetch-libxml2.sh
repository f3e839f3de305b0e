#!/usr/bin/env bash
# fetch-libxml2.sh DIR - unpack Debian's libxml2 source package into DIR
# (e.g. build/bench/libxml2/src) with `apt-get source`. Adds deb-src entries
# mirroring the system's deb entries when none exist. Never committed.
set -euo pipefail
dir=${1:?usage: fetch-libxml2.sh DIR}
if [ -f "$dir/configure.ac" ]; then exit 0; fi
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo

have_src() {
	grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! have_src; then
	echo "fetch-libxml2: adding deb-src entries mirroring the deb ones" >&2
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
( cd "$work/apt-source" && apt-get source -qq libxml2 >/dev/null 2>&1 || apt-get source libxml2 )
src=$(find "$work/apt-source" -maxdepth 1 -mindepth 1 -type d -name 'libxml2-*' | head -1)
[ -n "$src" ] || { echo "fetch-libxml2: apt-get source produced no tree" >&2; exit 1; }
rm -rf "$dir"
cp -a "$src" "$dir"
echo "fetch-libxml2: $(basename "$src") in $dir" >&2
