#!/usr/bin/env bash
# badkey.sh CC INCLUDE RUNTIME_LIBDIR OUT
# dlopen of a library whose key descriptor names an unmapped address, or
# code: no crash, the bad key refused with its reason, the good key
# patched (badkey_lib.S, badkey_main.c).
set -euo pipefail
cc=$1 inc=$2 lib=$3 out=$4
dir=$(dirname "$0")
mkdir -p "$out"
$cc -O2 -I"$inc" "$dir/badkey_main.c" -L"$lib" -lstaticcall -ldl \
	-Wl,-rpath,"$lib" -o "$out/badkey"
for case in unmapped:0x1000 code:bk_add1; do
	name=${case%%:*} addr=${case#*:}
	$cc -shared -fPIC -DBAD_KEY="$addr" "$dir/badkey_lib.S" -L"$lib" \
		-lstaticcall -Wl,-rpath,"$lib" -o "$out/libbadkey-$name.so"
	rc=0
	"$out/badkey" "$out/libbadkey-$name.so" 2>"$out/$name.err" || rc=$?
	cat "$out/$name.err"
	[ $rc -eq 0 ] || { echo "$name: exit $rc"; exit 1; }
	case $name in
	unmapped) want='key descriptor names an address in no loaded object' ;;
	code) want='key descriptor names code' ;;
	esac
	grep -q "key descriptor 0 .*$want" "$out/$name.err" ||
		{ echo "$name: no warning naming the bad key"; exit 1; }
done
