#!/usr/bin/env bash
# tests/lto/lto_clang.sh CC 'CFLAGS' 'LDFLAGS' INCLUDE RUNTIME_LIBDIR OUT [CXX]
# Clang -flto and -flto=thin with lld (docs/GUIDE.md, "Link-time
# optimisation"; lto.sh is GCC's): units compiled with the plugin's CFLAGS
# plus -flto[=thin], linked with -flto[=thin] plus its LDFLAGS (lld and the
# link-time pass), as a build system would. lto_a.c and lto_c.c check every
# result themselves; here every site must also be registered and direct
# (STATICCALL_REPORT): at -O0 and -O2, LTO at -O0 and -O2, full LTO in
# partitions, ThinLTO backends in parallel, -ffunction-sections with
# --gc-sections, three units' static keys of one name (one reached only
# through a function inlined into another unit), a dead caller, a shared
# library built with -flto, a non-LTO object in the link; with CXX, a C++
# program; and a link that forgets LDFLAGS must fail naming a trampoline.
set -euo pipefail
# shellcheck source=lto_common.sh
. "$(dirname "$0")/lto_common.sh"

for lto in -flto -flto=thin; do
	t=${lto#-flto}; t=${t:-=full}; t=${t#=}
	for opt in -O0 -O2; do
		for u in a b c d; do
			$cc $opt $lto -fPIE -ffunction-sections $cflags -I"$inc" \
				-c "$src/lto_$u.c" -o "$out/$u-$t$opt.o"
		done
		ab=("$out/a-$t$opt.o" "$out/b-$t$opt.o")
		cdb=("$out/c-$t$opt.o" "$out/d-$t$opt.o" "$out/b-$t$opt.o")
		# full: one and two partitions; thin: one and two backends.
		if [ "$t" = full ]; then
			par=(-Wl,--lto-partitions=1 -Wl,--lto-partitions=2)
		else
			par=(-Wl,--thinlto-jobs=1 -Wl,--thinlto-jobs=2)
		fi
		for p in "${par[@]}" -Wl,--lto-O0 -Wl,--gc-sections; do
			name="$lto $opt ${p#-Wl,}"
			o=$out/ab-$t$opt${p#-Wl,-}
			link "$name" "$o" $opt $lto -pie $ldflags $p "${ab[@]}" \
				"${rt[@]}" && run "$name" "$o" 8
			o=$out/cdb-$t$opt${p#-Wl,-}
			link "$name (lto_c, lto_d)" "$o" $opt $lto -pie $ldflags \
				$p "${cdb[@]}" "${rt[@]}" &&
				run "$name (lto_c, lto_d)" "$o" 5
		done
	done

	# The key-defining unit as an -flto shared library, the caller as PIE.
	$cc -O2 $lto -fPIC $cflags -I"$inc" -c "$src/lto_b.c" -o "$out/b-$t-pic.o"
	if link "$lto shared library" "$out/liblto_b_$t.so" -O2 $lto -shared \
		$ldflags "$out/b-$t-pic.o" "${rt[@]}" &&
		link "$lto program of the library" "$out/lto-shared-$t" -O2 $lto \
			-pie $ldflags "$out/a-$t-O2.o" -L"$out" -llto_b_$t \
			-Wl,-rpath,"$out" "${rt[@]}"; then
		# (The program's sites reach into the library, out of rel32
		# range: they stay on their trampolines, as without -flto.)
		run "$lto, keys in an $lto shared library" "$out/lto-shared-$t" 5 \
			"$out/liblto_b_$t.so"
	fi

	# An ordinary object in the LTO link: lto_a.c without -flto, its keys'
	# tables beside those LTO writes for the same keys.
	$cc -O2 -fPIE $cflags -I"$inc" -c "$src/lto_a.c" -o "$out/a-plain.o"
	o=$out/mixed-$t
	link "$lto with a non-LTO object" "$o" -O2 $lto -pie $ldflags \
		"$out/a-plain.o" "$out/b-$t-O2.o" "${rt[@]}" &&
		run "$lto with a non-LTO object" "$o" 8

	# C++: namespace-scope and static keys across units (mangled names).
	if [ -n "$cxx" ]; then
		for u in a b; do
			$cxx -O2 $lto -fPIE $cflags -I"$inc" \
				-c "$src/lto_cxx_$u.cc" -o "$out/cxx_$u-$t.o"
		done
		o=$out/lto-cxx-$t
		sc_link_driver=$cxx link "$lto C++" "$o" -O2 $lto -pie $ldflags \
			"$out/cxx_a-$t.o" "$out/cxx_b-$t.o" "${rt[@]}" &&
			run "$lto, C++" "$o" 4
	fi

	# Forgetting LDFLAGS: the link runs no pass of ours and must fail on
	# the trampolines, never produce a program.
	nl=$out/no-ldflags-$t
	if $cc -O2 $lto -fuse-ld=lld -pie "${ab[@]}" "${rt[@]}" -o "$nl" \
		>"$nl.log" 2>&1; then
		echo "FAIL $lto: a link without the plugin's LDFLAGS succeeded"
		status=1
	elif grep -q "undefined hidden symbol: __staticcall_tramp" "$nl.log"; then
		echo "PASS $lto: a link without LDFLAGS fails: $(grep -m1 undefined "$nl.log")"
	else
		echo "FAIL $lto: a link without LDFLAGS failed otherwise:"
		cat "$nl.log"; status=1
	fi
done
exit $status
