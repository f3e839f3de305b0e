#!/usr/bin/env bash
# sqlite.sh [RUNS] - a real program with struct-field keys: SQLite 3.40.1
# (Debian's source package, fetched by fetch-sqlite.sh into
# build/bench/sqlite, never committed) with STATIC_CALL on every
# pointer-to-function member of sqlite3_mem_methods, sqlite3_mutex_methods
# and sqlite3_pcache_methods2 (the members of its global config struct,
# sqlite3Config), speedtest1 --size 40 --memdb built -O2 three ways per
# compiler: plain, retpolines, retpolines + plugin (GCC, and Clang when its
# plugin is built; NO_CLANG=1 skips it), GCC's retpolines + plugin in
# promote mode (gcc_promote_cflags) with the marked source (static calls
# and promotion) and with the unmarked one (promotion only,
# gcc-thunk-promote-nosc; gcc-thunk-promote-nosc-inline that with
# promote-inline), the switches' two shapes (GCC compiles no
# jump table under -mindirect-branch=thunk*, a switch is a tree of
# compares there: gcc-nojt is the plain build with -fno-jump-tables, that
# shape without retpolines, and the -jt builds are the promoted ones
# with -fjump-tables, whose table jumps are retpolined; NO_JT=1 skips
# them), and
# with GCC -flto the retpoline and retpoline + plugin builds again (the
# plugin's gcc_ldflags at the link; NO_LTO=1 skips them); VARIANTS="gcc
# gcc-thunk ..." builds and runs only those (keep gcc and gcc-thunk: the
# share recovered is computed against them). Median of RUNS (default 3) runs
# interleaved across builds, wall and CPU (user+sys) time, the share of
# the retpoline overhead each build recovers ((retpoline - build) /
# (retpoline - plain), CPU time); the plugin build's calls of
# __staticcall_store_range per run are counted (count_store_calls.c); the
# promoted builds report sites promoted / executed, stub memory and
# learning time (promote_report.c, one more run each). The tests:
# speedtest1 --verify's hash of every query's results, the same on every
# build; SQLite's threaded test (threadtest3, below) on the plain and the
# promoted builds.
# Writes build/bench/sqlite/{speed,sites}.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-3}
out=$(bench_dir sqlite)
benchmarks/fetch-sqlite.sh "$out/src"
if [ ! -f "$out/amal/sqlite3.c" ]; then
	mkdir -p "$out/amal"
	( cd "$out/amal" && ../src/configure --disable-tcl > configure.log 2>&1 &&
	  make sqlite3.c > make.log 2>&1 ) || { echo "sqlite: amalgamation failed" >&2; exit 1; }
fi
# The marked source: the three method structures' members get STATIC_CALL.
python3 - "$out/amal/sqlite3.c" "$out/sqlite3-marked.c" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
n = 0
def mark(m):
    global n
    body, k = re.subn(r"\(\*(x\w+)\)", r"(*STATIC_CALL \1)", m.group(2))
    n += k
    return m.group(1) + body + m.group(3)
for s in ("sqlite3_mem_methods", "sqlite3_mutex_methods",
          "sqlite3_pcache_methods2"):
    src = re.sub(r"(struct %s \{)(.*?)(\n\};)" % s, mark, src, count=1,
                 flags=re.S)
