# tests/promote/lib.sh - sourced by run.sh (x86-64) and run_arm64.sh
# (under qemu): what both do alike with promote_e2e.c and its library.
# Needs cc (the compiler, with any --target), inc (include/), rtdir (the
# runtime's library), out (the output directory) and, under qemu, QEMU.
# A script defines learned BUILD ENV, which check calls.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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
run() { # BUILD [ENV...]: its promote_e2e
	local b=$1
	shift
	env "$@" ${QEMU:+"$QEMU"} "$out/$b/promote_e2e"
}
stat() { # FILE KEY
	sed -n "s/.*[ :]$2=\([0-9]*\).*/\1/p" "$1"
}
# The plain build's results ($out/want), which every other build prints.
plain_results() {
	run plain >"$out/want" 2>/dev/null
	[ "$(wc -l <"$out/want")" = 8 ] || fail "plain build's output"
}

# check BUILD ENV: the plain build's results and the runtime's statistics;
# off, disabled or sealed, nothing promoted; learning, both objects
# registered, no site rejected, the 16-target one given up on, and what
# the script's learned BUILD ENV checks (f9: the pattern of the target a
# phase-changing site learns last, none when frozen).
check() {
	local b=$1 env=$2
	run "$b" $env >"$out/got" 2>"$out/err" || fail "$b $env: exit status $?"
	cmp -s "$out/want" "$out/got" ||
		fail "$b $env: results differ from the plain build"
	grep -q '^stats:' "$out/err" || fail "$b $env: no statistics"
	case "$env" in
	*off | *DISABLE=1 | *SEAL=code)
		[ "$(stat "$out/err" promotions)" = 0 ] || fail "$b $env: promoted"
		;;
	*)
		[ "$(stat "$out/err" objects)" = 2 ] ||
			fail "$b $env: both objects registered"
		[ "$(stat "$out/err" rejected)" = 0 ] ||
			fail "$b $env: sites rejected: $(cat "$out/err")"
		[ "$(stat "$out/err" megamorphic)" -ge 1 ] ||
			fail "$b $env: the 16-target site promoted"
		local f9='.*f9'
		[ "$env" != STATICCALL_PROMOTE=freeze ] || f9=
		learned "$b" "$env"
		;;
	esac
	echo "$b ${env:-default}: $(grep ^stats "$out/err")"
}
sites_are() { # BUILD ENV WANT...: a line `site WANT` (ERE) for each
	local b=$1 env=$2 want
	shift 2
	for want; do
		grep -Eq "^site $want" "$out/err" ||
			fail "$b $env: no 'site $want': $(cat "$out/err")"
	done
}

# static_call_seal(CODE) after learning: the same result, every site back
# as compiled (state sealed, none promoted), at least MIN of them (and
# at most MAX).
check_sealed() { # MIN [MAX]
	local n
	run promote PROMOTE_E2E_SEAL=1 >"$out/got" 2>"$out/err"
	grep -q '^seal: 0$' "$out/err" || fail "seal: $(cat "$out/err")"
	[ "$(sed -n 's/^after seal: //p' "$out/err")" = \
		"$(sed -n 's/^thread 0: //p' "$out/want")" ] ||
		fail "after seal: another result"
	sed -n '/^after seal/,$p' "$out/err" | grep '^site' >"$out/sealed"
	n=$(wc -l <"$out/sealed")
	[ "$n" -ge "$1" ] && [ "$n" -le "${2:-$n}" ] &&
		! grep -v ': sealed$' "$out/sealed" ||
		fail "after seal: $(cat "$out/err")"
}

# STATICCALL_PERF_MAP=1: the last run's map (/tmp/perf-PID.map, its pid in
# $out/err) moved to DEST.
take_perf_map() { # DEST
	local map
	map=/tmp/perf-$(stat "$out/err" pid).map
	[ -f "$map" ] || fail "no $map"
	cp "$map" "$1"
	rm -f "$map"
}
