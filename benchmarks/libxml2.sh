#!/usr/bin/env bash
# libxml2.sh [RUNS] - the real-world client: Debian's libxml2 source package
# (fetched with apt-get source into build/bench/libxml2, never committed),
# its allocator hooks marked STATIC_CALL (libxml2-static-call.patch), built
# with Debian's compiler flags four ways: stock, stock + retpolines
# (-mindirect-branch=thunk), GCC plugin, plugin + retpolines; with Clang too
# (stock and plugin) when the Clang plugin is built (NO_CLANG=1 skips),
# and with GCC -flto the same four again (compiled with gcc_cflags, linked
# with gcc_ldflags; NO_LTO=1 skips them), and retpolines + the plugin's
# promote mode (gcc_promote_cflags, issue 16: every indirect call learned
# and promoted at run time) without the patch (promote) and with it
# (plugin-promote: static calls and promotion; NO_PROMOTE=1 skips both). CLANG_LTO=full or thin adds Clang
# -flto / -flto=thin builds (stock and plugin, linked by lld with
# clang_ldflags) once the Clang plugin supports LTO.
# Reports build time (compile-time overhead of each plugin), runs libxml2's
# own test suite (make check) on the plugin builds, times `xmllint --noout`
# on a generated document of XML_MB (default 40) MB, median of RUNS
# (default 5) runs interleaved across builds, and lists which sites of the
# hooks are direct or via trampoline, and why.
# REBUILD=1 rebuilds trees already built; NO_CHECK=1 skips make check;
# BUILD_ONLY=1 stops after the builds; ONLY="VARIANT..." limits the builds.
# Writes build/bench/libxml2/{build.csv,parse.csv,sites.csv,check.log}.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
repo=$PWD
runs=${1:-5}
out=$(bench_dir libxml2)
benchmarks/fetch-libxml2.sh "$out/src"
# Debian's patches touch Makefile.am: regenerate the build system once, as
# dh_autoreconf does (autoconf, automake, libtool).
if [ ! -f "$out/src/.autoreconf-done" ]; then
	if ! command -v autoreconf >/dev/null || ! command -v libtoolize >/dev/null; then
		sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get install -y -qq autoconf automake libtool >/dev/null
	fi
	( cd "$out/src" && autoreconf -fi > autoreconf.log 2>&1 ) || { tail "$out/src/autoreconf.log" >&2; exit 1; }
	touch "$out/src/.autoreconf-done"
fi
export PKG_CONFIG_PATH=$B/meson-uninstalled
gcc_plugin=$(pkg-config --variable=gcc_cflags staticcall)
clang_plugin=$(pkg-config --variable=clang_cflags staticcall 2>/dev/null || true)
# The link half of the build-system contract under -flto (lto1 generates
# the code and must load the plugin again).
gcc_ldflags=$(pkg-config --variable=gcc_ldflags staticcall)
clang_ldflags=$(pkg-config --variable=clang_ldflags staticcall 2>/dev/null || true)
clang=${CLANG:-clang-19}

# Debian's flags for libxml2 (debian/rules: hardening=+all, -Wall -O3).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all DEB_CFLAGS_MAINT_APPEND="-Wall -O3"
deb_cflags=$(dpkg-buildflags --get CFLAGS | sed 's/-ffile-prefix-map=[^ ]*//')
deb_ldflags=$(dpkg-buildflags --get LDFLAGS)
deb_cppflags=$(dpkg-buildflags --get CPPFLAGS)
rt_ldflags="-L$B/runtime -Wl,-rpath,$B/runtime"

variants=(stock stock-thunk plugin plugin-thunk)
thunk_variants=(stock-thunk plugin-thunk)
plugin_variants=(plugin)
gcc_promote=$(pkg-config --variable=gcc_promote_cflags staticcall)
promote_variants=()
if [ -z "${NO_PROMOTE:-}" ]; then
	promote_variants=(promote plugin-promote)
	variants+=(promote plugin-promote)
	thunk_variants+=(promote plugin-promote)
	plugin_variants+=(promote plugin-promote)
fi
if [ -z "${NO_LTO:-}" ]; then
	variants+=(lto-stock lto-stock-thunk lto-plugin lto-plugin-thunk)
	thunk_variants+=(lto-stock-thunk lto-plugin-thunk)
	plugin_variants+=(lto-plugin)
