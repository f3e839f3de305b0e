#!/usr/bin/env bash
# bind.sh CC PLUGIN_FLAGS INCLUDE STATIC_RUNTIME OUT [LIBS...]
# Lazy binding (bind_program.c): the binder's rules, a concurrency stress
# (4 s), and STATICCALL_BIND=eager; dlclose while other threads make
# first calls into the object being unloaded, with updates (bind_dlclose.c,
# 4 s lazy, 2 s eager). With STATICCALL_DEFER_MIN set, checks first that
# bind_program registers deferred. For an aarch64 CC (tests/arm64/run.sh)
# the programs run through $BIND_RUN (qemu-aarch64), the stress through
# $BIND_STRESS_RUN (qemu -singlestep: tests/arm64/run.sh says why).
set -euo pipefail
cc=$1 plugin=$2 inc=$3 archive=$4 out=$5
shift 5
mkdir -p "$out"
run=${BIND_RUN:-}
srun=${BIND_STRESS_RUN:-$run}
# the arch's call length and slot bind form (staticcall_abi.h)
case "$($cc -dumpmachine)" in
aarch64*) arch=(-DCALL_LEN=4 -DSLOT_BIND=0x17fffff8ull
		-DSLOT_BIND_MASK=0xffffffffull) ;;
*) arch=() ;;
esac
# shellcheck disable=SC2086
$cc -O2 $plugin -I"$inc" "${arch[@]}" "$(dirname "$0")/bind_program.c" \
	"$archive" "$@" -lpthread -ldl -o "$out/bind_program"
# dlclose while other threads make first calls (bind_dlclose.c, 4 s)
d=$(dirname "$0")
for c in a b; do
	# shellcheck disable=SC2086
	$cc -O2 -fPIC -shared $plugin -I"$inc" "${arch[@]}" \
		"$d/bind_dlclose_lib.c" -o "$out/bind_dlclose_$c.so"
done
# shellcheck disable=SC2086
$cc -O2 $plugin -I"$inc" "$d/bind_dlclose.c" -Wl,--export-dynamic \
	-Wl,--whole-archive "$archive" -Wl,--no-whole-archive "$@" \
	-lpthread -ldl -o "$out/bind_dlclose"
# STATICCALL_DEFER_MIN set ('every table deferred'): it must take effect
# (the output read whole: under pipefail, `prog | grep -q` fails when grep
# stops reading before prog's last write, which then gets SIGPIPE)
if [ -n "${STATICCALL_DEFER_MIN:-}" ] &&
	! grep -q '(deferred:' <<<"$(STATICCALL_BIND=lazy STATICCALL_LOG=info \
		$run "$out/bind_program" args 2>&1)"; then
	echo "bind.sh: STATICCALL_DEFER_MIN=$STATICCALL_DEFER_MIN: not registered deferred" >&2
	exit 1
fi
STATICCALL_BIND=lazy $run "$out/bind_program" args
STATICCALL_BIND=lazy $run "$out/bind_program" unit
STATICCALL_BIND=lazy $srun "$out/bind_program" stress
STATICCALL_BIND=eager $run "$out/bind_program" eager
STATICCALL_BIND=eager $srun "$out/bind_program" stress
# (under plain qemu on arm64: every form a stale translation could run
# reaches one of the keys' values, which is all it checks)
STATICCALL_BIND=lazy $run "$out/bind_dlclose" "$out" 4
STATICCALL_BIND=eager $run "$out/bind_dlclose" "$out" 2
