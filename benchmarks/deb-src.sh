#!/usr/bin/env bash
# deb-src.sh - sourced by the fetch-*.sh scripts: make `apt-get source`
# work. Adds deb-src entries mirroring the system's deb entries when none
# exist, and installs dpkg-dev when dpkg-source is missing.
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo

have_src() {
	grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}
if ! have_src; then
	echo "deb-src: adding deb-src entries mirroring the deb ones" >&2
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
