#!/bin/sh
# tests/arm64/run.sh - the arm64 suite, cross-built and run under qemu-user.
#
#   run.sh SRCDIR AARCH64_GCC_PLUGIN OUTDIR
#
# 1. a cross build of the runtime in OUTDIR/build-aarch64 through
#    cross/aarch64-linux-gnu.ini (its exe_wrapper is qemu-aarch64), and
#    `meson test --suite arm64` there: the backend unit test (injected
#    write/cache/sync steps) and the promotion unit test
#    (test_promote_aarch64.c);
# 2. the out-of-range test (tests/arm64/far_target.c), lazy binding
#    (tests/lifecycle/bind.sh) and a crc32cx fragment built with
#    -march=armv8-a+crc (tests/arm64/fragment_crc32.c), with each compiler;
# 3. the integration corpus and the stress test (run_corpus.py) built by
#    aarch64-linux-gnu-gcc with the aarch64 GCC plugin, -O0/-O2/-O3,
#    PIE / non-PIE / shared, run through qemu-aarch64, live code checked by
#    tests/arm64/livecode_aarch64.c (with tests/support/livecode_core.c);
#    then again at -O2 with -mbranch-protection=standard (BTI + PAC);
#    the C++ corpus (tests/corpus-cxx: C++ keys, exceptions through sites,
#    a mixed C/C++ program) built by aarch64-linux-gnu-g++ at -O0/-O2,
#    PIE / non-PIE / shared;
# 4. the same corpus (C at -O2, C++ at -O2) with clang
#    --target=aarch64-linux-gnu and the Clang plugin, when
#    STATICCALL_CLANG_PLUGIN names it (and clang can link for aarch64).
# Exits 77 (meson: skipped) with the reason when the cross toolchain, qemu
# or the plugin is missing. The stress test runs for ARM64_STRESS_SECONDS
# (default 20) or ARM64_STRESS_COUNT updates (default 3000), whichever
# comes first. Every program runs under run_corpus.py's hang guard,
# ARM64_RUN_GUARD seconds (default 300: the slowest corpus programs,
# fork_update's 40 forks and dlopen_cycles' 3,000 cycles, take 10-15 s
# under qemu on an idle machine); a hang is reported with the backtraces
# of qemu's threads.
set -eu
SRC=$1
PLUGIN=$2
OUT=$3
WHAT="arm64 suite"
. "$SRC/cross/need-aarch64.sh"
[ -n "$PLUGIN" ] && [ -f "$PLUGIN" ] || skip "no aarch64 GCC plugin (gcc-12-plugin-dev-aarch64-linux-gnu)"

mkdir -p "$OUT"
B=$OUT/build-aarch64
status=0

echo "== cross build of the runtime ($B)"
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" --cross-file "$SRC/cross/aarch64-linux-gnu.ini" >"$OUT/setup.log" 2>&1 ||
		{ cat "$OUT/setup.log"; exit 1; }
fi
meson compile -C "$B" >"$OUT/compile.log" 2>&1 || { cat "$OUT/compile.log"; exit 1; }

echo "== arm64 unit tests (meson test through the exe_wrapper)"
meson test -C "$B" --suite arm64 --print-errorlogs || status=1

echo "== out-of-range target"
F=$OUT/far_target
$CC -O2 -I "$SRC/include" -I "$SRC/tests/support" -fplugin="$PLUGIN" \
	"$SRC/tests/arm64/far_target.c" "$SRC/tests/arm64/livecode_aarch64.c" \
	"$SRC/tests/support/livecode_core.c" \
	-o "$F" -L "$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime" -ldl -lpthread
if $QEMU "$F"; then echo "PASS far_target"; else echo "FAIL far_target"; status=1; fi

# an arm64 fragment: `crc32cx w0, w0, x1` with -march=armv8-a+crc, its
# sites a bl to the function (tests/arm64/fragment_crc32.c)
crc32_fragment() { # NAME CC PLUGIN
	F=$OUT/fragment_crc32-$1
	if "$2" -O2 -march=armv8-a+crc -I "$SRC/include" -I "$SRC/tests/support" \
		-fplugin="$3" "$SRC/tests/arm64/fragment_crc32.c" \
		"$SRC/tests/arm64/livecode_aarch64.c" "$SRC/tests/support/livecode_core.c" \
		-o "$F" -L "$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime" -ldl -lpthread &&
		$QEMU "$F"; then
		echo "PASS crc32 fragment ($1)"
	else
		echo "FAIL crc32 fragment ($1)"; status=1
	fi
}
echo "== crc32 fragment (-march=armv8-a+crc, aarch64-linux-gnu-gcc)"
crc32_fragment gcc "$CC" "$PLUGIN"

# lazy binding: the binder's rules, its stress (4 s, qemu -singlestep as
# below) and STATICCALL_BIND=eager (tests/lifecycle/bind.sh)
bind() { # NAME CC PLUGIN
	if BIND_RUN="$QEMU" BIND_STRESS_RUN="$QEMU -singlestep" \
		BIND_STRESS_MIN_UPDATES=20 \
		bash "$SRC/tests/lifecycle/bind.sh" "$2" "-fplugin=$3" \
		"$SRC/include" "$B/runtime/libstaticcall.a" "$OUT/bind-$1"; then
		echo "PASS lazy binding ($1)"
	else
		echo "FAIL lazy binding ($1)"; status=1
	fi
}
echo "== lazy binding (aarch64-linux-gnu-gcc)"
bind gcc "$CC" "$PLUGIN"

