#!/usr/bin/env bash
# wx.sh CC PLUGIN_FLAGS INCLUDE RUNTIME_LIBDIR OUT: W^X policies and
# static_call_seal (wx_program.c says what each mode checks). A policy
# present from the start: correct, exactly one W^X warning. Installed after
# static_call_seal(CODE) or under STATICCALL_SEAL: correct, no stale site.
# Installed without a seal: stores report their stale sites by name, and
# STATICCALL_ON_STALE=abort aborts. static_call_seal(UPDATES): -EPERM, and
# the text mseal'ed where the kernel has mseal. Built without -g: a stale
# report names file:line from the plugin's lines table, not from DWARF.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 lib=$4 out=$5
src=$(dirname "$0")
mkdir -p "$out"
$cc -O2 -I"$src" "$src/wx_exec.c" -o "$out/wx_exec"
$cc -O2 $plugin -I"$inc" -I"$src" "$src/wx_program.c" -L"$lib" \
    -lstaticcall -Wl,-rpath,"$lib" -o "$out/wx_program"
prog=$out/wx_program
fail() { echo "wx: $*"; exit 1; }

# run NAME EXPECTED_RC [ENV...] -- ARGS: stderr in $out/NAME.err
run() {
	local name=$1 want=$2 rc=0
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$@" >"$out/$name.out" 2>"$out/$name.err" || rc=$?
	cat "$out/$name.out"
	sed 's/^/  stderr: /' "$out/$name.err"
	[ $rc -eq 77 ] && { echo "wx: $name: no seccomp here: skipped"; exit 77; }
	[ $rc -eq "$want" ] || fail "$name: exit status $rc, expected $want"
}

# 1. a policy present from the start
run start 0 -- "$out/wx_exec" "$prog"
warnings=$(grep -c 'W^X' "$out/start.err" || true)
[ "$warnings" -eq 1 ] || fail "start: expected one W^X report, got $warnings"

# 2. a policy installed after static_call_seal(CODE), and under
#    STATICCALL_SEAL=code / updates: correct, nothing stale, no error
for m in seal-code:STATICCALL_LOG=warn env-code:STATICCALL_SEAL=code \
	 env-updates:STATICCALL_SEAL=updates; do
	run "${m%%:*}" 0 "${m#*:}" -- "$prog" "${m%%:*}"
	! grep -q 'STALE\|error' "$out/${m%%:*}.err" ||
		fail "${m%%:*}: unexpected report on stderr"
done

# 3. a policy installed without a seal: stale sites named, loudly. Every
#    site bound at start-up (STATICCALL_BIND=eager), so every one is stale;
#    under lazy binding the sites that never ran stay on their trampolines
#    and follow the key (fewer stale sites, checked below).
run no-seal-lazy 0 STATICCALL_BIND=lazy -- "$prog" no-seal
[ "$(grep -c 'STALE site .* m[1-7]+0x' "$out/no-seal-lazy.err")" -eq 0 ] ||
	fail "no-seal-lazy: a site that never ran is reported stale"
run no-seal 0 STATICCALL_BIND=eager -- "$prog" no-seal
err=$out/no-seal.err
grep -q 'STALE site .* call_static[.a-z0-9]*+0x[0-9a-f]* (.*wx_program+0x' "$err" ||
	fail "no-seal: the static function's site is not named"
grep -q 'STALE site .* m[0-7]+0x' "$err" ||
	fail "no-seal: the sites of key many are not named"
grep -q '\.\.\. and [0-9]* more STALE sites of key' "$err" ||
	fail "no-seal: the report of key many is not rate-limited"
[ "$(grep -c 'STALE site .* m[0-7]+0x' "$err")" -eq 3 ] ||
	fail "no-seal: expected 3 named sites of key many"
grep -q 'STALE site .* mcall+0x' "$err" ||
	fail "no-seal: the member store's site is not reported"
# each names its source line (the lines table; no -g)
line_of() { grep -n -F "$1" "$src/wx_program.c" | head -1 | cut -d: -f1; }
for s in "call_static[.a-z0-9]*+0x[0-9a-f]* .* at [^ ]*wx_program\.c:$(line_of 'return wk(x + 2);') " \
	 "mcall+0x[0-9a-f]* .* at [^ ]*wx_program\.c:$(line_of 'int mcall(int x)') "; do
	grep -q "STALE site .* $s" "$err" ||
		fail "no-seal: no report names ${s##* at }"
done
[ "$(grep 'STALE site ' "$err" | grep -vc ' at [^ ]*wx_program\.c:[0-9]* keeps')" -eq 0 ] ||
	fail "no-seal: a stale report without its file:line"
# STATICCALL_ON_STALE=abort: the first stale site aborts (SIGABRT: 134)
run no-seal-abort 134 STATICCALL_ON_STALE=abort STATICCALL_BIND=eager -- "$prog" no-seal
[ "$(grep -c 'STALE site' "$out/no-seal-abort.err")" -eq 1 ] ||
	fail "no-seal-abort: expected exactly one report before the abort"
grep -q 'stores done' "$out/no-seal-abort.out" &&
	fail "no-seal-abort: the program went on"

# 4. static_call_seal(UPDATES): refused updates, mseal where available
run seal-updates 0 -- "$prog" seal-updates
grep -q 'STALE site .* (updates are sealed)' "$out/seal-updates.err" ||
	fail "seal-updates: the store's stale sites are not reported"
grep -q 'mseal: not in this kernel' "$out/seal-updates.out" &&
	echo "wx: mseal not in kernel $(uname -r): mseal check skipped"
echo "wx: ok"
