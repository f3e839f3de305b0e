#!/usr/bin/env bash
# run_arm64.sh SRCDIR AARCH64_GCC_PLUGIN OUT
# run_arm64.sh SRCDIR CLANG_PLUGIN OUT clang CLANG
# Promotion of indirect calls on arm64, end to end, under qemu-aarch64
# (run.sh's arm64 counterpart; docs/GUIDE.md "Promoted indirect calls"):
# the runtime cross-built (its shared library, OUT/build-aarch64),
# promote_e2e.c and its library built by aarch64-linux-gnu-gcc plain and
# with the promote flags (-mharden-sls=blr, -fplugin-arg-...-promote),
# also with -mbranch-protection=standard. Every build prints the same
# checksums (8 threads); the promoted one under STATICCALL_PROMOTE=on
# (default), freeze and off, STATICCALL_DISABLE=1 and STATICCALL_SEAL=code.
# With promotion on: sites promoted, none rejected, no tail site (arm64
# tail calls stay `br`), the megamorphic one given up on, each site's state
# and targets as expected; static_call_seal(CODE) puts every site back;
# STATICCALL_REPORT=1 lines (no site left on the compiler's thunk);
# the sites are `bl` to the object's own hidden thunks (no PLT, no `blr`
# left in the compiled functions). Exits 77 (skipped) without the cross
# toolchain, qemu or the aarch64 GCC plugin.
# With `clang CLANG`: the same built by CLANG --target=aarch64-linux-gnu
# with the Clang plugin (clang_promote_cflags: -mharden-sls=blr, anchored
# sites whose `bl` calls LLVM's own __llvm_slsblr_thunk_xN; the runtime
# points them at its sampling entries): the same checks, the sites in
# the files calling LLVM's thunks.
set -euo pipefail
SRC=$1 PLUGIN=$2 out=$3 KIND=${4:-gcc} CLANG=${5:-}
WHAT="promotion ($KIND, arm64)"
. "$SRC/cross/need-aarch64.sh"
if [ "$KIND" = clang ]; then
	command -v "$CLANG" >/dev/null 2>&1 || skip "no $CLANG"
	[ -n "$PLUGIN" ] && [ -f "$PLUGIN" ] || skip "no Clang plugin"
	CC="$CLANG --target=aarch64-linux-gnu"
	WHAT="promotion (${CLANG##*/}, arm64)"
else
	[ -n "$PLUGIN" ] && [ -f "$PLUGIN" ] || skip "no aarch64 GCC plugin (gcc-12-plugin-dev-aarch64-linux-gnu)"
fi
inc=$SRC/include
mkdir -p "$out"
B=$out/build-aarch64
if [ ! -f "$B/build.ninja" ]; then
	meson setup "$B" "$SRC" --cross-file "$SRC/cross/aarch64-linux-gnu.ini" >"$out/setup.log" 2>&1 ||
		{ cat "$out/setup.log"; exit 1; }
fi
meson compile -C "$B" staticcall:shared_library >"$out/compile.log" 2>&1 ||
	{ cat "$out/compile.log"; exit 1; }
rtdir=$B/runtime
cc=$CC
. "$SRC/tests/promote/lib.sh"

if [ "$KIND" = clang ]; then
	promote=(-fplugin="$PLUGIN" -fplugin-arg-staticcall_clang-promote
		-mharden-sls=blr)
else
	promote=(-fplugin="$PLUGIN" -fplugin-arg-staticcall_gcc_aarch64-promote
		-mharden-sls=blr)
fi
build plain
build promote "${promote[@]}"
build bti "${promote[@]}" -mbranch-protection=standard

# qemu-user is slow: 40,000 iterations per thread (4 phases)
export PROMOTE_E2E_ITERS=40000
plain_results

learned() { # BUILD ENV (lib.sh's check)
	local b=$1 env=$2
	# the program's member, phased, array, param; the library's apply,
	# fold (2), dispatch; no tail site
	[ "$(stat "$out/err" sites)" = 8 ] &&
		[ "$(stat "$out/err" tail)" = 0 ] ||
		fail "$b $env: sites: $(cat "$out/err")"
	[ "$(stat "$out/err" promoted)" -ge 3 ] ||
		fail "$b $env: too few promoted: $(cat "$out/err")"
	# lib_apply's targets are the program's: far when the library lies
	# beyond 128 MiB of it (as on arm64 Linux), promoted when qemu maps
	# it nearer
	sites_are "$b" "$env" "member: promoted $f9" 'array: megamorphic' \
		'param: promoted (add,sub|sub,add)$' \
		'lib_apply: (far|promoted f[56](,f[56])*$)' \
		'lib_dispatch: promoted \?,\?$'
}
for b in promote bti; do
	check $b ""
