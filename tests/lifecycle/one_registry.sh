#!/usr/bin/env bash
# one_registry.sh CC PLUGIN_FLAGS INCLUDE_DIR STATIC_RUNTIME OUT_DIR
# Builds the three objects of one_registry_*.c and runs the program; then
# the promotion case (one_registry_promote_*.c) on x86-64.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 archive=$4 out=$5
src=$(dirname "$0")
mkdir -p "$out"
for lib in a b; do
	$cc -O2 -fPIC -shared $plugin -I"$inc" "$src/one_registry_$lib.c" \
	    -Wl,-Bsymbolic -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
	    -lZydis -lZycore -lpthread -ldl -o "$out/libone_$lib.so"
done
$cc -O2 $plugin -I"$inc" "$src/one_registry_main.c" -L"$out" -lone_a -lone_b \
    -Wl,-rpath,"$out" -o "$out/one_registry"
"$out/one_registry"

# Promotion: library B in promote mode, A's copy serving: B's copy takes
# no table (one patcher per process).
if [ "$(uname -m)" = x86_64 ]; then
	$cc -O2 -fPIC -shared $plugin -fplugin-arg-staticcall_gcc-promote \
	    -mindirect-branch=thunk-extern -I"$inc" \
	    "$src/one_registry_promote_b.c" \
	    -Wl,-Bsymbolic -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
	    -lZydis -lZycore -lpthread -ldl -o "$out/libone_bp.so"
	$cc -O2 -I"$inc" "$src/one_registry_promote_main.c" -L"$out" -lone_a \
	    -lone_bp -Wl,-rpath,"$out" -o "$out/one_registry_promote"
	"$out/one_registry_promote"
fi