open(sys.argv[2], "w").write('#include "staticcall.h"\n' + src)
print("sqlite: %d members marked STATIC_CALL" % n, file=sys.stderr)
PY
export PKG_CONFIG_PATH=$B/meson-uninstalled
gcc_plugin=$(pkg-config --variable=gcc_cflags staticcall)
clang_plugin=$(pkg-config --variable=clang_cflags staticcall 2>/dev/null || true)
clang=${CLANG:-clang-19}
gcc_promote=$(pkg-config --variable=gcc_promote_cflags staticcall)
plugins_sum=$(cat "$B"/gcc-plugin/*.so "$B"/clang-plugin/*.so 2>/dev/null | sha256sum | cut -c1-16)
# gcc-thunk-promote: retpolines + the plugin in promote mode (static calls
# and learned promotion of every other indirect call, issue 16)
# -inline: with promote-inline (the compare inline at each call site)
variants=(gcc gcc-thunk gcc-thunk-plugin gcc-thunk-promote gcc-thunk-promote-nosc
	gcc-thunk-promote-nosc-inline)
# GCC's -mindirect-branch=thunk* implies -fno-jump-tables: gcc-nojt is
# the plain build with a switch's code of the retpoline builds (compares),
# gcc-thunk-promote-nosc-jt the promoted one with jump tables back
# (-fjump-tables)
[ -z "${NO_JT:-}" ] && variants+=(gcc-nojt gcc-thunk-promote-nosc-jt)
[ -z "${NO_LTO:-}" ] && variants+=(gcc-lto-thunk gcc-lto-thunk-plugin)
gcc_ldflags=$(pkg-config --variable=gcc_ldflags staticcall)
if [ -n "$clang_plugin" ] && command -v "$clang" >/dev/null && [ -z "${NO_CLANG:-}" ]; then
	variants+=(clang clang-thunk clang-thunk-plugin)
fi
# VARIANTS="gcc gcc-thunk ...": only these (the plain and retpoline
# builds they are compared with included)
# shellcheck disable=SC2206
[ -n "${VARIANTS:-}" ] && variants=(${VARIANTS})
cc -O2 -shared -fPIC benchmarks/count_store_calls.c -o "$out/count_store_calls.so" -ldl
base="-O2 -DSQLITE_OMIT_LOAD_EXTENSION -Iinclude -I$out/amal"
# variant_flags V: sets cc, thunk, flags, libs, linkflags and src for
# build V (the speedtest1 and threadtest3 builds share them)
variant_flags() {
	local v=$1
	case $v in clang*) cc=$clang; thunk=-mretpoline; plugin=$clang_plugin ;;
	*) cc=gcc; thunk=-mindirect-branch=thunk; plugin=$gcc_plugin ;; esac
	flags=$base
	case $v in *-thunk*) flags="$flags $thunk" ;; esac
	libs="-lm -lpthread"
	linkflags=-O2
	case $v in *-lto-*) flags="$flags -flto=auto"
		linkflags="$flags" ;; esac
	case $v in *-plugin) flags="$flags $plugin"
		libs="$libs -L$B/runtime -lstaticcall -Wl,-rpath,$B/runtime" ;; esac
	case $v in *-promote*) flags="$flags $gcc_promote"
		libs="$libs -L$B/runtime -lstaticcall -Wl,-rpath,$B/runtime" ;; esac
	case $v in *-inline) flags="$flags -fplugin-arg-staticcall_gcc-promote-inline" ;; esac
	case $v in *-nojt) flags="$flags -fno-jump-tables" ;;
	*-jt) flags="$flags -fjump-tables" ;; esac
	src=$out/sqlite3-marked.c
	case $v in *-nosc|*-nosc-*) src=$out/amal/sqlite3.c ;; esac
	# the build-system contract: compile with gcc_cflags, link with
	# gcc_ldflags (under -flto lto1 generates the code)
	case $v in *-lto-*-plugin) linkflags="$linkflags $gcc_ldflags" ;; esac
	return 0
}
for v in "${variants[@]}"; do
	exe=$out/$v/speedtest1
	# built by the plugins as they are now (an older plugin's thunks may
	# be refused by this runtime: nothing promoted, silently slow)
	case $v in *-plugin|*-promote*) fresh=$exe.plugins ;; *) fresh= ;; esac
	[ -x "$exe" ] && [ -z "${REBUILD:-}" ] &&
		{ [ -z "$fresh" ] || [ "$(cat "$fresh" 2>/dev/null)" = "$plugins_sum" ]; } && continue
	mkdir -p "$out/$v"
	variant_flags "$v"
	start=$(date +%s)
	# shellcheck disable=SC2086
	$cc $flags -c "$src" -o "$out/$v/sqlite3.o"
	# shellcheck disable=SC2086
	$cc $flags -c "$out/src/test/speedtest1.c" -o "$out/$v/speedtest1.o"
	# shellcheck disable=SC2086
	$cc $linkflags -o "$exe" "$out/$v/speedtest1.o" "$out/$v/sqlite3.o" $libs
	[ -z "$fresh" ] || echo "$plugins_sum" >"$fresh"
	echo "sqlite: built $v in $(( $(date +%s) - start )) s" >&2
	case $v in *-thunk*)
		n=$(objdump -d "$exe" | grep -c 'call.*__x86_indirect_thunk\|call.*__llvm_retpoline' || true)
		[ "$n" -gt 0 ] || { echo "sqlite: $v has no retpoline thunk call" >&2; exit 1; } ;;
	esac
done
[ -n "${BUILD_ONLY:-}" ] && exit 0
# The test (speedtest1's own check, the documented subset of SQLite's
# tests here): --verify hashes every query's results; each build must
# print the plain build's hash.
want=$("$out/gcc/speedtest1" --size 10 --memdb --verify | sed -n 's/^Verification Hash: //p')
for v in "${variants[@]}"; do
	got=$("$out/$v/speedtest1" --size 10 --memdb --verify | sed -n 's/^Verification Hash: //p')
	[ -n "$got" ] && [ "$got" = "$want" ] ||
		{ echo "sqlite: $v: verification hash $got, plain build $want" >&2; exit 1; }
done
echo "sqlite: speedtest1 --verify: every build's hash is the plain build's ($want)"
# The reporter (promote_report.c): what promotion learned in a run.
B_RT=$B/runtime
gcc -O2 -shared -fPIC -Iinclude benchmarks/promote_report.c -o "$out/promote_report.so" \
	-L"$B_RT" -lstaticcall -Wl,-rpath,"$B_RT" -lpthread
# The threaded test: SQLite's test/threadtest3.c (15 tests of threads
# sharing databases: WAL, checkpoints, triggers, shared cache; each
# checks its results, the exit status 0 when none failed) on the plain
# build and each promoted one but -lto and -jt, so that sites are
# promoted, widened, demoted and opened while threads call through
# them; its durations divided by THREADTEST_SCALE (default 4: about a
# minute a build; 0 skips it) but checkpoint_starvation_*'s (their check
# is that the WAL grew in their time: 2 s were too few), and stress2's
# threads let SQLITE_BUSY pass as they do SQLITE_LOCKED (its journal-mode
# switch races its other threads: seen on the plain build at 15 s). A
# promoted build must also have promoted sites in that run (the
# reporter's count), an -inline one opened some.
scale=${THREADTEST_SCALE:-4}
if [ "$scale" != 0 ]; then
	python3 - "$out/src/test/threadtest3.c" "$out/threadtest3-scaled.c" "$scale" <<'PY'
import os, re, sys
src, dst, scale = sys.argv[1], sys.argv[2], int(sys.argv[3])
def scaled(m):
    ms = int(m.group(3))
    if not m.group(2).startswith('checkpoint_starvation'):
        ms //= scale
    return m.group(1) + str(ms) + m.group(4)
text, n = re.subn(r'(\{ *\w+, *"(\w+)", *)(\d+)( *\})', scaled,
                  open(src).read())
if n < 10:
    sys.exit('threadtest3.c: its table of tests not found (%d entries)' % n)
# tt3_stress.c is included from the directory of the copy's includer
busy = '      clear_error(&err, SQLITE_LOCKED);\n      i1++;'
stress = open(os.path.join(os.path.dirname(src), 'tt3_stress.c')).read()
if busy not in stress:
    sys.exit('tt3_stress.c: stress2\'s loop not found')
stress = stress.replace(busy, '      clear_error(&err, SQLITE_LOCKED);\n'
                        '      clear_error(&err, SQLITE_BUSY);\n      i1++;')
text = text.replace('#include "tt3_stress.c"', '#include "tt3_stress-busy.c"')
if 'tt3_stress-busy.c' not in text:
    sys.exit('threadtest3.c: no #include "tt3_stress.c"')
open(os.path.join(os.path.dirname(dst), 'tt3_stress-busy.c'), 'w').write(stress)
open(dst, 'w').write(text)
PY
	for v in "${variants[@]}"; do
		case $v in gcc|gcc-thunk-promote*) ;; *) continue ;; esac
		case $v in *-jt) continue ;; esac
		variant_flags "$v"
		tt=$out/$v/threadtest3
		# (built each time: a few seconds, from the copy made above)
		# shellcheck disable=SC2086
		$cc $flags -I"$out/src/test" -I"$out/src/src" -c "$out/threadtest3-scaled.c" -o "$tt.o"
		# shellcheck disable=SC2086
		$cc $flags -I"$out/src/src" -c "$out/src/src/test_multiplex.c" -o "$out/$v/test_multiplex.o"
		# shellcheck disable=SC2086
		$cc $linkflags -o "$tt" "$tt.o" "$out/$v/test_multiplex.o" "$out/$v/sqlite3.o" $libs
		pre="" rep=$out/$v/threadtest3-sites.txt
		rm -f "$rep"
		case $v in *-promote*) pre=$PWD/$out/promote_report.so ;; esac
		start=$(date +%s)
		( cd "$out/$v" && rm -rf tt3 && mkdir tt3 && cd tt3 &&
		  PROMOTE_REPORT_OUT=$PWD/../threadtest3-sites.txt LD_PRELOAD=$pre \
			../threadtest3 > ../threadtest3.log 2>&1 ) ||
			{ echo "sqlite: $v: threadtest3 failed: $(tail -3 "$out/$v/threadtest3.log")" >&2; exit 1; }
		grep -q '^0 errors out of 15 tests$' "$out/$v/threadtest3.log" ||
			{ echo "sqlite: $v: threadtest3: $(tail -1 "$out/$v/threadtest3.log")" >&2; exit 1; }
		what=
		if [ -n "$pre" ]; then
			promoted=$(head -1 "$rep" | cut -d, -f3)
			promotions=$(head -1 "$rep" | cut -d, -f9)
			demotions=$(head -1 "$rep" | cut -d, -f10)
			open=$(sed -n 's/^inline: sites=[0-9]* open=\([0-9]*\);.*/\1/p' "$rep")
			[ "${promoted:-0}" -gt 0 ] ||
				{ echo "sqlite: $v: threadtest3 promoted no site: $(head -2 "$rep")" >&2; exit 1; }
			case $v in *-inline) [ "${open:-0}" -gt 0 ] ||
				{ echo "sqlite: $v: threadtest3 opened no inline site: $(head -2 "$rep")" >&2; exit 1; } ;; esac
			what=": $promoted sites promoted ($promotions promotions, $demotions demotions), ${open:-0} inline sites open"
		fi
		rm -rf "$out/$v/tt3"
		echo "sqlite: $v: threadtest3, 15 tests, 0 errors in $(( $(date +%s) - start )) s$what"
	done
