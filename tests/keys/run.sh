#!/usr/bin/env bash
# run.sh NAME CC INCLUDE RUNTIME_DIR OUT [PLUGIN_FLAGS...]
# Builds kernel_style.c with its shared library and dlopen'ed module, then
# runs it: linked with the runtime (every site patched; also under
# STATICCALL_DISABLE=1, every site on its load and test) and without the
# runtime (load and test, static calls plain); without PLUGIN_FLAGS also
# the stress test (keys_stress.c, 3 s). PLUGIN_FLAGS, if any, build
# the static calls through the plugin (the runtime is then always linked).
# RUN (environment): a wrapper for every program (qemu for arm64);
# STRESS_RUN: the stress test's (default RUN).
set -euo pipefail
run=${RUN:-}
stress_run=${STRESS_RUN:-$run}
name=$1 cc=$2 inc=$3 rtdir=$4 out=$5
shift 5
plugin=("$@")
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cflags=(-O2 -Wall -Wextra -Werror -Wno-unused-function -I"$inc")
# --no-as-needed: a plugin-free program refers to the runtime only
# weakly, which --as-needed (Debian's default) would drop.
rt=(-L"$rtdir" -Wl,--no-as-needed -lstaticcall -Wl,--as-needed
	-Wl,-rpath,"$rtdir")
build() { # DIR [extra link flags]
	local d=$out/$1
	shift
	mkdir -p "$d"
	$cc "${cflags[@]}" "${plugin[@]}" -fPIC -shared "$src/keys_lib.c" \
		-o "$d/libkeys_lib.so" "$@"
	$cc "${cflags[@]}" "${plugin[@]}" -fPIC -shared "$src/keys_dl.c" \
		-o "$d/libkeys_dl.so" -L"$d" -lkeys_lib "$@"
	$cc "${cflags[@]}" "${plugin[@]}" "$src/kernel_style.c" \
		-o "$d/kernel_style" -L"$d" -lkeys_lib -Wl,-rpath,"$d" \
		-ldl "$@"
}
# the guide's kernel-style snippet compiles unchanged
$cc "${cflags[@]}" "${plugin[@]}" -c "$src/guide_port.c" -o "$out/guide_port.o"
build runtime "${rt[@]}"
if [ -n "${INSPECT:-}" ]; then # the inspector lists every site, in JSON
	"$INSPECT" --json --no-source "$out/runtime/kernel_style" \
		"$out/runtime/libkeys_lib.so" | python3 -c '
import json, sys
files = json.load(sys.stdin)["files"]
got = [sorted((s["key"], s["branch"], s["compiled"])
              for s in f["static_key_sites"]) for f in files]
want = [sorted([("trace_key", "unlikely", "load-and-test"),
                ("fast_key", "likely", "load-and-test"),
                ("lib_key", "unlikely", "load-and-test"),
                ("plain_key", "unlikely", "load-and-test")]),
        sorted([("lib_key", "unlikely", "load-and-test"),
                ("lib_key", "likely", "load-and-test")])]
sys.exit(0 if got == want else "inspector: %r" % got)'
	# the live forms (--pid), trace_key enabled, the others as defined
	coproc "$out/runtime/kernel_style" serve
	read -r ready <&"${COPROC[0]}"
	[ "$ready" = ready ]
	"$INSPECT" --json --no-source --pid "$COPROC_PID" | python3 -c '
import json, sys
live = sorted((s["key"], s["branch"], s["live"])
              for f in json.load(sys.stdin)["objects"]
              for s in f.get("static_key_sites", []))
want = sorted([("trace_key", "unlikely", "jump"),
               ("fast_key", "likely", "nop"),
               ("lib_key", "unlikely", "nop"),
               ("plain_key", "unlikely", "nop"),
               ("lib_key", "unlikely", "nop"),
               ("lib_key", "likely", "jump")])
sys.exit(0 if live == want else "inspector --pid: %r" % live)'
	echo >&"${COPROC[1]}"
	wait "$COPROC_PID"
fi
$run "$out/runtime/kernel_style" patched
# STATICCALL_REPORT=1 / STATICCALL_VERIFY=1 at exit: each static key site
# with its form, a summary per object, no stale site
report() { # MODE [env...]
	local m=$1
	shift
	echo | env STATICCALL_REPORT=1 STATICCALL_VERIFY=1 "$@" \
		$run "$out/runtime/kernel_style" serve 2>&1 >/dev/null |
		python3 "$src/check_report.py" "$m"
}
report patched
report test STATICCALL_DISABLE=1
STATICCALL_DISABLE=1 $run "$out/runtime/kernel_style" test
if [ ${#plugin[@]} -eq 0 ]; then
	build plain
	$run "$out/plain/kernel_style" test
	# (a here-string: under pipefail, `readelf | grep -q` would fail
	# whenever grep stops reading first, hiding the match)
	if grep -q libstaticcall <<<"$(readelf -d "$out/plain/kernel_style")"; then
		echo "$name: the plain build links the runtime" >&2
		exit 1
	fi
fi
if [ ${#plugin[@]} -eq 0 ]; then
	# 8 threads running sites while both keys toggle, 3 s
	$cc "${cflags[@]}" "$src/keys_stress.c" -o "$out/keys_stress" \
		"${rt[@]}" -lpthread
	$stress_run "$out/keys_stress" 3
fi
echo "kernel-style program ($name): ok"
