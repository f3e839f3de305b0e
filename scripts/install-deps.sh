#!/usr/bin/env bash
# Install the Debian packages staticcall needs to build and test, if any is
# missing. Runs apt-get (as root, or through sudo) only when something is.
set -euo pipefail

packages=(
	gcc g++ gcc-12-plugin-dev binutils make
	meson ninja-build pkg-config python3
	libcriterion-dev libzydis-dev libffi-dev valgrind gdb
	# examples/cmake (the examples test skips it without cmake)
	cmake
	# libFuzzer and the sanitizer runtimes for clang-19 (tests/fuzz)
	libclang-rt-19-dev
	# Clang plugin: built against LLVM/Clang 19 and the oldest supported, 14
	clang-19 llvm-19-dev libclang-19-dev
	clang-14 llvm-14-dev libclang-14-dev
	# arm64: cross compilers (and the GCC plugin headers for them), qemu-user
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-12-plugin-dev-aarch64-linux-gnu qemu-user
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
