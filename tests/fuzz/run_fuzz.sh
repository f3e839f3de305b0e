#!/usr/bin/env bash
# Build the libFuzzer target fuzz_table with clang (ASan + UBSan) and run it
# from the seed corpus for SECONDS seconds.
#
#   tests/fuzz/run_fuzz.sh SRCROOT OUTDIR SECONDS [extra libFuzzer args]
#
# FUZZ_ARCH=aarch64 in the environment builds the arm64 backend instead
# (arch_aarch64.c, anchor_aarch64.c, compiled for this host with
# -DFZ_AARCH64) and fuzzes from the arm64 seed corpus (corpus-aarch64).
# Exit 77 (meson: skipped) when clang cannot link -fsanitize=fuzzer (on
# Debian: install libclang-rt-19-dev). New inputs found go to
# OUTDIR/corpus (the seed corpus in the tree is never modified); a crash
# leaves OUTDIR/crash-* (replay it: OUTDIR/fuzz_table OUTDIR/crash-...).
# The run is bounded by time (-max_total_time); hangs are caught twice: one
# input that runs longer than FUZZ_INPUT_TIMEOUT seconds (default 20) is a
# libFuzzer timeout (its stack printed, the input kept as OUTDIR/timeout-*),
# and a fuzzer still running 6 x SECONDS + 60 s after its start is a HANG,
# reported with the backtrace of each thread (tests/support/hangguard.py).
set -euo pipefail

src=$(cd "$1" && pwd)
out=$2
secs=$3
shift 3
mkdir -p "$out"
out=$(cd "$out" && pwd)

clang=${CLANG:-}
if [ -z "$clang" ]; then
	for c in clang-19 clang; do
		if command -v "$c" >/dev/null 2>&1; then clang=$c; break; fi
	done
fi
if [ -z "$clang" ]; then
	echo "SKIP: no clang found: the libFuzzer run needs clang" >&2
	exit 77
fi

probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe"
if ! "$clang" -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe" 2>"$out/probe.log"; then
	echo "SKIP: $clang cannot link -fsanitize=fuzzer,address,undefined" \
	     "(libFuzzer/sanitizer runtimes missing: on Debian install libclang-rt-19-dev):" >&2
	tail -n 3 "$out/probe.log" >&2
	exit 77
fi

# The runtime's sources for one backend, less the log and the switches
# (fuzz_table.c replaces the log with quiet switches it controls per
# input); the registry's sc_object_load and sc_patch_key are wrapped.
arch=${FUZZ_ARCH:-x86_64}
case $arch in
x86_64)
	other='*aarch64*'
	corpus=corpus
	# its assembly too (promote_x86_64.c names the kernel self-test's
	# sequence); the arm64 backend's is not for this host
	extra=("$src"/runtime/*_x86_64.S
		"-Wl,--no-as-needed" -lZydis -lZycore "-Wl,--as-needed") ;;
aarch64)
	other='*x86_64*'
	corpus="corpus-aarch64"
	extra=(-DFZ_AARCH64) ;;
*) echo "run_fuzz.sh: FUZZ_ARCH=$arch: x86_64 or aarch64" >&2; exit 2 ;;
esac
sources=()
for f in "$src"/runtime/*.c; do
	b=$(basename "$f")
	# shellcheck disable=SC2254
	case $b in
	log.c | env.c | $other) ;;
	*) sources+=("$f") ;;
	esac
done

"$clang" -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/include" -I"$src/runtime" \
	"$src/tests/fuzz/fuzz_table.c" "${sources[@]}" "${extra[@]}" \
	-Wl,--wrap=sc_object_load,--wrap=sc_patch_key,--wrap=sc_patch_keys,--wrap=sc_patch_object -lpthread -ldl \
	-o "$out/fuzz_table"

mkdir -p "$out/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$out"
echo "fuzz_table ($arch backend): running for ${secs}s from $src/tests/fuzz/$corpus" >&2
python3 "$src/tests/support/hangguard.py" $((6 * secs + 60)) \
	"$out/fuzz_table" -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$out/" -max_len=16384 -error_exitcode=1 \
	-timeout="${FUZZ_INPUT_TIMEOUT:-20}" -timeout_exitcode=1 "$@" \
	"$out/corpus" "$src/tests/fuzz/$corpus"
