#!/usr/bin/env bash
# Build and run every example (meson, Makefile, CMake) with one compiler,
# against a staticcall build tree or a staging install of it, and check
# that each program's sites were patched and that staticcall-inspect
# lists them.
#
#   run-examples.sh uninstalled CC BUILD_ROOT OUT [MESON]
#   run-examples.sh installed   CC BUILD_ROOT OUT [MESON]
#
# uninstalled: PKG_CONFIG_PATH=BUILD_ROOT/meson-uninstalled.
# installed:   `meson install --destdir OUT/stage` first, then the staged
#              staticcall.pc with its prefix pointed into the stage.
# CC is a compiler name (gcc, clang-19...). Exit 77 (skipped) when the
# compiler's plugin flags are not in the pkg-config file.
set -euo pipefail
mode=$1 cc=$2 build=$(realpath "$3") out=$4 meson=${5:-meson}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")

for d in make cmake; do
	cmp -s "$here/meson/app.c" "$here/$d/app.c" ||
		{ echo "examples/$d/app.c differs from examples/meson/app.c" >&2; exit 1; }
done

case $mode in
uninstalled)
	export PKG_CONFIG_PATH=$build/meson-uninstalled
	export LD_LIBRARY_PATH=$build/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	inspect=$build/tools/staticcall-inspect
	;;
installed)
	stage=$out/stage
	"$meson" install -C "$build" --destdir "$stage" --no-rebuild --quiet >/dev/null
	pc=$(find "$stage" -name staticcall.pc | head -n1)
	[ -n "$pc" ] || { echo "no staticcall.pc installed" >&2; exit 1; }
	prefix=$(sed -n 's/^prefix=//p' "$pc")
	mkdir -p "$out/pc"
	sed "s|^prefix=.*|prefix=$stage$prefix|" "$pc" >"$out/pc/staticcall.pc"
	export PKG_CONFIG_PATH=$out/pc
	unset PKG_CONFIG_LIBDIR || true
	libdir=$(pkg-config --variable=libdir staticcall)
	export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	inspect=$stage$prefix/bin/staticcall-inspect
	# Everything the install must provide.
	for f in "$stage$prefix/include/staticcall.h" "$stage$prefix/include/staticcall_abi.h" \
		 "$libdir/libstaticcall.so" "$libdir/libstaticcall.a" \
		 "$(pkg-config --variable=gcc_plugin staticcall)" "$inspect"; do
		[ -e "$f" ] || { echo "not installed: $f" >&2; exit 1; }
	done
	if clang_plugin=$(pkg-config --variable=clang_plugin staticcall) && [ -n "$clang_plugin" ]; then
		[ -e "$clang_plugin" ] || { echo "not installed: $clang_plugin" >&2; exit 1; }
	fi
	;;
*)
	echo "usage: $0 uninstalled|installed CC BUILD_ROOT OUT [MESON]" >&2
	exit 2
	;;
esac

if $cc -dM -E -x c /dev/null | grep -q __clang__; then var=clang_cflags; else var=gcc_cflags; fi
if [ -z "$(pkg-config --variable=$var staticcall)" ]; then
	echo "SKIP: staticcall.pc has no $var (plugin for $cc not built)"
	exit 77
fi

failed=0
check() { # name, binary
	local name=$1 bin=$2 log=$out/$1.out
	if ! "$bin" >"$log" 2>&1; then
		echo "FAIL $name: program failed"; cat "$log"; failed=1; return
	fi
	# every site direct, or (Clang) on its trampoline because it
	# straddles an 8-byte word: app.c exits 1 otherwise
	if ! grep -q '^sites: 2 registered, [12] direct$' "$log"; then
		echo "FAIL $name: sites not patched"; cat "$log"; failed=1; return
	fi
	local n
	n=$("$inspect" --no-source "$bin" | grep -cE ' (call|tail-jump)( \(anchor\))?$' || true)
	if [ "$n" != 2 ]; then
		echo "FAIL $name: staticcall-inspect lists $n sites, not 2"
		"$inspect" "$bin"; failed=1; return
	fi
	echo "ok   $name: $(tail -n1 "$log")"
}

# (a) meson, dependency('staticcall') through pkg-config
if command -v "$meson" >/dev/null; then
	CC=$cc "$meson" setup "$out/meson" "$here/meson" >"$out/meson-setup.log" 2>&1 &&
		"$meson" compile -C "$out/meson" >"$out/meson-compile.log" 2>&1 &&
		check meson "$out/meson/app" ||
		{ echo "FAIL meson: build failed"; cat "$out"/meson-*.log; failed=1; }
else
	echo "skip meson: not found"
fi

# (b) plain Makefile
if command -v make >/dev/null; then
	mkdir -p "$out/make" &&
		cp "$here/make/Makefile" "$here/make/app.c" "$out/make/" &&
		make -s -C "$out/make" CC="$cc" >"$out/make.log" 2>&1 &&
		check make "$out/make/app" ||
		{ echo "FAIL make: build failed"; cat "$out/make.log"; failed=1; }
else
	echo "skip make: not found"
fi

# (c) CMake, pkg_check_modules
if command -v cmake >/dev/null; then
	CC=$cc cmake -S "$here/cmake" -B "$out/cmake" >"$out/cmake-setup.log" 2>&1 &&
		cmake --build "$out/cmake" >"$out/cmake-build.log" 2>&1 &&
		check cmake "$out/cmake/app" ||
		{ echo "FAIL cmake: build failed"; cat "$out"/cmake-*.log; failed=1; }
else
	echo "skip cmake: not found"
fi

exit $failed
