#!/usr/bin/env python3
"""Generate an ABI conformance program for static calls.

    gen_abi.py --seed S --count N --out FILE.c [--first K] [--arch aarch64]

Each case i is a random prototype (integers of every width, float, double,
long double, pointers, small and large structs by value, 0 to 16
arguments, some variadic with floating-point variadic arguments). For it
the program has:

  - two callees, callee_a_i and callee_b_i, that record every argument bit
    for bit (member by member, so padding never counts; 10 bytes of a long
    double) and return a value derived from what they recorded;
  - a key `RET (*STATIC_CALL key_i)(ARGS) = callee_a_i;`
  - caller_i (a call whose result is used: a call site) and tail_i (a
    tail call when the compiler makes one), both calling through the key
    with fixed argument values;
  - an ffi description, so main() can call each callee through libffi
    (ffi_call) with the same values: the reference.

main() calls through the key, then the same callee through libffi, and
requires the two records (arguments and result) equal byte for byte; then
updates the key to callee_b_i and does it again. It prints one line per
case with a hash of the records, so builds with and without a plugin, and
runs in each state of the sites, can be compared by their output.
Deterministic: the same seed gives the same file.

--arch aarch64 (AAPCS64, for aarch64-linux-gnu): long double is IEEE
binary128 (values generated as such, all 16 bytes significant), and
structs include homogeneous floating-point aggregates (HFAs: 1 to 4
members of one of float, double, long double, up to 64 bytes) that travel
in SIMD/FP registers. Variadic arguments there follow the same rules as
named ones (Linux AAPCS64), so the same variadic prototypes apply.
"""
import argparse
import random
import struct

ARCH = 'x86_64'  # --arch

INTS = [
    # name, size, signed, ffi type
    ('signed char', 1, True, 'ffi_type_schar'),
    ('unsigned char', 1, False, 'ffi_type_uchar'),
    ('short', 2, True, 'ffi_type_sshort'),
    ('unsigned short', 2, False, 'ffi_type_ushort'),
    ('int', 4, True, 'ffi_type_sint'),
    ('unsigned int', 4, False, 'ffi_type_uint'),
    ('long', 8, True, 'ffi_type_slong'),
    ('unsigned long', 8, False, 'ffi_type_ulong'),
    ('long long', 8, True, 'ffi_type_sint64'),
    ('unsigned long long', 8, False, 'ffi_type_uint64'),
]


class Scalar:
    def __init__(self, kind, c, size, ffi, signed=False):
        self.kind, self.c, self.size, self.ffi, self.signed = kind, c, size, ffi, signed

    # bytes that carry the value (an x87 long double has 6 bytes of
    # padding; an IEEE quad one, on aarch64, none)
    @property
    def sig(self):
        return 10 if self.kind == 'ld' and ARCH == 'x86_64' else self.size


SCALARS = [Scalar('int', c, s, f, sg) for c, s, sg, f in INTS] + [
    Scalar('float', 'float', 4, 'ffi_type_float'),
    Scalar('double', 'double', 8, 'ffi_type_double'),
    Scalar('ld', 'long double', 16, 'ffi_type_longdouble'),
    Scalar('ptr', 'void *', 8, 'ffi_type_pointer'),
]
BY_KIND = {}
for s in SCALARS:
    BY_KIND.setdefault(s.kind, []).append(s)


class Struct:
    def __init__(self, name, members):
        self.name, self.members = name, members  # members: [Scalar]
        self.c = 'struct ' + name


def rand_float_bits(rng, kind):
    """Bit patterns of finite, infinite, NaN (quiet, with payload), zero,
    negative zero and subnormal values."""
    r = rng.random()
    if kind == 'float':
        if r < 0.08:
            return rng.choice([0x80000000, 0x7F800000, 0xFF800000, 0x00000001,
                               0x7FC00000 | rng.getrandbits(22)])
        if r < 0.15:
            return rng.getrandbits(23) | (rng.getrandbits(1) << 31)  # subnormal
        return rng.getrandbits(23) | (rng.randrange(1, 255) << 23) | (rng.getrandbits(1) << 31)
    if kind == 'double':
        if r < 0.08:
            return rng.choice([0x8000000000000000, 0x7FF0000000000000,
                               0x0000000000000001,
                               0x7FF8000000000000 | rng.getrandbits(51)])
        if r < 0.15:
            return rng.getrandbits(52) | (rng.getrandbits(1) << 63)
        mant = rng.getrandbits(52)
        exp = rng.randrange(1, 2047)
        return mant | (exp << 52) | (rng.getrandbits(1) << 63)
    raise ValueError(kind)


