#!/usr/bin/env bash
# sanitizers.sh [asan|tsan|valgrind ...] - the runtime's unit tests in an
# ASan+UBSan build (a meson build directory with b_sanitize), the
# concurrency stress test (10 s) with runtime and test built with TSan, and the
# unit tests under valgrind memcheck with --smc-check=all (valgrind
# otherwise keeps running stale translations of patched code).
# Default: all three.
# Under `meson test` (SANITIZERS_FROM_MESON=1) the main build exists already
# and must not be rebuilt concurrently; scratch builds go to build-asan/ and
# build-tsan/ beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
build() { [ -n "${SANITIZERS_FROM_MESON:-}" ] || scripts/build.sh >/dev/null; }
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan valgrind)
unit() { # build dir, meson options...
	local dir=$1; shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
	meson compile -C "$dir" tests/runtime_unit >/dev/null
}
for k in "${kinds[@]}"; do
	case $k in
	asan)
		unit build-asan -Db_sanitize=address,undefined -Db_lundef=false
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			build-asan/tests/runtime_unit --jobs 2 2>&1 | grep -v '^staticcall:' | tail -3
		;;
	tsan)
		# Criterion cannot run under TSan (its arena wants a fixed
		# mapping TSan owns): the concurrency test is the stress program,
		# runtime and test compiled with -fsanitize=thread.
		build
		mkdir -p build-tsan
		gcc -O1 -g -fsanitize=thread -Iinclude -Iruntime -Itests/support \
			-fplugin=build/gcc-plugin/staticcall_gcc.so \
			tests/support/stress.c tests/support/livecode.c \
			tests/support/livecode_core.c \
			$(ls runtime/*.c runtime/*.S | grep -v aarch64) \
			-lZydis -lZycore -lpthread -ldl -o build-tsan/stress
		# 10 s or 100,000 updates, whichever comes first (the summary
		# says how many); a hang is reported with every thread's stack.
		TSAN_OPTIONS=halt_on_error=1 python3 tests/support/hangguard.py \
			120 build-tsan/stress 100000 10
		;;
	valgrind)
		build
		# Criterion forks a child per test: follow them. Each test
		# is named as it starts (--verbose): a hang shows where.
		# --fair-sched=yes: valgrind runs one thread at a time under
		# a lock that is a pipe by default, which a spinning thread
		# can take back at once, forever, on a busy machine: the
		# main thread of promote_hostile's sealing test, in
		# sched_yield(), never got it back from its callers (CI,
		# 2026-12-01: the whole run killed at 600 s).
		valgrind -q --smc-check=all --fair-sched=yes --error-exitcode=9 \
			--trace-children=yes build/tests/runtime_unit --jobs 1 --verbose 2>&1 |
			grep --line-buffered -v '^staticcall:'
		;;
	*) echo "unknown: $k" >&2; exit 2 ;;
	esac
	echo "sanitizers: $k ok"
done
