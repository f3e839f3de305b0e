#!/usr/bin/env bash
# promote_count.sh [CALLS [ROUNDS [RUNS]]] - the multi-core cost of hit
# counters (STATICCALL_PROMOTE_COUNT): one promoted site (promote mode,
# gcc_promote_cflags) called by 1 thread and by 2 threads at once, with
# counters on and off (promote_count.c). RUNS processes of each setting,
# alternating, ROUNDS rounds each; medians of the rounds, ns per call per
# thread, side by side with their ratios: with counters on, the rounds
# while the site's counter counts and those after it stopped
# (STATIC_CALL_PROMOTE_HITS_MAX). Needs a built tree
# (scripts/build.sh) and 2 free cores to mean much; STATICCALL_BUILD
# picks another build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
calls=${1:-5000000} rounds=${2:-5} runs=${3:-3}
out=$(bench_dir promote_count)
loop_objects "$out" promoted
cc=${CC:-gcc}
cflags=(-O2 -Iinclude)
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
def medians(path, stopped):
    ns = {1: [], 2: []}
    for line in open(path):
        f = line.split()
        if f[0] == "round" and (stopped is None or int(f[7]) == stopped):
            ns[int(f[3])].append(float(f[5]))
    return {t: (statistics.median(v) if v else float("nan"), len(v))
            for t, v in ns.items()}
counting = medians(sys.argv[1], 0)
stopped = medians(sys.argv[1], 1)
off = medians(sys.argv[2], None)
print(f"ns/call per thread, one promoted site (medians of rounds of "
      f"{sys.argv[3]} calls per thread, [rounds]; {sys.argv[4]} CPUs)")
print(f"  {'':10} {'counting':>14} {'stopped':>14} {'counters off':>14}"
      f" {'counting/off':>13} {'stopped/off':>12}")
for t in (1, 2):
    c, s, o = counting[t], stopped[t], off[t]
    print(f"  {t} thread{'s' if t > 1 else ' '}  {c[0]:9.2f} [{c[1]:2}] "
          f"{s[0]:9.2f} [{s[1]:2}] {o[0]:9.2f} [{o[1]:2}] "
          f"{c[0] / o[0]:13.2f} {s[0] / o[0]:12.2f}")
EOF
