# tests/lto/lto_common.sh: sourced by lto.sh (GCC) and lto_clang.sh after
# `set -euo pipefail`, with the scripts' arguments:
#   CC 'CFLAGS' 'LDFLAGS' INCLUDE RUNTIME_LIBDIR OUT [CXX]
# Sets cc cflags ldflags inc lib out cxx src status rt; defines run and
# link.
cc=$1 cflags=$2 ldflags=$3 inc=$4 lib=$5 out=$6 cxx=${7:-}
src=$(dirname "$0")
mkdir -p "$out"
status=0
rt=(-L"$lib" -lstaticcall -Wl,-rpath,"$lib")

# run NAME PROGRAM MIN_SITES [OBJECT]: the program's own checks, no warning
# from the runtime, no stale site (STATICCALL_VERIFY), then all sites of
# OBJECT (default: the program) registered and direct
# (STATICCALL_STRADDLE=wait: a Clang site may straddle a word), at least
# MIN_SITES of them.
run() {
	local name=$1 prog=$2 min=$3 obj=${4:-$2} log
	if ! log=$(STATICCALL_REPORT=1 STATICCALL_VERIFY=1 \
		STATICCALL_STRADDLE=wait "$prog" 2>&1); then
		echo "FAIL $name: the program failed:"; echo "$log"
		status=1; return
	fi
	if printf '%s\n' "$log" |
		grep -q "^staticcall: \(warning\|error\|verify: [1-9]\)"; then
		echo "FAIL $name: the runtime complained:"
		printf '%s\n' "$log" |
			grep "^staticcall: \(warning\|error\|verify: [1-9]\)"
		status=1; return
	fi
	local line n direct
	line=$(printf '%s\n' "$log" | grep "report: .*$(basename "$obj"):" | head -1)
	n=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) sites, \([0-9]*\) direct.*/\1/p')
	direct=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9]*\) sites, \([0-9]*\) direct.*/\2/p')
	if [ -z "$n" ] || [ "$n" -lt "$min" ] || [ "$n" != "$direct" ]; then
		echo "FAIL $name: want at least $min sites, all direct: ${line:-no report}"
		status=1; return
	fi
	echo "PASS $name: $n sites, all direct"
}

# link NAME OUTPUT ARGS...: link with ${sc_link_driver:-$cc}, or report
# the failure.
link() {
	local name=$1 o=$2; shift 2
	if ! ${sc_link_driver:-$cc} "$@" -o "$o" 2>"$o.log"; then
		echo "FAIL link $name:"; cat "$o.log"; status=1; return 1
	fi
}