def rand_quad_bytes(rng):
    """An IEEE binary128 value (aarch64 long double): normal, zero, inf,
    quiet NaN with payload, subnormal."""
    r = rng.random()
    sign = rng.getrandbits(1)
    if r < 0.05:
        mant, exp = 0, 0
    elif r < 0.1:
        mant, exp = 0, 0x7FFF
    elif r < 0.15:
        mant, exp = (1 << 111) | rng.getrandbits(111), 0x7FFF
    elif r < 0.2:
        mant, exp = rng.getrandbits(112) | 1, 0
    else:
        mant, exp = rng.getrandbits(112), rng.randrange(1, 0x7FFF)
    v = mant | (exp << 112) | (sign << 127)
    return v.to_bytes(16, 'little')


def rand_ld_bytes(rng):
    """A valid x87 80-bit value: normal (integer bit set), zero, inf, qNaN."""
    if ARCH == 'aarch64':
        return rand_quad_bytes(rng)
    r = rng.random()
    sign = rng.getrandbits(1)
    if r < 0.05:
        mant, exp = 0, 0
    elif r < 0.1:
        mant, exp = 1 << 63, 0x7FFF
    elif r < 0.15:
        mant, exp = (3 << 62) | rng.getrandbits(62), 0x7FFF
    else:
        mant, exp = (1 << 63) | rng.getrandbits(63), rng.randrange(1, 0x7FFF)
    return struct.pack('<QH', mant, exp | (sign << 15)) + bytes(6)


def value_init(rng, s):
    """C initializer for a union { unsigned char b[N]; T v; } holding a
    random value of scalar s (all padding bytes zero)."""
    if s.kind == 'int':
        v = rng.getrandbits(8 * s.size)
        if rng.random() < 0.2:
            v = rng.choice([0, 1, (1 << (8 * s.size)) - 1, 1 << (8 * s.size - 1)])
        b = v.to_bytes(s.size, 'little')
    elif s.kind == 'float':
        b = struct.pack('<I', rand_float_bits(rng, 'float'))
    elif s.kind == 'double':
        b = struct.pack('<Q', rand_float_bits(rng, 'double'))
    elif s.kind == 'ld':
        b = rand_ld_bytes(rng)
    else:  # pointer: anything, canonical or not (it is only copied)
        b = rng.getrandbits(64).to_bytes(8, 'little') if rng.random() < 0.5 \
            else (0x7F0000000000 | rng.getrandbits(40)).to_bytes(8, 'little')
    return b


class Case:
    pass


def gen_struct(rng, name, flavour):
    if flavour == 'hfa':       # aarch64: 1-4 members of one FP type
        t = rng.choice(BY_KIND['float'] + BY_KIND['double'] + BY_KIND['double'] +
                       BY_KIND['ld'])
        return Struct(name, [t] * rng.randint(1, 4))
    if flavour == 'sse':       # float/double only, <= 16 bytes: SSE registers
        pool = BY_KIND['float'] + BY_KIND['double']
        while True:
            ms = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
            if layout_size(ms) <= 16:
                return Struct(name, ms)
    if flavour == 'int':       # integers/pointers only, <= 16 bytes
        pool = BY_KIND['int'] + BY_KIND['ptr']
        while True:
            ms = [rng.choice(pool) for _ in range(rng.randint(1, 6))]
            if layout_size(ms) <= 16:
                return Struct(name, ms)
    if flavour == 'mixed':     # ints and floats, <= 16 bytes
        pool = BY_KIND['int'] + BY_KIND['float'] + BY_KIND['double']
        while True:
            ms = [rng.choice(pool) for _ in range(rng.randint(2, 5))]
            if layout_size(ms) <= 16:
                return Struct(name, ms)
    # large: > 16 bytes (memory), sometimes with a long double
    pool = [s for s in SCALARS]
    while True:
        ms = [rng.choice(pool) for _ in range(rng.randint(2, 8))]
        if layout_size(ms) > 16:
            return Struct(name, ms)


