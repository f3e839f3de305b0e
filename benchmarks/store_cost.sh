#!/usr/bin/env bash
# store_cost.sh [ROUNDS] - what routing stores into memory that may hold
# field keys costs (store_cost.c), with the GCC plugin (CC=clang-19: the
# Clang plugin). Needs a built tree (scripts/build.sh); STATICCALL_BUILD
# picks another one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$(bench_dir store)
cc=${CC:-gcc}
case $(basename "$cc") in
clang*) var=clang_cflags ;;
*) var=gcc_cflags ;;
esac
plugin=$(pc $var)
$cc -O2 -Iinclude -c benchmarks/store_cost_plain.c -o "$out/plain.o"
$cc -O2 -Iinclude $plugin -c benchmarks/store_cost_routed.c -o "$out/routed.o"
$cc -O2 -Iinclude -c benchmarks/store_cost.c -o "$out/main.o"
$cc -o "$out/store_cost" "$out/main.o" "$out/plain.o" "$out/routed.o" \
	-L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
"$out/store_cost" "${1:-11}" | tee "$out/store.txt"
# Key-free stores must be the plain build's code, not only its time (the
# timings of a loaded machine wander): the instructions of each pair,
# addresses and names aside.
for f in fill_unrelated fill_chosen; do
	body() {
		objdump -d --no-show-raw-insn "$out/$2.o" |
			awk -v f="${f}_$1" '$2 == "<" f ">:" {on=1; next} /^$/ {on=0} on' |
			sed -e 's/^ *[0-9a-f]*://' -e 's/#.*//' -e 's/<[^>]*>//g' -e 's/0x[0-9a-f]*//g' \
				-e 's/[0-9a-f]\{4,\}//g'
	}
	if [ "$(body plain plain)" = "$(body routed routed)" ] && [ -n "$(body plain plain)" ]; then
		echo "$f: routed build's code = plain build's"
	else
		echo "$f: routed build's code differs from the plain build's"
		diff <(body plain plain) <(body routed routed) || true
	fi
done
