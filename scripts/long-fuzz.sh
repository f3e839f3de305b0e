#!/usr/bin/env bash
# Long libFuzzer runs of the site-table fuzzer (tests/fuzz/README.md), for
# the x86-64 backend and for the arm64 backend (built for this host).
#
#   scripts/long-fuzz.sh [SECONDS (default 3600)] [JOBS (default: nproc)] [ARCH]
#
# ARCH: x86_64, aarch64, or both (default: SECONDS/2 each). Builds with
# clang (ASan + UBSan) under build/tests/fuzz-long (x86-64) and
# build/tests/fuzz-long-aarch64; new inputs accumulate in their corpus/
# (reused by later runs), a crash leaves crash-* there. The arm64 corpus
# is then replayed by an aarch64 build of the harness under qemu-aarch64
# (when the cross toolchain is installed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3600}
jobs=${2:-$(nproc)}
arch=${3:-both}
case $arch in
both) archs=(x86_64 aarch64); secs=$((secs / 2)) ;;
x86_64 | aarch64) archs=("$arch") ;;
*) echo "long-fuzz.sh: ARCH is x86_64, aarch64 or both" >&2; exit 2 ;;
esac
status=0
for a in "${archs[@]}"; do
	out=$root/build/tests/fuzz-long
	[ "$a" = x86_64 ] || out=$out-$a
	echo "== $a backend: ${secs}s, $jobs jobs, in $out"
	# (run_fuzz.sh names $out/corpus first: libFuzzer writes new inputs
	# there; the seed corpus in the tree is read, never written)
	FUZZ_ARCH=$a "$root/tests/fuzz/run_fuzz.sh" "$root" "$out" "$secs" \
		-jobs="$jobs" -workers="$jobs" || status=1
	if [ "$a" = aarch64 ]; then
		echo "== the arm64 corpus, replayed natively under qemu-aarch64"
		rc=0
		"$root/tests/fuzz/replay_aarch64.sh" "$root" "$out/qemu" "$out/corpus" \
			"$root/tests/fuzz/corpus-aarch64" || rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 77 ] || status=1
	fi
done
exit $status
