#!/bin/sh
# tests/hardening/properties.sh - the runtime keeps its users' control-flow
# hardening marked (runtime/meson.build, runtime_hardening).
#
#   properties.sh ARCHIVE 'FEATURES' CC...
#
# Links every member of the runtime's static archive into one relocatable
# object, as a program's link would (the linker ANDs the x86 IBT/SHSTK and
# AArch64 BTI/PAC properties of its inputs: one unmarked member strips the
# marking of a hardened program that links the archive), and checks that
# the result still carries FEATURES (readelf's text, e.g. "IBT, SHSTK").
# Names each member that lacks them. A shared libstaticcall.so is built
# from the same objects; its own note also needs the C library's start
# files marked, which Debian's are not (crti.o), so it is not checked.
set -eu
ARCHIVE=$(realpath "$1")
FEATURES=$2
shift 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$@" -r -nostdlib -o "$T/runtime.o" -Wl,--whole-archive "$ARCHIVE"
notes=$(readelf -n "$T/runtime.o")
if printf '%s\n' "$notes" | grep -q "feature: $FEATURES\$"; then
	echo "PASS: every member of $(basename "$ARCHIVE") is marked $FEATURES"
	exit 0
fi
echo "FAIL: the runtime, linked whole, is not marked '$FEATURES':"
printf '%s\n' "$notes" | grep -i "feature" || echo "  (no property note)"
cd "$T" && ar x "$ARCHIVE"
for o in *.o; do
	readelf -n "$o" | grep -q "feature: $FEATURES\$" ||
		echo "  unmarked member: $o"
done
exit 1
