#!/usr/bin/env python3
"""Generate the call-cost benchmark's C sources.

gen_calls.py OUT_DIR SITES KEYS writes:
  targets.c   KEYS+1 target functions step_0..step_KEYS (in their own
              translation unit, so no call is inlined)
  keys.c      the keys, `STATIC_CALL`, each initialised to the wrong
              target (the benchmark updates them before measuring)
  loop.c      run_VARIANT(n, acc): n iterations of SITES calls; site i calls
              key (i % KEYS); with -DDIRECT the same target directly; with
              -DTRAMPOLINE the key's trampoline directly (the path of a site
              whose target is out of range).
              Compiled once per variant with -DVARIANT=name.
"""
import os, sys

out, sites, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)

def write(name, text):
    path = os.path.join(out, name)
    if not os.path.exists(path) or open(path).read() != text:
        open(path, 'w').write(text)

decl = ['#include <stdint.h>', '#include "staticcall.h"', '']
decl += ['uint64_t step_%d(uint64_t x);' % i for i in range(keys + 1)]
decl += ['extern uint64_t (*STATIC_CALL key_%d)(uint64_t);' % i for i in range(keys)]
# The key's trampoline, called directly: what a site out of range runs.
decl += ['uint64_t tramp_key_%d(uint64_t) __asm__("__staticcall_tramp.key_%d");' % (i, i)
         for i in range(keys)]
write('calls.h', '\n'.join(['#ifndef CALLS_H', '#define CALLS_H'] + decl +
                           ['#define NKEYS %d' % keys, '#define NSITES %d' % sites,
                            '#endif', '']))

t = ['#include "calls.h"']
for i in range(keys + 1):
    t.append('uint64_t step_%d(uint64_t x) { return x * 6364136223846793005ull + %d; }'
             % (i, 2 * i + 1))
write('targets.c', '\n'.join(t) + '\n')

k = ['#include "calls.h"']
k += ['uint64_t (*STATIC_CALL key_%d)(uint64_t) = step_%d;' % (i, i + 1) for i in range(keys)]
k.append('uint64_t (**const all_keys[])(uint64_t) = {%s};' %
         ', '.join('&key_%d' % i for i in range(keys)))
k.append('uint64_t (*const all_targets[])(uint64_t) = {%s};' %
         ', '.join('step_%d' % i for i in range(keys)))
write('keys.c', '\n'.join(k) + '\n')

l = ['#include "calls.h"', '#define CAT2(a, b) a##b', '#define CAT(a, b) CAT2(a, b)',
     '#if defined(DIRECT)', '#define CALL(k, t) t',
     '#elif defined(TRAMPOLINE)', '#define CALL(k, t) CAT(tramp_, k)',
     '#else', '#define CALL(k, t) k', '#endif',
     'uint64_t CAT(run_, VARIANT)(uint64_t n, uint64_t acc)', '{',
     '\tfor (uint64_t i = 0; i < n; i++) {']
l += ['\t\tacc = CALL(key_%d, step_%d)(acc);' % (s % keys, s % keys) for s in range(sites)]
l += ['\t}', '\treturn acc;', '}']
write('loop.c', '\n'.join(l) + '\n')
