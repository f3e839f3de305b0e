#!/usr/bin/env bash
# Install the Debian packages staticcall needs to build and test, if any is
# missing. Runs apt-get (as root, or through sudo) only when something is.
set -euo pipefail

packages=(
	gcc g++ gcc-12-plugin-dev binutils make
	meson ninja-build pkg-config python3
	libcriterion-dev libzydis-dev
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
