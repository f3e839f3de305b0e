#!/bin/sh
# tests/fuzz/replay_aarch64.sh - the arm64 seed corpus, replayed natively:
# fuzz_table.c and the runtime's arm64 sources cross-built by
# aarch64-linux-gnu-gcc (-DFZ_REPLAY_MAIN: no libFuzzer, which has no
# aarch64 runtime here) and run under qemu-aarch64. The libFuzzer run
# fuzzes the same backend compiled for the host (run_fuzz.sh with
# FUZZ_ARCH=aarch64); this replay checks that the corpus behaves the same
# with the real arm64 compiler, atomics and __aarch64__ paths.
#
#   replay_aarch64.sh SRCROOT OUTDIR [INPUT...]   (default: corpus-aarch64)
#
# Exits 77 (meson: skipped) with the reason when the cross compiler or
# qemu-aarch64 is missing.
set -eu
SRC=$1
OUT=$2
shift 2
WHAT="aarch64 fuzz replay"
. "$SRC/cross/need-aarch64.sh"

mkdir -p "$OUT"
R=$SRC/runtime
# The runtime less log.c and env.c (replaced by the harness), arm64 backend.
sources=
for f in "$R"/*.c; do
	case $(basename "$f") in
	log.c | env.c | *x86_64*) ;;
	*) sources="$sources $f" ;;
	esac
done
# shellcheck disable=SC2086
$CC -O1 -g -Wall -Wno-missing-field-initializers -DFZ_REPLAY_MAIN -DFZ_AARCH64 \
	-I"$SRC/include" -I"$R" "$SRC/tests/fuzz/fuzz_table.c" $sources \
	-Wl,--wrap=sc_object_load,--wrap=sc_patch_key,--wrap=sc_patch_keys,--wrap=sc_patch_object -lpthread -ldl \
	-o "$OUT/fuzz_table_replay_aarch64"
[ $# -gt 0 ] || set -- "$SRC/tests/fuzz/corpus-aarch64"
exec "$QEMU" "$OUT/fuzz_table_replay_aarch64" "$@"