fi
if [ -n "$clang_plugin" ] && command -v "$clang" >/dev/null && [ -z "${NO_CLANG:-}" ]; then
	variants+=(clang-stock clang-plugin)
	# Clang LTO: the hook for the Clang plugin's -flto support (full or
	# thin, linked by lld; the pass plugin loaded by the linker through
	# clang_ldflags).
	case ${CLANG_LTO:-} in
	full | thin) variants+=(clang-lto-stock clang-lto-plugin) ;;
	'') ;;
	*) echo "libxml2: CLANG_LTO is full or thin" >&2; exit 2 ;;
	esac
fi
# ONLY="v1 v2 ...": just these variants (stock and stock-thunk are kept:
# the references).
if [ -n "${ONLY:-}" ]; then
	keep() { local v; for v in "$@"; do case " stock stock-thunk $ONLY " in *" $v "*) echo "$v" ;; esac; done; }
	mapfile -t variants < <(keep "${variants[@]}")
	mapfile -t thunk_variants < <(keep "${thunk_variants[@]}")
	mapfile -t plugin_variants < <(keep "${plugin_variants[@]}")
	mapfile -t promote_variants < <(keep "${promote_variants[@]}")
fi
declare -A label=([stock]="gcc stock" [stock-thunk]="gcc stock -mindirect-branch=thunk"
	[plugin]="gcc + staticcall plugin" [plugin-thunk]="gcc + staticcall plugin -mindirect-branch=thunk"
	[promote]="gcc promote mode (retpolines + learned promotion)"
	[plugin-promote]="gcc + staticcall plugin in promote mode"
	[lto-stock]="gcc -flto stock" [lto-stock-thunk]="gcc -flto stock -mindirect-branch=thunk"
	[lto-plugin]="gcc -flto + staticcall plugin"
	[lto-plugin-thunk]="gcc -flto + staticcall plugin -mindirect-branch=thunk"
	[clang-stock]="clang stock" [clang-plugin]="clang + staticcall plugin"
	[clang-lto-stock]="clang -flto=${CLANG_LTO:-} stock"
	[clang-lto-plugin]="clang -flto=${CLANG_LTO:-} + staticcall plugin")

# libtool drops compiler flags it does not know (-fplugin=...) from the
# link of a shared library; -Wc,FLAG passes FLAG to the compiler driver
# there (and to the programs' links; -Wl, flags libtool passes itself, and
# -Wc, would split them at their commas). gcc itself rejects -Wc,
# (configure's test links), so these go into LDFLAGS at make time only.
libtool_wc() {
	local f r=
	for f in "$@"; do
		case $f in -Wl,*) r="$r $f" ;; *) r="$r -Wc,$f" ;; esac
	done
	echo "$r"
}

