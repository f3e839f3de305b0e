#!/usr/bin/env python3
"""Write the seed corpora of fuzz_table: tests/fuzz/corpus/ (x86-64 code)
and tests/fuzz/corpus-aarch64/ (A64 code, for the arm64 backend).

Each seed is one fake object in the input format of fuzz_table.c:
    header (40 bytes) | table | code | targets (5 bytes each)
Relative fields are offsets from the start of a buffer (site_rel and
tramp_rel from the code buffer, desc_rel from the table buffer); the
harness translates them. Deterministic: the same files every run.

    python3 tests/fuzz/gen_corpus.py [--arch x86_64|aarch64|all] [OUTDIR]

With no OUTDIR, every corpus of --arch (default: all) in the tree; with
one, that one arch's seeds (default x86_64) in OUTDIR.
"""
import os
import struct
import sys

MAGIC = 0x4C414353
VERSION = 1
ARCH_X86_64 = 1
SITE_TAIL, SITE_ANCHOR, SITE_COND = 1, 2, 4
CODE_NOEXEC, TABLE_WRITABLE, SPLIT, FORCED, RAW, NO_TABLE_SEG = 1, 2, 4, 8, 16, 32

SLOT_SLOW = bytes([0xEB, 0x06] + [0xCC] * 6)
# movq key(%rip), %r11 ; jmp *%r11
TRAMP_BODY = bytes([0x4C, 0x8B, 0x1D, 0, 0, 0, 0, 0x41, 0xFF, 0xE3])
NOP = 0x90


class Obj:
    def __init__(self, code_len=256):
        self.code = bytearray([NOP] * code_len)
        self.tramps = []   # (code offset, key id, flags)
        self.sites = []    # (code offset, tramp index, flags)

    def tramp(self, off, key, flags=0):
        self.code[off:off + 8] = SLOT_SLOW
        self.code[off + 8:off + 8 + len(TRAMP_BODY)] = TRAMP_BODY
        self.tramps.append((off, key, flags))
        return len(self.tramps) - 1

    def insn(self, off, kind, tramp_index, cc=0x84):
        """Emit call (0), jmp (1) or jcc (2) at off reaching the trampoline."""
        dest = self.tramps[tramp_index][0]
        if kind == 2:
            self.code[off:off + 2] = bytes([0x0F, cc])
            end = off + 6
        else:
            self.code[off] = 0xE8 if kind == 0 else 0xE9
            end = off + 5
        self.code[end - 4:end] = struct.pack('<i', dest - end)

    def site(self, off, tramp_index, flags=0, kind=None):
        if kind is not None:
            self.insn(off, kind, tramp_index)
        self.sites.append((off, tramp_index, flags))

    def build(self, mode=0, faults=0, split=0, targets=(), header=None,
              sites_extra=b'', table_pad=0):
        ndesc = len(self.tramps)
        descs_off = 0
        sites_off = 16 * ndesc
        descs = b''
        for off, key, flags in self.tramps:
            descs += struct.pack('<QiI', key, off, flags)
        sites = b''
        for off, t, flags in self.sites:
            sites += struct.pack('<iiI', off, descs_off + 16 * t, flags)
        sites += sites_extra
        table = descs + sites + bytes(table_pad)
        h = dict(magic=MAGIC, version=VERSION, arch=ARCH_X86_64,
                 site_size=12, desc_size=16, reserved=0,
                 sites_begin=sites_off, sites_end=sites_off + len(sites),
                 descs_begin=descs_off, descs_end=descs_off + len(descs))
        h.update(header or {})
        hdr = struct.pack('<IHHHHIiiiiHHBBH', h['magic'], h['version'],
                          h['arch'], h['site_size'], h['desc_size'],
                          h['reserved'], h['sites_begin'], h['sites_end'],
                          h['descs_begin'], h['descs_end'], len(table),
                          len(self.code), mode, faults, split)
        assert len(hdr) == 40
        tg = b''.join(struct.pack('<Bi', k, o) for k, o in targets)
        return hdr + table + bytes(self.code) + tg


def basic():
    o = Obj()
    o.tramp(0, 1)
    o.site(64, 0, kind=0)                 # call, word-aligned
    o.site(75, 0, SITE_TAIL, kind=1)      # jmp, 75 % 8 == 3: still one word
    o.site(86, 0, kind=0)                 # call straddling two words
    return o