done
for env in STATICCALL_PROMOTE=freeze STATICCALL_PROMOTE=off \
	STATICCALL_DISABLE=1 STATICCALL_SEAL=code; do
	check promote $env
done
# relayouts due from 1 ms after a promotion (docs/PATCHING.md "Stub
# layout"): the same results, sites moved to copies ordered by their
# hit counters
check promote "STATICCALL_PROMOTE_RELAYOUT=1 STATICCALL_REPORT=1"
grep -Eq '/promote_e2e: .* [1-5] relayouts \([1-9][0-9]* sites moved\); ' "$out/err" ||
	fail "relayout: $(cat "$out/err")"

# Hit counters (docs/PATCHING.md "Hit counters"): each promoted site's
# stub counts its hits and misses (the inspector reads them, below);
# off, no stub counts
run promote >/dev/null 2>"$out/err"
[ "$(stat "$out/err" hits)" -gt 100000 ] ||
	fail "hit counters: $(cat "$out/err")"
grep -Eq '^hits param: [0-9]+,[0-9]+ misses=[0-9]+$' "$out/err" ||
	fail "param's hits: $(cat "$out/err")"
run promote STATICCALL_PROMOTE_COUNT=0 >/dev/null 2>"$out/err"
[ "$(stat "$out/err" hits)" = 0 ] && ! grep -q '^hits ' "$out/err" &&
	[ "$(stat "$out/err" promoted)" -ge 3 ] ||
	fail "STATICCALL_PROMOTE_COUNT=0: $(cat "$out/err")"
# Demotion by miss rate: a site calling one target 95% of the time and
# 12 others the rest keeps its stub with hit counters; without them its
# misses demote it until it is given up on
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_rate.c" \
	-o "$out/promote/promote_rate" "${rt[@]}"
"$QEMU" "$out/promote/promote_rate" >"$out/rate"
grep -Eq '^rate: promoted demotions=0 kept=[1-9]' "$out/rate" ||
	fail "rate: $(cat "$out/rate")"
STATICCALL_PROMOTE_COUNT=0 "$QEMU" "$out/promote/promote_rate" >"$out/rate"
grep -Eq '^rate: [a-z]+ demotions=[1-9]' "$out/rate" ||
	fail "rate without counters: $(cat "$out/rate")"

# static_call_seal(CODE) after learning: every site back as compiled
check_sealed 8 8

# STATICCALL_REPORT=1: a line per object, no site left on the compiler's
# thunk (Clang: each moved to the runtime's sampling entry)
run promote STATICCALL_REPORT=1 >/dev/null 2>"$out/err"
for o in promote_e2e libpromote_lib.so; do
	grep -Eq "^staticcall: promote: .*/$o: 4 sites: [0-9]+ promoted, .*, 0 on the compiler's thunk, " \
		"$out/err" || fail "report: $(cat "$out/err")"
done

