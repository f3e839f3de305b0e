#!/usr/bin/env bash
# run.sh CC INCLUDE RUNTIME_DIR PLUGIN OUT
# Promotion of indirect calls, end to end (docs/GUIDE.md "Promoted
# indirect calls"): promote_e2e.c and its shared library built plain and
# with the promote flags (retpoline thunks, -fplugin-arg-...-promote),
# also with -fcf-protection=full. Every build prints the same checksums;
# the promoted one under STATICCALL_PROMOTE=on (default), freeze and off,
# STATICCALL_DISABLE=1 and STATICCALL_SEAL=code (no code change). With
# promotion on (one site's target changing every 10,000 calls of each
# thread, out of step: promotions, widenings and demotions while 8
# threads call): sites promoted (the tail call too), none rejected, the
# megamorphic one given up on, each site's state and targets as expected, the library's callbacks into the program
# found out of reach; STATICCALL_REPORT=1 lines; STATICCALL_PERF_MAP=1
# naming the stubs; the thunks are the retpoline, local to each object
# (no PLT), and no indirect call or jump is left in the code; a unit
# whose thunk calls and jumps are all unrecorded (a computed goto, an
# opted-out function) still defines its thunks, as one with static calls
# (their trampolines' thunk).
set -euo pipefail
cc=$1 inc=$2 rtdir=$3 plugin=$4 out=$5
src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
promote=(-fplugin="$plugin" -fplugin-arg-staticcall_gcc-promote
	-mindirect-branch=thunk-extern)
rt=(-L"$rtdir" -Wl,--no-as-needed -lstaticcall -Wl,--as-needed
	-Wl,-rpath,"$rtdir")
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
build() { # DIR FLAGS...
	local d=$out/$1
	shift
	mkdir -p "$d"
	$cc -O2 -Wall -Werror -I"$inc" "$@" -fPIC -shared \
		"$src/promote_lib.c" -o "$d/libpromote_lib.so"
	$cc -O2 -Wall -Werror -I"$inc" -I"$src" "$@" "$src/promote_e2e.c" \
		-o "$d/promote_e2e" -L"$d" -lpromote_lib -Wl,-rpath,"$d" \
		-pthread "${rt[@]}"
}
build plain
build promote "${promote[@]}"
build ibt "${promote[@]}" -fcf-protection=full

"$out/plain/promote_e2e" >"$out/want" 2>/dev/null
[ "$(wc -l <"$out/want")" = 8 ] || fail "plain build's output"

stat() { # FILE KEY
	sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p" "$1"
}
for b in promote ibt; do
	for env in "" STATICCALL_PROMOTE=on STATICCALL_PROMOTE=freeze \
		STATICCALL_PROMOTE=off STATICCALL_DISABLE=1 \
		STATICCALL_SEAL=code; do
		env $env "$out/$b/promote_e2e" >"$out/got" 2>"$out/err" ||
			fail "$b $env: exit status $?"
		cmp -s "$out/want" "$out/got" ||
			fail "$b $env: results differ from the plain build"
		grep -q '^stats:' "$out/err" || fail "$b $env: no statistics"
		promoted=$(stat "$out/err" promotions)
		case "$env" in
		*off | *DISABLE=1 | *SEAL=code)
			[ "$promoted" = 0 ] || fail "$b $env: promoted"
			;;
		*)
			[ "$(stat "$out/err" objects)" = 2 ] ||
				fail "$b $env: both objects registered"
			[ "$(stat "$out/err" rejected)" = 0 ] ||
				fail "$b $env: sites rejected"
			# the member, tail, parameter, library-internal sites
			[ "$(stat "$out/err" promoted)" -ge 4 ] ||
				fail "$b $env: too few promoted: $(cat "$out/err")"
			[ "$(stat "$out/err" megamorphic)" -ge 1 ] ||
				fail "$b $env: the 16-target site promoted"
			[ "$(stat "$out/err" tail)" = 1 ] &&
				[ "$(stat "$out/err" tail_unlearned)" = 0 ] ||
				fail "$b $env: the tail site: $(cat "$out/err")"
			# the library's callbacks into the program
			[ "$(stat "$out/err" far)" -ge 1 ] ||
				fail "$b $env: no far site: $(cat "$out/err")"
			# each site's state (static_call_promote_sites);
			# frozen, the phase-changing ones keep what they
			# learned first
			f9='.*f9'
			[ "$env" != STATICCALL_PROMOTE=freeze ] || f9=
			for want in "member: promoted $f9" \
				"tail_member: promoted $f9" \
				'array: megamorphic' \
				'param: promoted (add,sub|sub,add)$' \
				'lib_apply: far' 'lib_dispatch: promoted \?,\?$'; do
				grep -Eq "^site $want" "$out/err" ||
					fail "$b $env: no 'site $want': $(cat "$out/err")"
			done
			;;
		esac
		echo "$b ${env:-default}: $(grep ^stats "$out/err")"
	done
done