def anchors():
    o = Obj()
    o.tramp(0, 1)
    o.tramp(32, 2)
    # anchor at 64: mov %rdi,%rax; lea 8(%rsi),%rdx; call tramp0
    o.code[64:67] = bytes([0x48, 0x89, 0xF8])
    o.code[67:71] = bytes([0x48, 0x8D, 0x56, 0x08])
    o.insn(71, 0, 0)
    o.site(64, 0, SITE_ANCHOR)
    # anchor at 96: test %eax,%eax; je tramp1 (conditional tail call)
    o.code[96:98] = bytes([0x85, 0xC0])
    o.insn(98, 2, 1)
    o.site(96, 1, SITE_ANCHOR)
    # anchor right on a jmp
    o.insn(120, 1, 1)
    o.site(120, 1, SITE_ANCHOR)
    return o


def shared_word():
    o = Obj()
    o.tramp(0, 1)
    o.tramp(16 * 3, 2)
    o.site(130, 0, kind=0)   # 130..134
    o.site(135, 1, kind=0)   # 135..139: shares the word 128..135
    o.site(140, 0, SITE_TAIL, kind=1)
    return o


def x86_seeds():
    seeds = {}
    near = [(0, 200), (1, 0), (2, 0), (5, 0), (3, 0)]

    seeds['valid_basic'] = basic().build(targets=near)
    seeds['valid_basic_forced'] = basic().build(mode=FORCED, targets=near)
    seeds['valid_anchors'] = anchors().build(targets=near)
    seeds['valid_shared_word'] = shared_word().build(targets=near)

    # guarded sites (`if (K) K(...)`): a NULL target may NOP them
    o = Obj()
    o.tramp(0, 1)
    o.site(64, 0, SITE_COND, kind=0)
    o.site(72, 0, SITE_COND | SITE_TAIL, kind=1)
    o.code[94:96] = bytes([0x31, 0xC0])
    o.insn(96, 0, 0)
    o.site(94, 0, SITE_COND | SITE_ANCHOR)
    seeds['valid_guarded'] = o.build(targets=[(2, 0), (5, 0), (0, 150), (2, 0)])

    # two descriptors of one key (two trampolines), plus a duplicate record
    o = Obj()
    o.tramp(0, 7)
    o.tramp(32, 7)
    o.site(64, 0, kind=0)
    o.site(72, 1, kind=0)
    o.site(64, 0)                          # the same site recorded twice
    seeds['valid_one_key_two_tramps'] = o.build(targets=near)

    # anchored Clang-style sites next to each other, sharing words
    o = Obj()
    o.tramp(0, 1)
    o.tramp(16, 2)
    o.code[60:62] = bytes([0x31, 0xC0])    # xor %eax,%eax
    o.insn(62, 0, 0)                       # 62..66
    o.insn(67, 2, 1)                       # 67..72 (jcc)
    o.insn(73, 1, 0)                       # 73..77
    o.site(60, 0, SITE_ANCHOR)
    o.site(67, 1, SITE_ANCHOR)
    o.site(73, 0, SITE_ANCHOR)
    seeds['valid_anchor_neighbours'] = o.build(targets=near)

    # faults: a page that cannot be opened; a word changed behind our back
    seeds['fault_make_writable'] = basic().build(faults=0x01, targets=near)
    seeds['fault_cas_second'] = basic().build(faults=0x20, targets=near)
    seeds['fault_cas_first_anchor'] = anchors().build(faults=0x10, targets=near)

    # corrupted headers
    seeds['bad_magic'] = basic().build(header={'magic': 0x12345678})
    seeds['bad_version'] = basic().build(header={'version': 2})
    seeds['bad_arch'] = basic().build(header={'arch': 2})
    seeds['bad_site_size'] = basic().build(header={'site_size': 16})
    seeds['inverted_bounds'] = basic().build(header={'sites_end': 0})
    seeds['misaligned_sites'] = basic().build(header={'sites_begin': 18})
    seeds['sites_past_table'] = basic().build(header={'sites_end': 4096})
    seeds['writable_table'] = basic().build(mode=TABLE_WRITABLE)
    seeds['no_table_segment'] = basic().build(mode=NO_TABLE_SEG)
    seeds['code_not_exec'] = basic().build(mode=CODE_NOEXEC, targets=near)
    seeds['split_segments'] = basic().build(mode=SPLIT, split=72, targets=near)

    # corrupted records
    o = basic()
    o.sites.append((250, 0, 0))            # truncated: runs off the code
    o.sites.append((-8, 0, 0))             # before the code
    o.sites.append((100000, 0, 0))         # far outside
    o.sites.append((200, 0, 0))            # NOPs, not a call
    seeds['bad_site_addresses'] = o.build(targets=near)

    # key descriptors naming no key variable (fuzz_table.c, key_var_of):
    # the table (heap), code, read-only data, unmapped, misaligned, NULL;
    # each refused, the valid key beside them still patched
    o = Obj(512)
    o.tramp(0, 1)
    o.site(64, 0, kind=0)
    for i, key in enumerate(range(250, 256)):
        t = o.tramp(128 + 32 * i, key)
        o.site(320 + 8 * i, t, kind=0)
    seeds['bad_key_addresses'] = o.build(targets=near)

    o = basic()
    # site naming a descriptor that is not one: middle of a descriptor,
    # and past the descriptor table
    o.build()
    seeds['bad_desc_refs'] = o.build(
        sites_extra=struct.pack('<iiI', 64, 4, 0) + struct.pack('<iiI', 64, 400, 0),
        targets=near)

    o = Obj()
    o.tramp(0, 1)
    o.tramps.append((40, 2, 0))            # slot at 40: misaligned, NOPs
    o.tramps.append((96, 3, 0))            # aligned, but holds NOPs
    o.tramps.append((252, 4, 0))           # slot running off the code
    o.site(64, 0, kind=0)
    o.site(80, 1, kind=0)
    o.site(104, 2, kind=0)
    seeds['bad_trampolines'] = o.build(targets=near)

    o = Obj()
    o.tramp(0, 1)
    # slot already direct (E9 rel32 CC CC CC): a valid form
    o.code[0:8] = bytes([0xE9]) + struct.pack('<i', 100 - 5) + bytes([0xCC] * 3)
    o.site(64, 0, kind=0)
    seeds['slot_already_direct'] = o.build(targets=near)

    # anchors into the middle of instructions, into data, at the end
    o = anchors()
    o.sites.append((72, 0, SITE_ANCHOR))   # inside the call at 71
    o.sites.append((65, 0, SITE_ANCHOR))   # inside mov %rdi,%rax
    o.sites.append((-16, 0, SITE_ANCHOR))  # before the code
    o.sites.append((253, 0, SITE_ANCHOR))  # three bytes before the end
    seeds['bad_anchors'] = o.build(targets=near)

    o = anchors()
    o.code[67:71] = bytes([0x0F, 0x0B, 0x90, 0x90])   # ud2 before the call
    seeds['anchor_ud2_first'] = o.build(targets=near)

    o = Obj(code_len=80)
    o.tramp(0, 1)
    o.code[70:73] = bytes([0x48, 0x89, 0xF8])
    o.code[77:80] = bytes([0xE8, 0x10, 0x00])   # a call cut short by the end
    o.sites.append((70, 0, SITE_ANCHOR))
    o.site(64, 0, kind=0)
    seeds['anchor_truncated_code'] = o.build(targets=near)

    # overlapping sites: one record in the middle of another's displacement
    o = Obj()
    o.tramp(0, 1)
    o.site(64, 0, kind=0)
    o.sites.append((66, 0, 0))
    o.sites.append((66, 0, SITE_TAIL))
    seeds['overlapping_records'] = o.build(targets=near)

    # Gaps found by the fuzzer, now refused (tests/fuzz/README.md):
    # overlapping verified code.
    o = Obj()
    o.tramp(0, 1)
    o.tramps.append((0, 2, 0))             # a second key naming the same slot
    o.site(64, 0, kind=0)
    o.site(72, 1, kind=0)
    seeds['known_shared_slot'] = o.build(targets=near)

    o = Obj()
    o.tramp(0, 1)
    o.code[0:8] = bytes([0xE9]) + struct.pack('<i', -5) + bytes([0xCC] * 3)
    o.site(0, 0, SITE_ANCHOR)              # decodes to the slot's own jmp
    o.site(64, 0, kind=0)
    seeds['known_site_in_slot'] = o.build(targets=near)

    # Fixed gap (README.md): a target inside another key's slot. Key 1's
    # slot jumps to key 2's slot, and a tail record of key 2 naming key 1's
    # slot must never recheck as a site there.
    o = Obj()
    o.tramp(0, 1)
    o.tramp(32, 2)
    o.site(64, 0, kind=0)
    o.site(72, 1, kind=0)
    o.sites.append((0, 1, SITE_TAIL))
    seeds['known_other_slot_target'] = o.build(targets=[(0, 200), (0, 32)])

    # raw relative fields (no translation): what garbage looks like
    seeds['raw_garbage'] = basic().build(mode=RAW, targets=near)

    return seeds


