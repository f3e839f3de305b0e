#!/usr/bin/env bash
# bind_cost.sh [ROUNDS [SITES [PERCENT]]] - lazy binding against eager
# (issue 17): a shared object with SITES call sites (default 100,000, one
# key, gen_sites.py) of which PERCENT (default 1: one function of 1,000
# sites in 100) run. Per round one process of each mode (order rotated;
# benchmarks/bind_cost.c): dlopen time with the plugin minus without
# (load cost per site), the first and second run of the executed sites,
# and the object's text made private (copy-on-write) after the run,
# against the pages that hold the sites that ran; and STATICCALL_DISABLE=1
# (registration only, nothing written). Medians of ROUNDS,
# side by side. Needs a built tree (scripts/build.sh); STATICCALL_BUILD
# picks another one. Writes build/bench/bind/bind.csv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rounds=${1:-11} n=${2:-100000} pct=${3:-1}
out=build/bench/bind
d=$(bench_dir "bind/n$n")
plugin=$(pc gcc_cflags)
cc=${CC:-gcc}
python3 benchmarks/gen_sites.py "$d" "$n"
for v in plugin plain; do
	flags=(); [ $v = plugin ] && flags=($plugin)
	sed "s|^|$d/|" "$d/sites.list" | xargs -P"$(nproc)" -I{} \
		$cc -O1 -fPIC -Iinclude "${flags[@]}" -I"$d" -c {} -o {}.$v.o
	# shellcheck disable=SC2046
	$cc -shared -o "$d/lib$v.so" $(sed "s|^\(.*\)$|$d/\1.$v.o|" "$d/sites.list") \
		-L"$B/runtime" -lstaticcall -Wl,-rpath,"$B/runtime"
done
$cc -O2 -Iinclude benchmarks/bind_cost.c -L"$B/runtime" -lstaticcall \
	-Wl,-rpath,"$B/runtime" -ldl -o "$out/bind_cost"
nfns=$(( (n / 1000) * pct / 100 )); [ "$nfns" -ge 1 ] || nfns=1
python3 - "$rounds" "$n" "$nfns" "$out" "$d" <<'PY'
import os, statistics, subprocess, sys
rounds, n, nfns, out, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
# disabled: registration only, nothing written (the usual registration:
# lazy binding, and with it deferred registration, is off)
modes = ['lazy', 'eager', 'disabled']
envs = {'lazy': {'STATICCALL_BIND': 'lazy'}, 'eager': {'STATICCALL_BIND': 'eager'},
        'disabled': {'STATICCALL_DISABLE': '1'}}
runs = {m: [] for m in modes}
for r in range(rounds):
    for i in range(len(modes)):
        m = modes[(i + r) % len(modes)]
        args = [out + '/bind_cost', d + '/libplugin.so', d + '/libplain.so', str(nfns)]
        if r % 4 >= 2:
            args.append('plain-first')
        line = subprocess.run(args, env=dict(os.environ, **envs[m]),
                              stdout=subprocess.PIPE, check=True).stdout.split()
        runs[m].append([float(x) for x in line])
med = lambda m, i: statistics.median(x[i] for x in runs[m])
print('== %d sites in a shared object, %d of them run (%d functions); medians of %d'
      % (n, nfns * 1000, nfns, rounds))
hdr = ('mode', 'load+ us', 'ns/site', 'plain us', 'first run us',
       'second us', 'bound', 'text kB', 'private kB', 'ran pages kB')
print('%-8s %10s %8s %9s %13s %10s %7s %8s %11s %13s' % hdr)
csv = [','.join(['mode', 'load_plugin_us', 'load_plain_us', 'load_extra_us',
                 'ns_per_site', 'first_run_us', 'second_run_us', 'bound',
                 'text_kb', 'private_kb', 'private_plain_kb', 'ran_pages_kb'])]
for m in modes:
    extra = statistics.median(x[0] - x[1] for x in runs[m])
    row = (m, extra, extra * 1e3 / n, med(m, 1), med(m, 2), med(m, 3),
           int(med(m, 10)), int(med(m, 6)), int(med(m, 7)), int(med(m, 9)))
    print('%-8s %10.0f %8.1f %9.0f %13.0f %10.1f %7d %8d %11d %13d' % row)
    csv.append('%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d,%d,%d,%d' % (
        m, med(m, 0), med(m, 1), extra, extra * 1e3 / n, med(m, 2),
        med(m, 3), med(m, 10), med(m, 6), med(m, 7), med(m, 8), med(m, 9)))
lz = statistics.median(x[0] - x[1] for x in runs['lazy'])
eg = statistics.median(x[0] - x[1] for x in runs['eager'])
print('lazy load+ / eager load+ = %.3f; private text lazy %d kB, eager %d kB, '
      'pages holding the sites that ran %d kB'
      % (lz / eg if eg else float('nan'), med('lazy', 7), med('eager', 7),
         med('lazy', 9)))
open(out + '/bind.csv', 'w').write('\n'.join(csv) + '\n')
PY
