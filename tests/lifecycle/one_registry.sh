#!/usr/bin/env bash
# one_registry.sh CC PLUGIN_FLAGS INCLUDE_DIR STATIC_RUNTIME OUT_DIR
# Builds the three objects of one_registry_*.c and runs the program.
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