# static_call_seal(CODE) after learning: every site back as compiled
# (state sealed, none promoted), the same results
PROMOTE_E2E_SEAL=1 "$out/promote/promote_e2e" >"$out/got" 2>"$out/err"
grep -q '^seal: 0$' "$out/err" || fail "seal: $(cat "$out/err")"
[ "$(sed -n 's/^after seal: //p' "$out/err")" = \
	"$(sed -n 's/^thread 0: //p' "$out/want")" ] ||
	fail "after seal: another result"
sed -n '/^after seal/,$p' "$out/err" | grep '^site' >"$out/sealed"
[ "$(wc -l <"$out/sealed")" -ge 8 ] &&
	! grep -v ': sealed$' "$out/sealed" ||
	fail "after seal: $(cat "$out/err")"

# STATICCALL_REPORT=1: a line per object as it goes
STATICCALL_REPORT=1 "$out/promote/promote_e2e" 2>"$out/err" >/dev/null
grep -Eq '^staticcall: promote: .*/promote_e2e: 5 sites: [0-9]+ promoted' \
	"$out/err" || fail "report: $(cat "$out/err")"
grep -Eq '^staticcall: promote: .*/libpromote_lib.so: 4 sites: .* 3 far' \
	"$out/err" || fail "report: $(cat "$out/err")"

# STATICCALL_PERF_MAP=1: every stub named in /tmp/perf-PID.map
STATICCALL_PERF_MAP=1 "$out/promote/promote_e2e" 2>"$out/err" >/dev/null
map=/tmp/perf-$(stat "$out/err" pid).map
[ -f "$map" ] || fail "no $map"
lines=$(grep -cE '^[0-9a-f]+ [0-9a-f]+ staticcall_(stub|slow)\[r[0-9]+\] site=promote_e2e\+0x[0-9a-f]+' "$map" || true)
rm -f "$map"
[ "$lines" -ge 4 ] || fail "perf map: $lines stub lines"

# The slow path is the unit's retpoline, defined in each object (no
# PLT), and nothing else jumps or calls through a register or memory.
for f in "$out/promote/promote_e2e" "$out/promote/libpromote_lib.so"; do
	dis=$(objdump -d --no-show-raw-insn "$f")
	# (here-strings: under pipefail, `echo | grep -q` fails when grep
	# stops reading first)
	if grep -q 'thunk_[a-z0-9]*@plt' <<<"$dis"; then
		fail "$f: thunk through a PLT"
	fi
	thunk=$(echo "$dis" | sed -n '/<__x86_indirect_thunk_rax>:/,/^$/p')
	for insn in pause lfence 'mov    %rax,(%rsp)' ret; do
		grep -q "$insn" <<<"$thunk" ||
			fail "$f: thunk without $insn"
	done
	# (the C start-up files' own, not compiled here, aside)
	echo "$dis" | awk '/^Disassembly of section/ { s = $4 }
		/^[0-9a-f]+ <.*>:$/ { fn = $2 }
		fn ~ /^<(_start|deregister_tm_clones|register_tm_clones|__do_global_dtors_aux|frame_dummy)>:$/ { next }
		s == ".text:" && /(call|jmp) +\*/ { print fn, $0; bad = 1 }
		END { exit bad }' || fail "$f: an indirect branch in .text"
done
# staticcall_no_promote: opted_out's call is the retpoline's, unrecorded
# (the report's 5 sites above are the others)
objdump -d "$out/promote/promote_e2e" | sed -n '/<opted_out[.a-z0-9]*>:/,/^$/p' |
	grep -q 'call.*__x86_indirect_thunk_' ||
	fail "opted_out: no thunk call"

# IBT: the unit's object keeps its IBT property with the plugin's text
# (Debian's crt files have none, so linked files lose it either way).
$cc -O2 -I"$inc" "${promote[@]}" -fcf-protection=full -fPIC -c \
	"$src/promote_lib.c" -o "$out/ibt/promote_lib.o"
notes=$(readelf -n "$out/ibt/promote_lib.o")
grep -q 'x86 feature: IBT' <<<"$notes" ||
	fail "IBT build without the IBT property"

# A unit whose thunk calls and jumps are all unrecorded (a computed goto,
# an opted-out function's call) still defines the thunks it goes through.
$cc -O2 -Wall -Werror "${promote[@]}" "$src/promote_unrecorded.c" \
	-o "$out/promote_unrecorded" "${rt[@]}" ||
	fail "promote_unrecorded.c: no thunk for an unrecorded jump or call"
dis=$(objdump -d "$out/promote_unrecorded")
grep -q 'jmp.*__x86_indirect_thunk_' <<<"$dis" ||
	fail "promote_unrecorded: the computed goto is not on a thunk"
"$out/promote_unrecorded" || fail "promote_unrecorded: wrong result"
# A unit with static calls (trampolines on thunk r11) and promotion.
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_with_keys.c" \
	-o "$out/promote_with_keys" "${rt[@]}" ||
	fail "promote_with_keys.c: no thunk for the static calls' trampolines"
"$out/promote_with_keys" || fail "promote_with_keys: wrong result"
echo "promotion: all checks passed"