build() { # variant
	local v=$1 dir=$out/$1 cc=gcc cflags=$deb_cflags libs= cppflags=$deb_cppflags ldflags=$deb_ldflags
	local plugin=$gcc_plugin plugin_ld=$gcc_ldflags make_ldflags
	case $v in clang-*) cc=$clang; cflags=$(echo "$cflags" | sed 's/-fstack-clash-protection//')
		plugin=$clang_plugin; plugin_ld=$clang_ldflags ;; esac
	case $v in *-thunk) cflags="$cflags -mindirect-branch=thunk" ;; esac
	# -flto: the code is generated at the link, which needs the code
	# generation flags again (libtool passes -O*, -m*, -flto*, -fuse-ld=*)
	case $v in
	clang-lto-*) cflags="$cflags -flto=$CLANG_LTO"
		ldflags="$ldflags -flto=$CLANG_LTO -fuse-ld=lld -O3" ;;
	lto-*) cflags="$cflags -flto=auto"; ldflags="$ldflags -flto=auto -O3" ;;
	esac
	case $v in *lto-*-thunk) ldflags="$ldflags -mindirect-branch=thunk" ;; esac
	# promote mode: the same plugin with its promote argument and
	# -mindirect-branch=thunk-extern (static calls too when patched)
	case $v in *promote) plugin=$gcc_promote; cflags="$cflags $gcc_promote" ;;
	*plugin*) cflags="$cflags $plugin" ;; esac
	case $v in clang-*plugin)
		libs="-Wl,--no-as-needed -lZydis -lZycore -Wl,--as-needed" ;;
	esac
	case $v in *plugin* | *promote)
		cppflags="$cppflags -I$repo/include"; ldflags="$ldflags $rt_ldflags"
		libs="$libs -lstaticcall" ;;
	esac
	make_ldflags=$ldflags
	# shellcheck disable=SC2086
	case $v in *lto-plugin*) make_ldflags="$ldflags $(libtool_wc $plugin_ld)" ;; esac
	local stamp="$cc|$cflags|$cppflags|$make_ldflags|$libs"
	if [ -z "${REBUILD:-}" ] && [ -x "$dir/.libs/xmllint" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "libxml2: $v already built ($dir)" >&2
		return
	fi
	rm -rf "$dir"
	cp -a "$out/src" "$dir"
	case $v in *plugin*) patch -s -d "$dir" -p1 < benchmarks/libxml2-static-call.patch ;; esac
	echo "libxml2: configuring and building $v" >&2
	( cd "$dir" && ./configure -q --without-python --disable-static CC="$cc" \
		CFLAGS="$cflags" CPPFLAGS="$cppflags" LDFLAGS="$ldflags" LIBS="$libs" \
		> configure.log 2>&1 ) || { tail -20 "$dir/configure.log" >&2; exit 1; }
	# Wall and CPU (user+sys) seconds of the compilation proper.
	/usr/bin/time -f "%e %U %S" -o "$dir/build.time" \
		make -C "$dir" -j"$(nproc)" LDFLAGS="$make_ldflags" > "$dir/build.log" 2>&1 ||
		{ tail -30 "$dir/build.log" >&2; exit 1; }
	echo "$make_ldflags" > "$dir/.make-ldflags"
	echo "$stamp" > "$dir/.stamp"
}
for v in "${variants[@]}"; do build "$v"; done
[ -n "${BUILD_ONLY:-}" ] && exit 0

# Retpoline builds must really contain thunk calls; plugin builds sites.
for v in "${thunk_variants[@]}"; do
	n=$(objdump -d "$out/$v/.libs/libxml2.so" | grep -c 'call.*__x86_indirect_thunk' || true)
	[ "$n" -gt 0 ] || { echo "libxml2: $v has no retpoline thunk call" >&2; exit 1; }
done

echo "variant,label,build_wall_s,build_cpu_s,sites_records,thunk_calls" > "$out/build.csv"
for v in "${variants[@]}"; do
	read -r wall user sys < "$out/$v/build.time"
	recs=$(size -A "$out/$v/.libs/libxml2.so" | awk '$1 == "__staticcall_sites" { print $2 / 12 }')
	thunks=$(objdump -d "$out/$v/.libs/libxml2.so" | grep -c 'call.*__x86_indirect_thunk' || true)
	echo "$v,${label[$v]},$wall,$(echo "$user + $sys" | bc),${recs:-0},$thunks" >> "$out/build.csv"
done

# libxml2's own test suite (what `make check` runs: runtest, testrecurse,
# testapi, testchar, testdict, runxmlconf), each program on its own so one
# failure does not hide the rest, on the plugin build and, for reference,
# on the stock build: the plugin build must do exactly as well as stock.
# (Debian's source lacks test/threads/, so runtest's thread test fails on
# every build.)
if [ -z "${NO_CHECK:-}" ]; then
	echo "build,program,exit,summary" > "$out/check.csv"
	for v in stock "${plugin_variants[@]}"; do
		make -C "$out/$v" -j"$(nproc)" LDFLAGS="$(cat "$out/$v/.make-ldflags")" runtest testrecurse testapi testchar testdict runxmlconf > "$out/$v/check-build.log" 2>&1
		for t in runtest testrecurse testapi testchar testdict runxmlconf; do
			echo "libxml2: $v: $t" >&2
			rc=0
			( cd "$out/$v" && ./$t ) > "$out/$v/check-$t.log" 2>&1 || rc=$?
			sum=$(grep -aE '^Total|^Ran |tests|errors' "$out/$v/check-$t.log" | tail -1 | tr -d ',' || true)
			echo "$v,$t,$rc,$sum" >> "$out/check.csv"
		done
	done
	echo "== libxml2 test suite (stock vs plugin builds: ${plugin_variants[*]})"
	column -s, -t "$out/check.csv"
	differ=
	for v in "${plugin_variants[@]}"; do
		diff <(grep '^stock,' "$out/check.csv" | cut -d, -f2-) \
			<(grep "^$v," "$out/check.csv" | cut -d, -f2-) > /dev/null || differ="$differ $v"
	done
	if [ -z "$differ" ]; then
		echo "libxml2 test suite: plugin builds' results identical to stock (${plugin_variants[*]})"
		echo "verdict,identical to stock (${plugin_variants[*]})" >> "$out/check.csv"
	else
		echo "libxml2 test suite: DIFFERS from stock:$differ" >&2
		echo "verdict,DIFFERS from stock:$differ" >> "$out/check.csv"
	fi
	grep -h 'handling.*failed\|^Total' "$out/${plugin_variants[0]}/check-runtest.log" | sort | uniq -c | head -5