fi
declare -A times cpus
load0=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq "$runs"); do
	for v in "${variants[@]}"; do
		pre=
		[[ $v == *-plugin ]] && pre=$PWD/$out/count_store_calls.so
		t0=$(date +%s.%N)
		LD_PRELOAD=$pre /usr/bin/time -f "%U %S" -o "$out/$v/cpu.txt" \
			"$out/$v/speedtest1" --size 40 --memdb > "$out/$v/run.txt" 2> "$out/$v/calls.txt"
		t1=$(date +%s.%N)
		times[$v]="${times[$v]:-} $(echo "$t1 - $t0" | bc)"
		cpus[$v]="${cpus[$v]:-} $(awk '{print $1 + $2}' "$out/$v/cpu.txt")"
	done
done
load1=$(cut -d' ' -f1 /proc/loadavg)
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "build,seconds,ratio_to_retpoline,store_range_calls,cpu_seconds,cpu_ratio_to_retpoline,recovered,runs,load_before,load_after" > "$out/speed.csv"
printf '%-24s %9s %10s %12s %9s %10s %9s\n' build seconds "/retpoline" "store calls" "CPU s" "/retpoline" recovered
for v in "${variants[@]}"; do
	m=$(echo "${times[$v]}" | median)
	c=$(echo "${cpus[$v]}" | median)
	refv=${v%%-*}-thunk
	[[ $v == *-lto-* ]] && refv=${v%%-*}-lto-thunk
	ref=$(echo "${times[$refv]}" | median)
	cref=$(echo "${cpus[$refv]}" | median)
	cplain=$(echo "${cpus[${refv%-thunk}]}" | median)
	calls=-
	[[ $v == *-plugin ]] && calls=$(sed -n 's/store_range_calls //p' "$out/$v/calls.txt")
	ratio=$(echo "scale=3; $m / $ref" | bc)
	cratio=$(echo "scale=3; $c / $cref" | bc)
	rec=-
	[ -n "$cplain" ] && case $v in *-thunk-*) rec=$(echo "scale=0; 100 * ($cref - $c) / ($cref - $cplain)" | bc 2>/dev/null || echo -) ;; esac
	printf '%-24s %9.3f %10s %12s %9.2f %10s %8s%%\n' "$v" "$m" "$ratio" "$calls" "$c" "$cratio" "$rec"
	echo "$v,$m,$ratio,$calls,$c,$cratio,$rec,$runs,$load0,$load1" >> "$out/speed.csv"
done
echo "load average $load0 before, $load1 after ($runs runs each, interleaved)"
# What promotion learned: one more run of each promoted build with the
# reporter preloaded.
echo "build,sites,executed,promoted,megamorphic,far,tail_sites,tail_unlearned,learning_executed,promotions,demotions,samples,stubs,stub_bytes,first_promotion_ms,last_promotion_ms,run_ms,untallied_samples" > "$out/sites.csv"
for v in "${variants[@]}"; do
	case $v in *-promote*) ;; *) continue ;; esac
	PROMOTE_REPORT_OUT=$out/$v/sites.txt LD_PRELOAD=$PWD/$out/promote_report.so \
		"$out/$v/speedtest1" --size 40 --memdb > /dev/null
	echo "$v,$(head -1 "$out/$v/sites.txt")" >> "$out/sites.csv"
done
echo "== promoted sites (one run with the reporter)"
column -s, -t "$out/sites.csv"
