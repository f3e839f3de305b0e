#!/usr/bin/env bash
# mixed.sh GCC GCC_FLAGS CLANG CLANG_FLAGS INCLUDE RUNTIME_LIBDIR OUT
# A program from both compilers: a Clang shared library defining the key,
# a GCC object and a Clang object in the executable, all calling it; and a
# field key of an object in that library, stored through a pointer by GCC code.
set -euo pipefail
gcc=$1 gflags=$2 clang=$3 cflags=$4 inc=$5 lib=$6 out=$7
src=$(dirname "$0")
mkdir -p "$out"
$clang -O2 -fPIC -shared $cflags -I"$inc" "$src/mixed_lib.c" -o "$out/libmixed.so"
$gcc -O2 -fPIE $gflags -I"$inc" -c "$src/mixed_gcc.c" -o "$out/mixed_gcc.o"
$clang -O2 -fPIE $cflags -I"$inc" -c "$src/mixed_main.c" -o "$out/mixed_main.o"
$gcc -pie "$out/mixed_main.o" "$out/mixed_gcc.o" -L"$out" -lmixed \
    -L"$lib" -lstaticcall -Wl,-rpath,"$out" -Wl,-rpath,"$lib" -o "$out/mixed"
"$out/mixed"
