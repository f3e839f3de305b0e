# benchmarks/lib.sh - sourced by the benchmark scripts after `set -euo
# pipefail`: moves to the source tree's top (their paths start there) and
# defines
#   B              the build directory, absolute: STATICCALL_BUILD, else
#                  build (scripts/build.sh)
#   pc VAR         the build's pkg-config variable VAR (meson-uninstalled)
#   bench_dir NAME build/bench/NAME, made; prints it
#   loop_objects OUT FORM...  benchmarks/promote_loop.c's loops built as
#                  each FORM into OUT/FORM.o (promote_cost.sh,
#                  promote_layout.sh, promote_count.sh), and their targets
#                  (promote_targets.c) into OUT/targets.o
cd "$(dirname "${BASH_SOURCE[0]}")/.."
B=$(realpath "${STATICCALL_BUILD:-build}")
pc() {
	PKG_CONFIG_PATH=$B/meson-uninstalled pkg-config --variable="$1" staticcall
}
bench_dir() {
	mkdir -p "build/bench/$1"
	echo "build/bench/$1"
}

# The forms of promote_loop.c: direct (calls to an opaque function),
# retpoline (-mindirect-branch=thunk-inline; Clang -mretpoline), promoted
# (gcc_promote_cflags; clang_promote_cflags), inlined (promote-inline),
# indirect (plain `call *%reg`), plainpromoted (gcc_promote_plain_cflags).
# CC picks the compiler (gcc); a form it has no flags for (Clang:
# inlined, plainpromoted) is built MISSING (promote_loop.c).
loop_objects() {
	local out=$1 form flags cc=${CC:-gcc}
	shift
	$cc -O2 -Iinclude -c benchmarks/promote_targets.c -o "$out/targets.o"
	for form in "$@"; do
		case $form:$cc in
		direct:*) flags="-DDIRECT" ;;
		retpoline:*clang*) flags="-mretpoline" ;;
		retpoline:*) flags="-mindirect-branch=thunk-inline" ;;
		promoted:*clang*) flags=$(pc clang_promote_cflags) ;;
		promoted:*) flags=$(pc gcc_promote_cflags) ;;
		inlined:*clang* | plainpromoted:*clang*) flags="-DMISSING" ;;
		inlined:*) flags="$(pc gcc_promote_cflags) -fplugin-arg-staticcall_gcc-promote-inline" ;;
		indirect:*) flags="" ;;
		plainpromoted:*) flags=$(pc gcc_promote_plain_cflags) ;;
		*) echo "loop_objects: no form $form" >&2; return 1 ;;
		esac
		# shellcheck disable=SC2086 # the variable holds several flags
		$cc -O2 -Iinclude -DVARIANT="$form" $flags \
			-c benchmarks/promote_loop.c -o "$out/$form.o"
	done
}
