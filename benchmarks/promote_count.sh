#!/usr/bin/env bash
# promote_count.sh [CALLS [ROUNDS [RUNS]]] - the multi-core cost of hit
# counters (STATICCALL_PROMOTE_COUNT): one promoted site (promote mode,
# gcc_promote_cflags) called by 1 thread and by 2 threads at once, with
# counters on and off (promote_count.c). RUNS processes of each setting,
# alternating, ROUNDS rounds each; medians of all rounds, ns per call per
# thread, side by side with their ratios. Needs a built tree
# (scripts/build.sh) and 2 free cores to mean much; STATICCALL_BUILD
# picks another build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
calls=${1:-5000000} rounds=${2:-5} runs=${3:-3}
out=$(bench_dir promote_count)
promote=$(pc gcc_promote_cflags)
cc=${CC:-gcc}
cflags=(-O2 -Iinclude)
$cc "${cflags[@]}" -c benchmarks/promote_targets.c -o "$out/targets.o"
# shellcheck disable=SC2086 # the variable holds several flags
$cc "${cflags[@]}" -DVARIANT=promoted $promote -c benchmarks/promote_loop.c -o "$out/promoted.o"
$cc "${cflags[@]}" benchmarks/promote_count.c "$out"/{targets,promoted}.o \
	-o "$out/promote_count" -pthread -L"$B/runtime" -lstaticcall \
	-Wl,-rpath,"$B/runtime"
: >"$out/on"
: >"$out/off"
for ((i = 0; i < runs; i++)); do
	"$out/promote_count" "$calls" "$rounds" >>"$out/on"
	STATICCALL_PROMOTE_COUNT=0 "$out/promote_count" "$calls" "$rounds" >>"$out/off"
done
python3 - "$out/on" "$out/off" "$calls" "$(nproc)" <<'EOF'
import statistics, sys
def medians(path):
    ns = {1: [], 2: []}
    for line in open(path):
        f = line.split()
        if f[0] == "round":
            ns[int(f[3])].append(float(f[5]))
    return {t: statistics.median(v) for t, v in ns.items()}, len(ns[1])
on, n = medians(sys.argv[1])
off, _ = medians(sys.argv[2])
print(f"ns/call per thread, one promoted site (median of {n} rounds x "
      f"{sys.argv[3]} calls per thread; {sys.argv[4]} CPUs)")
print(f"  {'':10} {'counters on':>12} {'counters off':>13} {'on/off':>7}")
for t in (1, 2):
    print(f"  {t} thread{'s' if t > 1 else ' '}  {on[t]:12.2f} "
          f"{off[t]:13.2f} {on[t] / off[t]:7.2f}")
print(f"  2/1 threads {on[2] / on[1]:12.2f} {off[2] / off[1]:13.2f}")
EOF