# The inspector's view of the files (STATICCALL_INSPECT names it): each
# object's sites, `blr xN` on the thunk it calls as compiled (Clang:
# LLVM's, its register read from it).
if [ -n "${STATICCALL_INSPECT:-}" ]; then
	on=thunk
	[ "$KIND" = clang ] && on=sls-thunk
	for f in promote_e2e:4:'member|phased|array|param' \
		libpromote_lib.so:4:'lib_apply|lib_fold|lib_dispatch'; do
		file=$out/promote/${f%%:*} want=${f#*:}
		"$STATICCALL_INSPECT" "$file" >"$out/inspect" 2>&1 ||
			fail "inspect $file: $(cat "$out/inspect")"
		grep -q "^  ${want%%:*} promotable sites" "$out/inspect" &&
			[ "$(grep -Ec "^    0x[0-9a-f]+ +(${want#*:})(\.[a-z0-9.]*)?\+0x[0-9a-f]+ +blr x[0-9]+, $on\$" \
				"$out/inspect")" = "${want%%:*}" ] ||
			fail "inspect $file: $(cat "$out/inspect")"
	done
	echo "inspector: $(grep -c 'blr x' "$out/inspect") sites of the library, $on"
	# and of the running process (qemu's guest addresses are its own),
	# the states the runtime's view tells as on x86-64:
	# inspect_live FILE CHECK [ENV...]: `--pid` of the promoted program
	# (under ENV) into FILE until CHECK PID passes; 30 s at the most
	inspect_live() {
		local file=$1 check=$2 pid seen=
		shift 2
		env "$@" PROMOTE_E2E_ITERS=1000000000 "$QEMU" \
			"$out/promote/promote_e2e" >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 60); do
			sleep 0.5
			if "$STATICCALL_INSPECT" --pid "$pid" >"$file" 2>&1 &&
				"$check" "$pid"; then
				seen=1
				break
			fi
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ -n "$seen" ]
	}
	# the two-target site promoted, its stub's targets named with their
	# hit counts; the megamorphic one given up (text and --json)
	learned_live() { # PID
		grep -A2 -E " param(\.[a-z0-9.]*)?\+0x[0-9a-f]+ +blr x[0-9]+, $on; live: promoted, stub 0x" \
			"$out/live" | grep -Eq -- '-> 0x[0-9a-f]+ (add|sub) \(promote_e2e\): [0-9]+ hits' &&
			grep -Eq " array(\.[a-z0-9.]*)?\+0x[0-9a-f]+ +blr x[0-9]+, $on; live: megamorphic\$" \
				"$out/live" &&
			"$STATICCALL_INSPECT" --json --pid "$1" >"$out/live.json" 2>&1 &&
			grep -Eq '"function": "array(\.[a-z0-9.]*)?", .*"live": "megamorphic"' \
				"$out/live.json"
	}
	inspect_live "$out/live" learned_live ||
		fail "inspect --pid: $(cat "$out/live" "$out/live.json" 2>/dev/null)"
	echo "inspector --pid: $(grep -c 'live: promoted' "$out/live") sites promoted"
	# STATICCALL_PROMOTE=off: every site off (Clang's on LLVM's thunk too)
	all_off() { # PID
		[ "$(grep -Ec "blr x[0-9]+, $on; live: off\$" "$out/live-off")" = 8 ]
	}
	inspect_live "$out/live-off" all_off STATICCALL_PROMOTE=off ||
		fail "inspect --pid, promotion off: $(cat "$out/live-off")"
fi

# Clang: the sites are `bl` to LLVM's own SLS thunks (hidden: no PLT),
# the record of each an anchor; no `blr` is left in the promoted
# functions. (Also the opted-out one: unrecorded, on the same thunk.)
if [ "$KIND" = clang ]; then
	for f in "$out/promote/promote_e2e" "$out/promote/libpromote_lib.so" \
		"$out/bti/promote_e2e"; do
		dis=$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$f")
		if grep -q '__llvm_slsblr_thunk_x[0-9]*@plt' <<<"$dis"; then
			fail "$f: thunk through a PLT"
		fi
		grep -Eq 'bl[[:space:]]+[0-9a-f]+ <__llvm_slsblr_thunk_x[0-9]+>' <<<"$dis" ||
			fail "$f: no site calls an SLS thunk"
		for fn in member phased array param opted_out lib_apply \
			lib_fold lib_dispatch; do
			body=$(sed -n "/<$fn[.a-z0-9]*>:/,/^\$/p" <<<"$dis")
			if grep -Eq '[[:space:]]blr[[:space:]]' <<<"$body"; then
				fail "$f: $fn keeps a blr"
			fi
		done
	done
	echo "promotion (${CLANG##*/}, arm64): all checks passed"
	exit 0
fi

# The sites are `bl` to the object's own thunks (hidden: no PLT), which
# are the checked shape; no `blr` is left in the promoted functions
# (opted_out keeps GCC's own SLS thunk).
for f in "$out/promote/promote_e2e" "$out/promote/libpromote_lib.so"; do
	dis=$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$f")
	if grep -q '__staticcall_call_indirect_x[0-9]*@plt' <<<"$dis"; then
		fail "$f: thunk through a PLT"
	fi
	grep -Eq 'bl[[:space:]]+[0-9a-f]+ <__staticcall_call_indirect_x[0-9]+>' <<<"$dis" ||
		fail "$f: no site calls a thunk"
	for fn in member phased array param lib_apply lib_fold lib_dispatch; do
		body=$(sed -n "/<$fn[.a-z0-9]*>:/,/^\$/p" <<<"$dis")
		if grep -q 'blr' <<<"$body"; then
			fail "$f: $fn keeps a blr"
		fi
	done
done
objdump_main=$(aarch64-linux-gnu-objdump -d "$out/promote/promote_e2e")
sed -n '/<opted_out[.a-z0-9]*>:/,/^$/p' <<<"$objdump_main" |
	grep -q 'br[[:space:]]*x16' || fail "opted_out: not on GCC's SLS thunk"
# STATICCALL_PERF_MAP=1: each stub named by its register as arm64 spells
# it (x<N>)
run promote STATICCALL_PERF_MAP=1 >/dev/null 2>"$out/err"
take_perf_map "$out/perf.map"
[ "$(grep -cE '^[0-9a-f]+ [0-9a-f]+ staticcall_stub\[x[0-9]+\] site=' "$out/perf.map")" -ge 3 ] &&
	! grep -q 'staticcall_[a-z]*\[r' "$out/perf.map" ||
	fail "perf map: $(cat "$out/perf.map")"
echo "promotion (arm64): all checks passed"
