#!/usr/bin/env bash
# Build the libFuzzer target fuzz_table with clang (ASan + UBSan) and run it
# from the seed corpus for SECONDS seconds.
#
#   tests/fuzz/run_fuzz.sh SRCROOT OUTDIR SECONDS [extra libFuzzer args]
#
# Exit 77 (meson: skipped) when clang cannot link -fsanitize=fuzzer (on
# Debian: install libclang-rt-19-dev). New inputs found go to
# OUTDIR/corpus (the seed corpus in the tree is never modified); a crash
# leaves OUTDIR/crash-* (replay it: OUTDIR/fuzz_table OUTDIR/crash-...).
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

# The runtime's x86-64 sources, less the registry, the API, the dynamic
# symbol lookup and the log (fuzz_table.c replaces the log with quiet
# switches it controls per input).
sources=()
for f in "$src"/runtime/*.c; do
	case $(basename "$f") in
	api.c | registry.c | dynsym.c | log.c | *aarch64*) ;;
	*) sources+=("$f") ;;
	esac
done

"$clang" -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/include" -I"$src/runtime" \
	"$src/tests/fuzz/fuzz_table.c" "${sources[@]}" \
	-Wl,--no-as-needed -lZydis -lZycore -Wl,--as-needed -lpthread \
	-o "$out/fuzz_table"

mkdir -p "$out/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$out"
echo "fuzz_table: running for ${secs}s from $src/tests/fuzz/corpus" >&2
"$out/fuzz_table" -max_total_time="$secs" -print_final_stats=1 \
	-artifact_prefix="$out/" -max_len=16384 -error_exitcode=1 \
	-timeout_exitcode=1 "$@" \
	"$out/corpus" "$src/tests/fuzz/corpus"