def layout(ms):
    """Member offsets and the struct's size (SysV x86-64)."""
    off, al, offs = 0, 1, []
    for m in ms:
        a = m.size if m.kind != 'ld' else 16
        off = (off + a - 1) // a * a
        offs.append(off)
        off += m.size
        al = max(al, a)
    return offs, (off + al - 1) // al * al


def layout_size(ms):
    return layout(ms)[1]


def gen_type(rng, structs, prefix, allow_small_ints=True):
    r = rng.random()
    if r < 0.22:
        fl = rng.choice(['sse', 'int', 'mixed', 'large', 'sse', 'large'] +
                        (['hfa', 'hfa'] if ARCH == 'aarch64' else []))
        st = gen_struct(rng, '%s_%d' % (prefix, len(structs)), fl)
        structs.append(st)
        return st
    pool = SCALARS if allow_small_ints else [
        s for s in SCALARS if not (s.kind == 'int' and s.size < 4) and s.kind != 'float']
    return rng.choice(pool)


def gen_case(rng, i):
    c = Case()
    c.i = i
    c.structs = []
    c.variadic = rng.random() < 0.2
    nargs = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16]) if not c.variadic \
        else rng.randint(1, 16)
    c.nfixed = rng.randint(1, nargs) if c.variadic else nargs
    c.args = []
    for k in range(nargs):
        fixed = k < c.nfixed
        t = gen_type(rng, c.structs, 's%d' % i, allow_small_ints=fixed)
        if not fixed and rng.random() < 0.35:
            # floating-point variadic arguments, often
            t = rng.choice(BY_KIND['double'] + BY_KIND['ld'])
        c.args.append(t)
    if ARCH == 'aarch64':
        a64_avoid_libffi_bug(rng, c)
    rt = rng.random()
    if rt < 0.1:
        c.ret = None
    else:
        c.ret = gen_type(rng, c.structs, 's%d' % i)
    # argument values
    c.vals = []
    for t in c.args:
        if isinstance(t, Struct):
            c.vals.append([value_init(rng, m) for m in t.members])
        else:
            c.vals.append(value_init(rng, t))
    return c


def is_hfa(st):
    ms = st.members
    return 1 <= len(ms) <= 4 and ms[0].kind in ('float', 'double', 'ld') and \
        all(m is ms[0] for m in ms)


def a64_avoid_libffi_bug(rng, c):
    """libffi 3.4.4 (Debian 12) on aarch64 places the pointer to a struct
    passed by reference (a composite over 16 bytes, not an HFA) at the
    struct's own alignment on the stack: for a 16-byte aligned struct (one
    holding a long double) it may leave an 8-byte hole the callee does not
    expect, and the reference reads a wrong argument. Such a struct is
    only kept while its pointer still travels in x0-x7 (AAPCS64 NGRN < 8);
    past that, it is replaced by a large struct without long doubles."""
    ngrn = 0
    for k, t in enumerate(c.args):
        if isinstance(t, Struct) and not is_hfa(t):
            size = layout_size(t.members)
            if size > 16:
                if ngrn >= 8 and any(m.kind == 'ld' for m in t.members):
                    pool = [m for m in SCALARS if m.kind != 'ld']
                    while True:
                        ms = [rng.choice(pool) for _ in range(rng.randint(3, 8))]
                        if layout_size(ms) > 16:
                            break
                    st = Struct('%s_r' % t.name, ms)
                    c.structs.append(st)
                    c.args[k] = st
                ngrn += 1
            else:
                n = (size + 7) // 8
                if n == 2 and any(m.kind == 'ld' for m in t.members):
                    ngrn += ngrn & 1
                ngrn = ngrn + n if ngrn + n <= 8 else 8
        elif not isinstance(t, Struct) and t.kind in ('int', 'ptr'):
            ngrn += 1


