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
	# Clang plugin: built against every LLVM/Clang Debian 12 ships (19, 16,
	# 15, 14; meson option clang_versions)
	clang-19 llvm-19-dev libclang-19-dev
	# Clang -flto: the link loads the plugin's pass (--load-pass-plugin)
	lld-19
	clang-16 llvm-16-dev libclang-16-dev
	clang-15 llvm-15-dev libclang-15-dev
	clang-14 llvm-14-dev libclang-14-dev
	# arm64: cross compilers (and the GCC plugin headers for them), qemu-user
	gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-12-plugin-dev-aarch64-linux-gnu qemu-user
	# arm64 ABI sweep (tests/abi): libffi for arm64, from Debian's arm64
	# architecture (multiarch: enabled below when needed)
	libffi-dev:arm64
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
# Packages of a foreign architecture (name:arm64) need it enabled first.
for p in "${missing[@]}"; do
	case $p in
	*:*)
		a=${p##*:}
		if [ "$a" != "$(dpkg --print-architecture)" ] &&
			! dpkg --print-foreign-architectures | grep -qx "$a"; then
			$sudo dpkg --add-architecture "$a"
		fi ;;
	esac
done
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