# ---- arm64 (AArch64): A64 words, little endian -------------------------
ARCH_AARCH64 = 2
A64_NOP = 0xD503201F
A64_ADRP_X16 = 0x90000010
A64_ADR_X16 = 0x10000010
A64_LDR_X16 = 0xF9400210       # ldr x16, [x16]
A64_BR_X16 = 0xD61F0200
A64_MOV_X0_X1 = 0xAA0103E0
A64_ADD_X1_8 = 0x91002021
A64_LDR_X2_SP = 0xF9400BE2
A64_BTI_C = 0xD503245F
A64_OTHER = {                  # control transfers that end an anchor's scan
    'bcond': 0x54000040, 'cbz': 0xB4000040, 'tbz': 0x36000040,
    'ret': 0xD65F03C0, 'blr': 0xD63F0020, 'brk': 0xD4200000,
    'svc': 0xD4000001, 'udf': 0x00000000,
}


def a64_branch(at, dest, link):
    d = (dest - at) // 4
    return (0x94000000 if link else 0x14000000) | (d & 0x03FFFFFF)


class A64Obj(Obj):
    def __init__(self, code_len=256):
        self.code = bytearray(struct.pack('<I', A64_NOP) * (code_len // 4))
        self.tramps = []
        self.sites = []

    def word(self, off, w):
        self.code[off:off + 4] = struct.pack('<I', w)

    def tramp(self, off, key, flags=0, head=A64_ADRP_X16):
        self.word(off, A64_NOP)        # the slot: NOP (slow path) or b target
        self.word(off + 4, head)       # slow path: adrp x16 / adr x16 / NOP
        self.word(off + 8, A64_LDR_X16)
        self.word(off + 12, A64_BR_X16)
        self.tramps.append((off, key, flags))
        return len(self.tramps) - 1

    def insn(self, off, kind, tramp_index):
        """bl (0) or b (1) at off reaching the trampoline."""
        self.word(off, a64_branch(off, self.tramps[tramp_index][0], kind == 0))

    def build(self, **kw):
        hdr = dict(kw.pop('header', None) or {})
        hdr.setdefault('arch', ARCH_AARCH64)
        return Obj.build(self, header=hdr, **kw)


def a64_basic():
    o = A64Obj()
    o.tramp(0, 1)
    o.site(64, 0, kind=0)                 # bl
    o.site(68, 0, SITE_TAIL, kind=1)      # b, same aligned quadword
    o.site(100, 0, kind=0)                # bl, odd word of its quadword
    return o


def a64_anchors():
    o = A64Obj()
    o.tramp(0, 1)
    o.tramp(32, 2)
    # anchor at 64: mov x0, x1; add x1, x1, #8; ldr x2, [sp, #16]; bl tramp0
    o.word(64, A64_MOV_X0_X1)
    o.word(68, A64_ADD_X1_8)
    o.word(72, A64_LDR_X2_SP)
    o.insn(76, 0, 0)
    o.site(64, 0, SITE_ANCHOR)
    # anchor at 96: bti c; mov x0, x1; b tramp1 (a tail call)
    o.word(96, A64_BTI_C)
    o.word(100, A64_MOV_X0_X1)
    o.insn(104, 1, 1)
    o.site(96, 1, SITE_ANCHOR)
    # anchor right on a bl
    o.insn(128, 0, 1)
    o.site(128, 1, SITE_ANCHOR)
    return o


def a64_seeds():
    seeds = {}
    # targets: near (aligned, misaligned), far (out of b/bl range: 3 GiB),
    # just inside and just outside +-128 MiB, NULL, return-zero, the
    # key's own trampoline
    near = [(0, 200), (1, 0), (2, 0), (5, 0), (3, 0)]
    edges = [(0, (1 << 27) - 4), (0, 1 << 27), (0, -(1 << 27)), (0, 202),
             (0, -(1 << 27) - 4), (0, 64)]

    seeds['valid_basic'] = a64_basic().build(targets=near)
    seeds['valid_basic_forced'] = a64_basic().build(mode=FORCED, targets=near)
    seeds['valid_range_edges'] = a64_basic().build(targets=edges)
    seeds['valid_anchors'] = a64_anchors().build(targets=near)

    o = A64Obj()
    o.tramp(0, 1)
    o.tramp(16 * 3, 2)
    o.site(128, 0, kind=0)                 # two keys' sites in one quadword
    o.site(132, 1, kind=0)
    o.site(136, 0, SITE_TAIL, kind=1)
    seeds['valid_shared_word'] = o.build(targets=near)

    # guarded sites: a NULL target turns a bl into NOP; a tail b stays on
    # its (NULL-safe) trampoline
    o = A64Obj()
    o.tramp(0, 1)
    o.site(64, 0, SITE_COND, kind=0)
    o.site(72, 0, SITE_COND | SITE_TAIL, kind=1)
    o.word(92, A64_MOV_X0_X1)
    o.insn(96, 0, 0)
    o.site(92, 0, SITE_COND | SITE_ANCHOR)
    seeds['valid_guarded'] = o.build(targets=[(2, 0), (5, 0), (0, 160), (2, 0)])

    o = A64Obj()
    o.tramp(0, 7)
    o.tramp(32, 7, head=A64_ADR_X16)      # a linker relaxed adrp to adr
    o.tramp(160, 7, head=A64_NOP)         # ... or to NOP
    o.site(64, 0, kind=0)
    o.site(72, 1, kind=0)
    o.site(80, 2, SITE_TAIL, kind=1)
    o.site(64, 0)                          # the same site recorded twice
    seeds['valid_one_key_three_tramps'] = o.build(targets=near)

    o = A64Obj()
    o.tramp(0, 1)
    o.word(0, a64_branch(0, 200, False))   # slot already direct: b code+200
    o.site(64, 0, kind=0)
    seeds['slot_already_direct'] = o.build(targets=near)

    seeds['fault_make_writable'] = a64_basic().build(faults=0x01, targets=near)
    seeds['fault_cas_second'] = a64_basic().build(faults=0x20, targets=near)
    seeds['fault_cas_first_anchor'] = a64_anchors().build(faults=0x10, targets=near)

    seeds['bad_arch_x86'] = a64_basic().build(header={'arch': ARCH_X86_64})
    seeds['bad_desc_size'] = a64_basic().build(header={'desc_size': 8})
    seeds['misaligned_descs'] = a64_basic().build(header={'descs_begin': 4})
    seeds['writable_table'] = a64_basic().build(mode=TABLE_WRITABLE)
    seeds['code_not_exec'] = a64_basic().build(mode=CODE_NOEXEC, targets=near)
    seeds['split_segments'] = a64_basic().build(mode=SPLIT, split=68, targets=near)

    # bad key variables: NULL (255) and misaligned (254)
    o = a64_basic()
    o.tramp(32, 255)
    o.tramp(48, 254)
    o.site(120, 1, kind=0)
    o.site(124, 2, kind=0)
    seeds['bad_key_vars'] = o.build(targets=near)

    # the rest of the bad keys: the table (heap), code, read-only data,
    # unmapped
    o = a64_basic()
    for i, key in enumerate(range(250, 254)):
        t = o.tramp(112 + 16 * i, key)
        o.site(180 + 4 * i, t, kind=0)
    seeds['bad_key_addresses'] = o.build(targets=near)

    o = a64_basic()
    o.sites.append((66, 0, 0))             # not 4-byte aligned
    o.sites.append((254, 0, 0))            # truncated: 2 bytes left
    o.sites.append((-8, 0, 0))             # before the code
    o.sites.append((1 << 20, 0, 0))        # far outside
    o.sites.append((200, 0, 0))            # a NOP, not a bl
    o.word(204, a64_branch(204, 0, False))  # a b where a bl is recorded
    o.sites.append((204, 0, 0))
    o.sites.append((8, 0, 0))              # the trampoline's ldr
    seeds['bad_site_addresses'] = o.build(targets=near)

    o = A64Obj()
    o.tramp(0, 1)
    o.tramps.append((40, 2, 0))            # misaligned slot
    o.tramps.append((96, 3, 0))            # aligned, only NOPs... valid form
    o.tramp(128, 4, head=0xAA0103E0)       # word 1 is no slow path head
    o.tramps.append((248, 5, 0))           # slot running off the code
    o.tramp(160, 6)
    o.word(160, A64_MOV_X0_X1)             # word 0 neither NOP nor b
    o.site(64, 0, kind=0)
    o.site(80, 1, kind=0)
    o.site(104, 2, kind=0)
    o.site(112, 3, kind=0)
    o.site(116, 5, kind=0)
    seeds['bad_trampolines'] = o.build(targets=near)

    # anchors: misaligned, into the table (data), before each other kind
    # of control transfer, too far from the call, at the very end
    o = a64_anchors()
    o.sites.append((66, 0, SITE_ANCHOR))   # mid-instruction
    o.sites.append((-16, 0, SITE_ANCHOR))  # before the code
    o.sites.append((252, 0, SITE_ANCHOR))  # last word, a NOP: nothing follows
    seeds['bad_anchors'] = o.build(targets=near)

    for name, w in sorted(A64_OTHER.items()):
        o = a64_anchors()
        o.word(68, w)                      # between anchor 64 and its bl
        seeds['anchor_before_%s' % name] = o.build(targets=near)

    o = A64Obj(code_len=512)
    o.tramp(0, 1)
    o.word(16, A64_MOV_X0_X1)
    o.insn(16 + 256, 0, 0)                 # 64 instructions later: too far
    o.site(16, 0, SITE_ANCHOR)
    o.word(32, A64_MOV_X0_X1)
    o.insn(32 + 252, 0, 0)                 # 63 later: just within reach
    o.site(32, 0, SITE_ANCHOR)
    seeds['anchor_distance'] = o.build(targets=near)

    o = A64Obj(code_len=64)
    o.tramp(0, 1)
    o.word(52, A64_MOV_X0_X1)
    o.code[60:62] = struct.pack('<H', 0x0010)   # bl cut short: 62 bytes
    o.code = o.code[:62]
    o.sites.append((52, 0, SITE_ANCHOR))
    o.site(16, 0, kind=0)
    seeds['anchor_truncated_code'] = o.build(targets=near)

    o = a64_anchors()
    o.sites.append((8, 0, SITE_ANCHOR))    # anchor inside the trampoline
    o.word(0, a64_branch(0, 0, False))     # slot `b .`: decodes as a site
    o.sites.append((0, 0, SITE_ANCHOR))    # in the slot (refused: overlap)
    seeds['anchor_in_slot'] = o.build(targets=near)

    o = A64Obj()
    o.tramp(0, 1)
    o.tramps.append((0, 2, 0))             # a second key naming the slot
    o.site(64, 0, kind=0)
    o.site(72, 1, kind=0)
    seeds['shared_slot'] = o.build(targets=near)

    o = A64Obj()
    o.tramp(0, 1)
    o.site(64, 0, kind=0)
    o.site(64, 0, SITE_TAIL)               # one word recorded as bl and b
    o.sites.append((64, 0, SITE_ANCHOR))
    seeds['overlapping_records'] = o.build(targets=near)

    # Fixed gap (README.md, found by the fuzzer): a target inside the slot
    # must not make it `b .`, nor a tail record naming the slot recheck as
    # a site inside it.
    o = a64_basic()
    o.sites.append((0, 0, SITE_TAIL))
    seeds['known_slot_target'] = o.build(targets=[(0, 0), (0, 0x7400), (0, 0x50), (1, 0)])

    seeds['raw_garbage'] = a64_basic().build(mode=RAW, targets=near)
    return seeds


def write(seeds, out):
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(seeds), out))


def main():
    args = sys.argv[1:]
    arch = None
    if len(args) >= 2 and args[0] == '--arch':
        arch = args[1]
        args = args[2:]
    gens = {'x86_64': (x86_seeds, 'corpus'), 'aarch64': (a64_seeds, 'corpus-aarch64')}
    here = os.path.dirname(os.path.abspath(__file__))
    if args:
        gen, _ = gens[arch or 'x86_64']
        write(gen(), args[0])
        return
    for name in ([arch] if arch and arch != 'all' else sorted(gens)):
        gen, sub = gens[name]
        write(gen(), os.path.join(here, sub))


if __name__ == '__main__':
    main()