def cname(t):
    return 'void' if t is None else t.c


def c_bytes(b):
    return '{' + ','.join('0x%02x' % x for x in b) + '}'


def emit(cases, out):
    w = out.write
    w('/* Generated by tests/abi/gen_abi.py: do not edit. */\n')
    w('#include <ffi.h>\n#include <stdarg.h>\n#include <stdint.h>\n#include <stdio.h>\n'
      '#include <stdlib.h>\n#include <string.h>\n#include <staticcall.h>\n'
      '#include "abi_support.h"\n\n')
    for c in cases:
        i = c.i
        for st in c.structs:
            w('struct %s {' % st.name)
            for k, m in enumerate(st.members):
                w(' %s m%d;' % (m.c, k))
            w(' };\n')
        # recorders for the struct types
        for st in c.structs:
            w('static void rec_%s(const struct %s *p) {' % (st.name, st.name))
            for k, m in enumerate(st.members):
                w(' abi_rec(&p->m%d, %d);' % (k, m.sig))
            w(' }\n')
            w('static void mk_%s(struct %s *p, uint64_t h) {' % (st.name, st.name))
            for k, m in enumerate(st.members):
                w(' abi_mk_%s(&p->m%d, %d, h + %d);' % (m.kind, k, m.size, k))
            w(' }\n')
            w('static ffi_type *ffe_%s[] = {' % st.name)
            w(', '.join('&' + m.ffi for m in st.members))
            w(', NULL };\n')
            w('static ffi_type fft_%s = { 0, 0, FFI_TYPE_STRUCT, ffe_%s };\n' % (st.name, st.name))

        def rec(t, expr):
            if isinstance(t, Struct):
                return 'rec_%s(&%s);' % (t.name, expr)
            return 'abi_rec(&%s, %d);' % (expr, t.sig)

        def mk(t, var):
            if isinstance(t, Struct):
                return 'mk_%s(&%s, h);' % (t.name, var)
            return 'abi_mk_%s(&%s, %d, h);' % (t.kind, var, t.size)

        def ffi(t):
            return '&fft_%s' % t.name if isinstance(t, Struct) else '&' + t.ffi

        params = ', '.join('%s a%d' % (t.c, k) for k, t in enumerate(c.args[:c.nfixed]))
        if c.variadic:
            params += ', ...'
        if not params:
            params = 'void'
        proto_types = ', '.join(t.c for t in c.args[:c.nfixed]) + (', ...' if c.variadic else '')
        if not proto_types:
            proto_types = 'void'
        rt = cname(c.ret)
        for ab, salt in (('a', 1), ('b', 2)):
            w('ABI_NOINLINE %s callee_%s_%d(%s)\n{\n' % (rt, ab, i, params))
            w('\tabi_callee(%d, %d);\n' % (i, salt))
            for k, t in enumerate(c.args[:c.nfixed]):
                w('\t%s\n' % rec(t, 'a%d' % k))
            if c.variadic:
                w('\tva_list ap;\n\tva_start(ap, a%d);\n' % (c.nfixed - 1))
                for k, t in enumerate(c.args[c.nfixed:], c.nfixed):
                    w('\t{ %s v = va_arg(ap, %s); %s }\n' % (t.c, t.c, rec(t, 'v')))
                w('\tva_end(ap);\n')
            if c.ret is not None:
                w('\tuint64_t h = abi_hash_now();\n\t%s r;\n\tmemset(&r, 0, sizeof r);\n'
                  '\t%s\n\treturn r;\n' % (rt, mk(c.ret, 'r')))
            w('}\n')
        w('%s (*STATIC_CALL key_%d)(%s) = callee_a_%d;\n' % (rt, i, proto_types, i))
        # argument values: one union per argument (or struct member)
        argexprs = []
        for k, (t, v) in enumerate(zip(c.args, c.vals)):
            if isinstance(t, Struct):
                offs, size = layout(t.members)
                b = bytearray(size)
                for o, mb in zip(offs, v):
                    b[o:o + len(mb)] = mb
                w('static const union { unsigned char b[%d]; struct %s v; } v%d_%d = { .b = %s };\n'
                  % (size, t.name, i, k, c_bytes(b)))
                w('_Static_assert(sizeof(struct %s) == %d, "layout");\n' % (t.name, size))
            else:
                w('static const union { unsigned char b[%d]; %s v; } v%d_%d = { .b = %s };\n'
                  % (t.size, t.c, i, k, c_bytes(v)))
            argexprs.append('v%d_%d.v' % (i, k))
        call = 'key_%d(%s)' % (i, ', '.join(argexprs))
        w('ABI_NOINLINE void caller_%d(void)\n{\n' % i)
        if c.ret is None:
            w('\t%s;\n\tabi_after_call();\n}\n' % call)
        else:
            w('\t%s r = %s;\n\tabi_after_call();\n\t%s\n}\n' % (rt, call, rec(c.ret, 'r')))
        w('ABI_NOINLINE %s tail_%d(void)\n{\n\treturn %s;\n}\n' % (rt, i, call))
        # libffi reference
        w('static void ffi_%d(void (*fn)(void))\n{\n' % i)
        n = len(c.args)
        w('\tffi_cif cif;\n\tffi_type *at[%d] = { %s };\n' % (max(n, 1), ', '.join(ffi(t) for t in c.args) or 'NULL'))
        w('\tvoid *av[%d] = { %s };\n' % (max(n, 1), ', '.join('(void *)&v%d_%d.v' % (i, k) for k in range(n)) or 'NULL'))
        rffi = 'ffi_type_void' if c.ret is None else None
        w('\tffi_type *rt = %s;\n' % ('&ffi_type_void' if c.ret is None else ffi(c.ret)))
        if c.variadic:
            w('\tif (ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, %d, %d, rt, at) != FFI_OK) abi_fail(%d, "ffi_prep_cif_var");\n' % (c.nfixed, n, i))
        else:
            w('\tif (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, %d, rt, at) != FFI_OK) abi_fail(%d, "ffi_prep_cif");\n' % (n, i))
        w('\tunion { ffi_arg a; long double ld; unsigned char b[512]; } rv;\n\tmemset(&rv, 0, sizeof rv);\n')
        w('\tffi_call(&cif, fn, &rv, av);\n')
        if c.ret is not None:
            w('\t%s\n' % rec(c.ret, '*(%s *)(void *)&rv' % rt))
        w('}\n')
        # the case driver
        w('static void case_%d(void)\n{\n' % i)
        w('\tabi_case_begin(%d, "%s");\n' % (i, describe(c)))
        w('\tABI_CHECK(%d, "call", caller_%d(), ffi_%d((void (*)(void))callee_a_%d));\n' % (i, i, i, i))
        if c.ret is None:
            w('\tABI_CHECK(%d, "tail call", tail_%d(), ffi_%d((void (*)(void))callee_a_%d));\n' % (i, i, i, i))
        else:
            w('\tABI_CHECK(%d, "tail call", { %s r = tail_%d(); %s }, ffi_%d((void (*)(void))callee_a_%d));\n'
              % (i, rt, i, rec(c.ret, 'r'), i, i))
        w('\tABI_UPDATE(%d, static_call_update(key_%d, callee_b_%d));\n' % (i, i, i))
        w('\tABI_SITES(%d, static_call_sites(key_%d, abi_sites, ABI_MAX_SITES));\n' % (i, i))
        w('\tABI_CHECK(%d, "call after update", caller_%d(), ffi_%d((void (*)(void))callee_b_%d));\n' % (i, i, i, i))
        if c.ret is None:
            w('\tABI_CHECK(%d, "tail call after update", tail_%d(), ffi_%d((void (*)(void))callee_b_%d));\n' % (i, i, i, i))
        else:
            w('\tABI_CHECK(%d, "tail call after update", { %s r = tail_%d(); %s }, ffi_%d((void (*)(void))callee_b_%d));\n'
              % (i, rt, i, rec(c.ret, 'r'), i, i))
        w('\tABI_UPDATE(%d, static_call_update(key_%d, callee_a_%d));\n' % (i, i, i))
        emit_inline(w, c, rec)
        w('\tabi_case_end(%d);\n}\n\n' % i)
    w('int main(int argc, char **argv)\n{\n\tabi_init(argc, argv);\n')
    for c in cases:
        w('\tcase_%d();\n' % c.i)
    w('\treturn abi_finish();\n}\n')


