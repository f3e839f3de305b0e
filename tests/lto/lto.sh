#!/usr/bin/env bash
# tests/lto/lto.sh CC 'CFLAGS' 'LDFLAGS' INCLUDE RUNTIME_LIBDIR OUT [CXX]
# Link-time optimisation (docs/GUIDE.md, "Link-time optimisation"): units
# compiled with the plugin's CFLAGS plus -flto, linked with -flto plus its
# LDFLAGS, as a build system would. lto_a.c checks every result itself;
# here every site must also be registered and direct (STATICCALL_REPORT),
# with no warning from the runtime and no stale site (STATICCALL_VERIFY;
# lto_common.sh, shared with lto_clang.sh):
# at -O0 and -O2, with lto1's partitionings (balanced, one, max: every
# function in its own partition, so keys and callers are apart), a shared
# library built with -flto, fat objects linked without -flto, and a link
# that forgets LDFLAGS, which must fail naming the trampoline; with CXX, a
# C++ program too.
set -euo pipefail
# shellcheck source=lto_common.sh
. "$(dirname "$0")/lto_common.sh"

for opt in -O0 -O2; do
	$cc $opt -flto -fPIE $cflags -I"$inc" -c "$src/lto_a.c" -o "$out/a$opt.o"
	$cc $opt -flto -fPIE $cflags -I"$inc" -c "$src/lto_b.c" -o "$out/b$opt.o"
	for part in balanced one max; do
		p=$out/lto$opt-$part
		$cc $opt -flto -flto-partition=$part -pie $ldflags \
			"$out/a$opt.o" "$out/b$opt.o" "${rt[@]}" -o "$p" 2>"$p.log" ||
			{ echo "FAIL link $opt $part:"; cat "$p.log"; status=1; continue; }
		run "-flto $opt, partition $part" "$p" 8
	done
done

# The key-defining unit as an -flto shared library, the caller as PIE.
$cc -O2 -flto -fPIC $cflags -I"$inc" -c "$src/lto_b.c" -o "$out/b-pic.o"
$cc -O2 -flto -shared $ldflags "$out/b-pic.o" "${rt[@]}" -o "$out/liblto_b.so"
$cc -O2 -flto -pie $ldflags "$out/a-O2.o" -L"$out" -llto_b \
	-Wl,-rpath,"$out" "${rt[@]}" -o "$out/lto-shared"
# (The program's own sites reach into the library, out of rel32 range:
# they stay on their trampolines, with or without -flto.)
run "-flto, keys in an -flto shared library" "$out/lto-shared" 5 \
	"$out/liblto_b.so"

# Fat objects carry both: linked with -fno-lto they are ordinary objects
# (a link of IR objects without -flto is still an LTO link).
$cc -O2 -flto -ffat-lto-objects -fPIE $cflags -I"$inc" -c "$src/lto_a.c" -o "$out/a-fat.o"
$cc -O2 -flto -ffat-lto-objects -fPIE $cflags -I"$inc" -c "$src/lto_b.c" -o "$out/b-fat.o"
$cc -O2 -fno-lto -pie "$out/a-fat.o" "$out/b-fat.o" "${rt[@]}" -o "$out/fat"
run "-ffat-lto-objects linked with -fno-lto" "$out/fat" 8

# C++: namespace-scope and static keys across units (mangled names).
if [ -n "$cxx" ]; then
	$cxx -O2 -flto -fPIE $cflags -I"$inc" -c "$src/lto_cxx_a.cc" -o "$out/cxx_a.o"
	$cxx -O2 -flto -fPIE $cflags -I"$inc" -c "$src/lto_cxx_b.cc" -o "$out/cxx_b.o"
	$cxx -O2 -flto -pie $ldflags "$out/cxx_a.o" "$out/cxx_b.o" "${rt[@]}" \
		-o "$out/lto-cxx"
	run "-flto, C++" "$out/lto-cxx" 4
fi

# Forgetting LDFLAGS: lto1 runs without the plugin, and the link must fail
# on the trampolines, never produce a program.
if $cc -O2 -flto -pie "$out/a-O2.o" "$out/b-O2.o" "${rt[@]}" \
	-o "$out/no-ldflags" >"$out/no-ldflags.log" 2>&1; then
	echo "FAIL a link without the plugin's LDFLAGS succeeded"; status=1
elif grep -q "undefined reference to .__staticcall_tramp" "$out/no-ldflags.log"; then
	echo "PASS a link without LDFLAGS fails: $(grep -m1 undefined "$out/no-ldflags.log")"
else
	echo "FAIL a link without LDFLAGS failed otherwise:"; cat "$out/no-ldflags.log"; status=1
fi
exit $status