corpus() {
	python3 "$SRC/tests/corpus/run_corpus.py" \
		--include "$SRC/include" --runtime-lib "$B/runtime" \
		--support "$SRC/tests/support" \
		--livecode "$SRC/tests/arm64/livecode_aarch64.c" --checker-libs "" \
		--run-wrapper "$QEMU" -j 2 --run-timeout "${ARM64_RUN_GUARD:-300}" \
		--filter '^(?!(ibt|retpoline) )' "$@"
}
# ibt and retpoline are x86-64 hardening tests (their flags do not exist
# for aarch64); the BTI/PAC run below is their arm64 counterpart.
echo "== corpus (aarch64-linux-gnu-gcc, qemu)"
corpus --cc $CC --plugin "$PLUGIN" --out "$OUT/corpus-gcc" --stress-count 0 ||
	status=1
# The stress test under qemu's one-instruction translation blocks: qemu
# does not resynchronise a thread inside a translated block when code
# changes (membarrier SYNC_CORE reaches the host CPU, not qemu's blocks),
# so with longer blocks a descheduled thread may run code several updates
# old, which real cores cannot after SYNC_CORE (docs/PATCHING.md).
echo "== stress (qemu -singlestep)"
corpus --cc $CC --plugin "$PLUGIN" --out "$OUT/corpus-gcc" \
	--run-wrapper "$QEMU -singlestep" --filter '^stress ' \
	--stress-count "${ARM64_STRESS_COUNT:-3000}" \
	--stress-seconds "${ARM64_STRESS_SECONDS:-20}" || status=1
echo "== corpus with -mbranch-protection=standard (BTI + PAC), -O2 PIE"
corpus --cc $CC --plugin "$PLUGIN" --out "$OUT/corpus-gcc-bti" --opts=-O2 --modes=pie \
	--cflags=-mbranch-protection=standard --stress-count 0 || status=1
# C++ (25-35 s under qemu at load 11): the GCC plugin in cc1plus
echo "== C++ corpus (aarch64-linux-gnu-g++, qemu)"
if command -v $CXX >/dev/null 2>&1; then
	corpus --cc $CC --cxx $CXX --plugin "$PLUGIN" --out "$OUT/corpus-cxx-gcc" \
		--corpus "$SRC/tests/corpus-cxx" --opts=-O0,-O2 --stress-count 0 ||
		status=1
else
	echo "FAIL C++ corpus: $CXX not installed (g++-aarch64-linux-gnu)"
	status=1
fi

CLANG=${STATICCALL_CLANG:-clang-19}
if [ -n "${STATICCALL_CLANG_PLUGIN:-}" ] && [ -f "$STATICCALL_CLANG_PLUGIN" ]; then
	echo "== corpus (clang --target=aarch64-linux-gnu, qemu)"
	# a compiler name that carries the target into every compile and link
	mkdir -p "$OUT"
	printf '#!/bin/sh\nexec %s --target=aarch64-linux-gnu "$@"\n' "$CLANG" \
		>"$OUT/aarch64-clang"
	# and its C++ driver (clang-19 -> clang++-19, /x/clang -> /x/clang++)
	case $CLANG in */*) CLANGXX=${CLANG%/*}/ ;; *) CLANGXX= ;; esac
	CLANGXX=$CLANGXX$(echo "${CLANG##*/}" | sed 's/^clang/clang++/')
	printf '#!/bin/sh\nexec %s --target=aarch64-linux-gnu "$@"\n' "$CLANGXX" \
		>"$OUT/aarch64-clang++"
	chmod +x "$OUT/aarch64-clang" "$OUT/aarch64-clang++"
	echo "== lazy binding (clang --target=aarch64-linux-gnu)"
	bind clang "$OUT/aarch64-clang" "$STATICCALL_CLANG_PLUGIN"
	echo "== crc32 fragment (-march=armv8-a+crc, clang --target=aarch64-linux-gnu)"
	crc32_fragment clang "$OUT/aarch64-clang" "$STATICCALL_CLANG_PLUGIN"
	# -O2 only in the CI tier (the GCC corpus above runs every level
	# under qemu, the x86-64 Clang corpus every level natively): under
	# qemu this part was a third of the test command's time.
	# ARM64_CLANG_OPTS=-O0,-O2,-O3 runs them all.
	corpus --cc "$OUT/aarch64-clang" --plugin "$STATICCALL_CLANG_PLUGIN" \
		--out "$OUT/corpus-clang" --opts="${ARM64_CLANG_OPTS:--O2}" \
		--stress-count 0 || status=1
	echo "== C++ corpus (clang++ --target=aarch64-linux-gnu, qemu)"
	corpus --cc "$OUT/aarch64-clang" --cxx "$OUT/aarch64-clang++" \
		--plugin "$STATICCALL_CLANG_PLUGIN" --corpus "$SRC/tests/corpus-cxx" \
		--out "$OUT/corpus-cxx-clang" --opts="${ARM64_CLANG_OPTS:--O2}" \
		--stress-count 0 || status=1
fi
exit $status
