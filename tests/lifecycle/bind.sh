#!/usr/bin/env bash
# bind.sh CC PLUGIN_FLAGS INCLUDE STATIC_RUNTIME OUT [LIBS...]
# Lazy binding (bind_program.c): the binder's rules, a concurrency stress
# (4 s), and STATICCALL_BIND=eager.
set -euo pipefail
cc=$1 plugin=$2 inc=$3 archive=$4 out=$5
shift 5
mkdir -p "$out"
# shellcheck disable=SC2086
$cc -O2 $plugin -I"$inc" "$(dirname "$0")/bind_program.c" "$archive" "$@" \
	-lpthread -ldl -o "$out/bind_program"
STATICCALL_BIND=lazy "$out/bind_program" unit
STATICCALL_BIND=lazy "$out/bind_program" stress
STATICCALL_BIND=eager "$out/bind_program" eager
STATICCALL_BIND=eager "$out/bind_program" stress
