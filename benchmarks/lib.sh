# benchmarks/lib.sh - sourced by the benchmark scripts after `set -euo
# pipefail`: moves to the source tree's top (their paths start there) and
# defines
#   B              the build directory, absolute: STATICCALL_BUILD, else
#                  build (scripts/build.sh)
#   pc VAR         the build's pkg-config variable VAR (meson-uninstalled)
#   bench_dir NAME build/bench/NAME, made; prints it
cd "$(dirname "${BASH_SOURCE[0]}")/.."
B=$(realpath "${STATICCALL_BUILD:-build}")
pc() {
	PKG_CONFIG_PATH=$B/meson-uninstalled pkg-config --variable="$1" staticcall
}
bench_dir() {
	mkdir -p "build/bench/$1"
	echo "build/bench/$1"
}