fi

[ -f "$out/doc.xml" ] || python3 benchmarks/gen_xml.py "$out/doc.xml" "${XML_MB:-40}"
if [ -x "$out/plugin/.libs/xmllint" ]; then # (not under ONLY= without it)
# Sites: which are direct, which via trampoline and why (xmllint, PIE,
# calling into the shared libxml2), with an LD_PRELOADed reporter.
gcc -O2 -shared -fPIC -I"$out/plugin/include" -I"$repo/include" benchmarks/xmlsites.c \
    -L"$out/plugin/.libs" -lxml2 $rt_ldflags -lstaticcall -o "$out/libxmlsites.so"
rm -f "$out/sites.csv"
XMLSITES_OUT=$out/sites.csv LD_PRELOAD=$PWD/$out/libxmlsites.so \
	LD_LIBRARY_PATH=$out/plugin/.libs "$out/plugin/.libs/xmllint" --noout "$out/doc.xml"
echo "== libxml2 sites of the five hooks (xmllint --noout, plugin build)"
grep -v '^private_text' "$out/sites.csv" | column -s, -t
grep '^private_text' "$out/sites.csv" | awk -F, '{ printf "text made private in %s: %d of %d kB\n", $2, $3, $4 }'
# and of the -flto plugin build (sites-lto-plugin.csv)
if [ -z "${NO_LTO:-}" ]; then
	rm -f "$out/sites-lto-plugin.csv"
	XMLSITES_OUT=$out/sites-lto-plugin.csv LD_PRELOAD=$PWD/$out/libxmlsites.so \
		LD_LIBRARY_PATH=$out/lto-plugin/.libs "$out/lto-plugin/.libs/xmllint" --noout "$out/doc.xml"
	echo "== libxml2 sites of the five hooks (xmllint --noout, gcc -flto plugin build)"
	grep -v '^private_text' "$out/sites-lto-plugin.csv" | column -s, -t
fi

fi
# Parse time: interleaved, median of RUNS.
echo "== xmllint --noout on $(du -m "$out/doc.xml" | cut -f1) MB, median of $runs runs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 benchmarks/time_xmllint.py "$out" "$runs" "$B/runtime" "${variants[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# What promotion learned: one more run of each promoted build with the
# reporter preloaded.
if [ ${#promote_variants[@]} -gt 0 ]; then
	gcc -O2 -shared -fPIC -I"$repo/include" benchmarks/promote_report.c \
		-o "$out/promote_report.so" $rt_ldflags -lstaticcall -lpthread
	echo "build,sites,executed,promoted,megamorphic,far,tail_sites,tail_unlearned,learning_executed,promotions,demotions,samples,stubs,stub_bytes,first_promotion_ms,last_promotion_ms,run_ms,untallied_samples" > "$out/promote-sites.csv"
	for v in "${promote_variants[@]}"; do
		PROMOTE_REPORT_OUT=$out/$v/promote-sites.txt LD_PRELOAD=$PWD/$out/promote_report.so \
			LD_LIBRARY_PATH=$out/$v/.libs "$out/$v/.libs/xmllint" --noout "$out/doc.xml"
		echo "$v,$(head -1 "$out/$v/promote-sites.txt")" >> "$out/promote-sites.csv"
	done
	echo "== promoted sites (xmllint --noout, one run with the reporter)"
	column -s, -t "$out/promote-sites.csv"
fi
echo "== build time (make -j$(nproc), after configure)"
column -s, -t "$out/build.csv"
