# cross/need-aarch64.sh - sourced by the arm64 test scripts, with SRC (the
# source tree) and WHAT (what would be skipped) set: defines CC, CXX, SYSROOT,
# QEMU (cross/qemu-aarch64) and skip(), and exits 77 (meson: skipped),
# naming the missing package, without the cross toolchain, its libc or qemu.
CC=aarch64-linux-gnu-gcc
CXX=aarch64-linux-gnu-g++
SYSROOT=/usr/aarch64-linux-gnu
QEMU="$SRC/cross/qemu-aarch64"
skip() { echo "$WHAT skipped: $*"; exit 77; }
command -v $CC >/dev/null 2>&1 || skip "$CC not installed (gcc-aarch64-linux-gnu)"
command -v qemu-aarch64 >/dev/null 2>&1 || skip "qemu-aarch64 not installed (qemu-user)"
[ -d $SYSROOT/lib ] || skip "no aarch64 libc in $SYSROOT (libc6-dev-arm64-cross)"