# Constants for update_const, picked by case number (no draw from the
# random stream: the other parts of a case stay as they were): ones the
# runtime inlines at a call site (mov $imm32,%eax; or $-1,%rax) and ones
# that take a generated function.
CONSTS = ['0', '1', '-1', '42', '0x7fffffff', '0x80000000', '-2',
          '0x123456789abcdef0']


def int_or_ptr(t):
    return isinstance(t, Scalar) and t.kind in ('int', 'ptr')


def ret_arg_index(c):
    """The first argument update_ret_arg can return: every argument up to
    it an integer or pointer (in the n-th integer register, n < 6), it of
    the return type."""
    for n, t in enumerate(c.args[:min(c.nfixed, 6)]):
        if not int_or_ptr(t):
            return None
        if t.c == c.ret.c:
            return n
    return None


def emit_inline(w, c, rec):
    """Inline forms (issue 19): the key returns a constant, then one of its
    arguments; the call and tail sites must give exactly the value C gives
    (the expected side is computed by C, not by the runtime), and the case
    hash must match the plugin-free build's."""
    if not int_or_ptr(c.ret):
        return
    i, rt = c.i, c.ret.c
    k = CONSTS[i % len(CONSTS)]
    val = '(%s)(%sll)' % (rt, k) if c.ret.kind == 'int' else '(void *)(%sull)' % k
    w('\tABI_UPDATE(%d, static_call_update_const(key_%d, %s));\n' % (i, i, val))
    want = '{ %s w = %s; %s }' % (rt, val, rec(c.ret, 'w'))
    w('\tABI_CHECK(%d, "call, constant", caller_%d(), %s);\n' % (i, i, want))
    w('\tABI_CHECK(%d, "tail call, constant", { %s r = tail_%d(); %s }, %s);\n'
      % (i, rt, i, rec(c.ret, 'r'), want))
    n = ret_arg_index(c)
    if n is not None:
        w('\tABI_UPDATE(%d, static_call_update_ret_arg(key_%d, %d));\n' % (i, i, n))
        want = '{ %s w = v%d_%d.v; %s }' % (rt, i, n, rec(c.ret, 'w'))
        w('\tABI_CHECK(%d, "call, argument", caller_%d(), %s);\n' % (i, i, want))
        w('\tABI_CHECK(%d, "tail call, argument", { %s r = tail_%d(); %s }, %s);\n'
          % (i, rt, i, rec(c.ret, 'r'), want))
    w('\tABI_UPDATE(%d, static_call_update(key_%d, callee_a_%d));\n' % (i, i, i))


def describe(c):
    def d(t):
        if isinstance(t, Struct):
            return '{' + ','.join(m.c for m in t.members) + '}'
        return t.c
    s = '%s (%s%s)' % (d(c.ret) if c.ret else 'void',
                       ', '.join(d(t) for t in c.args[:c.nfixed]),
                       (', ...: ' + ', '.join(d(t) for t in c.args[c.nfixed:])) if c.variadic else '')
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=100)
    ap.add_argument('--first', type=int, default=0)
    ap.add_argument('--out', required=True)
    ap.add_argument('--arch', default='x86_64', choices=['x86_64', 'aarch64'])
    a = ap.parse_args()
    global ARCH
    ARCH = a.arch
    cases = []
    for i in range(a.first, a.first + a.count):
        rng = random.Random('%d:%d' % (a.seed, i))
        cases.append(gen_case(rng, i))
    with open(a.out, 'w') as f:
        emit(cases, f)


if __name__ == '__main__':
    main()
