#!/usr/bin/env bash
# optional_header.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT
# A public header marking hooks through a copy of staticcall_optional.h
# (pub/hooks.h), used by a consumer (consumer.c) built
#   plain     library and consumer without the plugin nor staticcall's
#             include path, no runtime: a program without staticcall;
#   bare      library with the plugin (and the runtime), consumer without
#             the plugin nor the include path;
#   include   the same, the consumer with the include path;
#   plugin    both with the plugin.
# Every build gives the same results; a plain store from the consumer is
# routed only in `plugin`: elsewhere it leaves the library's site stale
# until static_call_resync().
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
src=$(dirname "$0")
mkdir -p "$out/pub"
cp "$src/pub/hooks.h" "$inc/staticcall_optional.h" "$out/pub/"
# a consumer's compiler must not find staticcall.h through a default path
if echo '#include <staticcall.h>' | $cc -E -x c - -o /dev/null 2>/dev/null; then
	echo "staticcall.h is on the compiler's default include path: cannot test without it"
	exit 77
fi
build() { # build NAME LIBRARY_FLAGS CONSUMER_FLAGS (each ends in libraries)
	local d="$out/$1"
	mkdir -p "$d"
	$cc -O2 -fPIC -shared -I"$out/pub" "$src/hooks_lib.c" $2 -o "$d/libhooks.so"
	$cc -O2 -I"$out/pub" "$src/consumer.c" -L"$d" -lhooks -Wl,-rpath,"$d" $3 \
		-o "$d/consumer"
}
rt="-L$lib -lstaticcall -Wl,-rpath,$lib"
build plain "" ""
build bare "$plugin -I$inc $rt" ""
# with <staticcall.h> found, the update API is the runtime's: linked
build include "$plugin -I$inc $rt" "-I$inc $rt"
build plugin "$plugin -I$inc $rt" "$plugin -I$inc $rt"
fail=0
for b in plain bare include plugin; do
	want=1
	case $b in plain | plugin) want=0 ;; esac
	if ! STATICCALL_LOG=error "$out/$b/consumer" >"$out/$b/out.txt" 2>"$out/$b/err.txt"; then
		echo "$b: failed"; cat "$out/$b/out.txt" "$out/$b/err.txt"; fail=1; continue
	fi
	grep -qx "stale after a plain store: $want" "$out/$b/out.txt" ||
		{ echo "$b: want $want stale site(s)"; cat "$out/$b/out.txt" "$out/$b/err.txt"; fail=1; }
done
# plain has no runtime at all; bare's consumer has no staticcall symbol
# but the weak references the runtime resolves
# (a here-string: under pipefail, `readelf | grep -q` fails whenever grep
# stops reading first, hiding the match)
if grep -q staticcall <<<"$(readelf -d "$out/plain/libhooks.so" "$out/plain/consumer")"; then
	echo "plain: linked with the runtime"; fail=1
fi
exit $fail
