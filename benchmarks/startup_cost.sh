#!/usr/bin/env bash
# startup_cost.sh [ROUNDS [SITES KEYS]] - start-up cost of one executable
# with many keys (default 100,000 sites over 1,000 keys, gen_startup.py):
# built with the GCC plugin (lazy binding, the default, and
# STATICCALL_BIND=eager), without it, and run with STATICCALL_DISABLE=1
# (and with the Clang plugin when it is built; NO_CLANG=1 skips it). Side by
# side: time to main and process wall time (median of ROUNDS, order rotated
# each round), VmRSS/VmHWM at main, mappings of the executable (all, r-x),
# and the mprotect/membarrier calls of one start (strace -c -f); "every
# site run" variants then call every site once (STARTUP_RUN_ALL=1) and
# report the time from the spawn to the last call. Needs a
# built tree (scripts/build.sh); STATICCALL_BUILD picks another one.
# Writes build/bench/startup/startup.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-11} sites=${2:-100000} keys=${3:-1000}
out=$(bench_dir "startup/s${sites}_k${keys}")
python3 benchmarks/gen_startup.py "$out" "$sites" "$keys"
gcc_plugin=$(pc gcc_cflags 2>/dev/null || true)
clang_plugin=$(pc clang_cflags 2>/dev/null || true)
cc=${CC:-gcc} clang=${CLANG:-clang-19}
cflags=(-O1 -Iinclude -I"$out")
rt=(-L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime")

build() { # name, compiler, link libs (one word, may be empty), flags...
	local name=$1 c=$2 libs=$3; shift 3
	local t0 t1
	t0=$(date +%s.%N)
	sed "s|^|$out/|" "$out/units.list" | xargs -P"$(nproc)" -I{} \
		$c "${cflags[@]}" "$@" -c {} -o {}.$name.o
	# shellcheck disable=SC2086
	$c -o "$out/prog_$name" $(sed "s|^\(.*\)$|$out/\1.$name.o|" "$out/units.list") $libs
	t1=$(date +%s.%N)
	echo "build $name: $(echo "$t1 - $t0" | bc) s" >&2
}
libs="${rt[*]}"
build gcc_plugin "$cc" "$libs" $gcc_plugin
build gcc_plain "$cc" ""
# Lazy binding is the default (issue 17): "gcc plugin" binds no site at
# start-up; STATICCALL_BIND=eager patches every site before main.
variants=("gcc plugin|$out/prog_gcc_plugin"
	  "gcc plugin, STATICCALL_BIND=eager|$out/prog_gcc_plugin|STATICCALL_BIND=eager"
	  "gcc plain|$out/prog_gcc_plain"
	  "gcc plugin, STATICCALL_DISABLE=1|$out/prog_gcc_plugin|STATICCALL_DISABLE=1"
	  "gcc plugin, lazy, every site run|$out/prog_gcc_plugin|STATICCALL_BIND=lazy STARTUP_RUN_ALL=1"
	  "gcc plugin, eager, every site run|$out/prog_gcc_plugin|STATICCALL_BIND=eager STARTUP_RUN_ALL=1"
	  "gcc plain, every site run|$out/prog_gcc_plain|STARTUP_RUN_ALL=1")
if [ -n "$clang_plugin" ] && command -v "$clang" > /dev/null && [ -z "${NO_CLANG:-}" ]; then
	# Clang's sites are found from anchors by the Zydis decoder, which the
	# runtime references weakly: link it for sure.
	build clang_plugin "$clang" "$libs -Wl,--no-as-needed -lZydis -lZycore -Wl,--as-needed" $clang_plugin
	variants+=("clang plugin|$out/prog_clang_plugin"
		   "clang plugin, STATICCALL_BIND=eager|$out/prog_clang_plugin|STATICCALL_BIND=eager"
		   "clang plugin, lazy, every site run|$out/prog_clang_plugin|STATICCALL_BIND=lazy STARTUP_RUN_ALL=1"
		   "clang plugin, eager, every site run|$out/prog_clang_plugin|STATICCALL_BIND=eager STARTUP_RUN_ALL=1")
fi

# Every site of the plugin builds reaches its target, and is direct.
for p in "$out"/prog_*_plugin; do
	"$p" check | sed -n '2,$p' | sed "s|^|$(basename "$p"): |"
done

python3 benchmarks/startup_cost.py "$rounds" "${variants[@]}" | tee "$out/startup.txt"
grep '^csv,' "$out/startup.txt" | sed 's/^csv,//' \
	| sed '1i variant,main_ms,run_all_ms,wall_ms,rss_kb,hwm_kb,maps,maps_rx,mprotect,membarrier' \
	> build/bench/startup/startup.csv
