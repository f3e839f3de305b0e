/*
 * staticcall_abi.h - the binary contract between the compiler plugins and
 * the runtime: the per-object table the plugins emit and the runtime reads.
 *
 * Both plugins (C++) and the runtime (C) include this header, so the numbers
 * below exist once. docs/ABI.md explains each field and the emitted assembly.
 *
 * Everything in a linked object is reached PC-relatively except the key
 * pointer in a key descriptor, which is an absolute address resolved by the
 * dynamic linker: that is how every object reaches the one canonical key
 * variable even when it was copy-relocated into the executable.
 */
#ifndef STATICCALL_ABI_H
#define STATICCALL_ABI_H
/* A public header, aligned by hand for its readers: */
/* clang-format off */

#include <stdint.h>

#define SC_ABI_MAGIC 0x4c414353u /* "SCAL" little-endian */
#define SC_ABI_VERSION 1u

#define SC_ABI_ARCH_X86_64 1u
#define SC_ABI_ARCH_AARCH64 2u

/* Section and symbol names (no dots in section names: the linker provides
 * __start_/__stop_ symbols only for C-identifier names). No function or
 * variable may share a section's name: the assembler would resolve a
 * reference to it to the section symbol. */
#define SC_ABI_SITES_SECTION "__staticcall_sites"
#define SC_ABI_KEYS_SECTION "__staticcall_keys"
/* Optional: each site's source file and line, for reports only. */
#define SC_ABI_LINES_SECTION "__staticcall_lines"
/* Where the file names of the lines table go: mergeable read-only strings
 * (one copy of each name per linked object). */
#define SC_ABI_LINES_STR_SECTION ".rodata.__staticcall_lines.str1.1"
/* Optional: one-instruction fragments (functions whose body is one
 * instruction and `ret`, declared with STATIC_CALL_FRAGMENT). */
#define SC_ABI_FRAGS_SECTION "__staticcall_frags"
#define SC_ABI_TRAMP_SECTION ".text.__staticcall_tramp"
#define SC_ABI_OBJECT_SYMBOL "__staticcall_object"
#define SC_ABI_TRAMP_PREFIX "__staticcall_tramp."
#define SC_ABI_DESC_PREFIX "__staticcall_key."
#define SC_ABI_TRAMP_COND_PREFIX "__staticcall_tramp_cond."
#define SC_ABI_DESC_COND_PREFIX "__staticcall_key_cond."

/* Runtime entry points called by plugin-generated code. */
#define SC_ABI_REGISTER_FN "__staticcall_register"
#define SC_ABI_UNREGISTER_FN "__staticcall_unregister"
#define SC_ABI_STORE_FN "__staticcall_store"
/* Called by a trampoline's bind block (SC_DESC_BIND), never by C code:
 * saves every argument register, tells the runtime which site called
 * (lazy binding), restores them and returns into the bind block. */
#define SC_ABI_BIND_FN "__staticcall_bind"
/* void __staticcall_store_range(void *addr, size_t len), called after a
 * store the plugin cannot attribute to one key (a struct assignment,
 * memcpy, memset into memory that may hold field keys): every registered
 * key inside [addr, addr+len) is re-patched to its current value. */
#define SC_ABI_STORE_RANGE_FN "__staticcall_store_range"
/* void __staticcall_store_range_begin(void *addr, const void *src,
 * size_t len), called before such a store (src: where a copy reads from,
 * NULL when unknown or not a copy): the sites of every registered key
 * inside that the store may change (all of them without src) are moved to
 * their trampolines' slow path (which loads the key), so a struct copy
 * never pairs an old target with new data (docs/PATCHING.md, "A key and
 * its data in one struct"); __staticcall_store_range, after the store,
 * brings them to the new value. */
#define SC_ABI_STORE_RANGE_BEGIN_FN "__staticcall_store_range_begin"
/* uintptr_t __staticcall_key_bounds[2]: [lo, hi) holds every registered
 * key the runtime serving the process knows (runtime/key_ranges.c). A
 * routed store reads both after a compiler barrier and calls
 * __staticcall_store_range only when [addr, addr+len) meets them. */
#define SC_ABI_KEY_BOUNDS_VAR "__staticcall_key_bounds"

/* The API staticcall.h's macros call (static_call_update, _null, _ret0,
 * _const, _ret_arg): the plugins check the key named by each call's first
 * argument. */
#define SC_ABI_UPDATE_FN "__staticcall_update"
#define SC_ABI_UPDATE_NULL_FN "__staticcall_update_null"
#define SC_ABI_UPDATE_RET0_FN "__staticcall_update_ret0"
#define SC_ABI_UPDATE_CONST_FN "__staticcall_update_const"
#define SC_ABI_UPDATE_RET_ARG_FN "__staticcall_update_ret_arg"

/* Site record flags. */
#define SC_SITE_TAIL 0x1u   /* compiled as a tail jump, not a call */
#define SC_SITE_ANCHOR 0x2u /* address is an anchor: decode forward to the site */
#define SC_SITE_COND 0x4u   /* a guarded call `if (K) K(...)` with its test
			      removed: a NOP (or return) while K is NULL; its
			      descriptor names the key's NULL-safe trampoline */

/* Key descriptor flags: how the trampoline's slow path was built. */
#define SC_DESC_RETPOLINE 0x1u /* slow path uses a retpoline, not jmp *%r11 */
#define SC_DESC_IBT 0x2u       /* unit was built with -fcf-protection=branch */
#define SC_DESC_COND 0x4u      /* NULL-safe trampoline: returns if K is NULL */
#define SC_DESC_BIND 0x8u      /* a bind block precedes the trampoline (lazy
				  binding, docs/ABI.md); without it the
				  runtime binds the key's sites eagerly */
#define SC_DESC_BOOT 0x10u     /* the key is declared STATIC_CALL_BOOT in the
				  unit: its sites may hold a multi-
				  instruction fragment (written only while
				  the process is single-threaded; the plugin
				  refuses plain stores to it) */

/* x86-64 trampoline: 16-byte aligned, first 8 bytes are the patch slot. */
#define SC_X86_TRAMP_ALIGN 16u
#define SC_X86_TRAMP_SLOT 8u
/* The slot as the plugins emit it (its slow-path form): EB 06 CC*6, `jmp
 * +6` to the indirect jump then int3 padding, as a little-endian word. */
#define SC_X86_SLOT_SLOW 0xcccccccccccc06ebull
/* The bind block: SC_X86_BIND_BLOCK bytes right before the trampoline,
 *   4C 8D 1D rel32   leaq DESC(%rip), %r11   (this key's descriptor)
 *   41 53            pushq %r11
 *   E8 rel32         call __staticcall_bind@PLT
 *   41 5B            popq %r11
 *   EB/E9 rel        jmp to the slow path (trampoline + 8)
 *   CC...            up to the trampoline
 * and the slot's bind form: EB DE CC*6, `jmp` to the block. */
#define SC_X86_BIND_BLOCK 32u
#define SC_X86_SLOT_BIND 0xccccccccccccdeebull
/* arm64 trampoline: 16-byte aligned, first 8 bytes are the patch slot
 * (word 0 `b target` or NOP, word 1 the slow path's first instruction). */
#define SC_A64_TRAMP_ALIGN 16u
#define SC_A64_TRAMP_SLOT 8u
/* The bind block: SC_A64_BIND_BLOCK bytes right before the trampoline,
 *   d503245f / d503201f   bti c (a BTI-built unit) / nop
 *   adrp x16, DESC        (or adr x16, DESC: a linker's relaxation)
 *   add x16, x16, :lo12:DESC (then nop)
 *   a9bf7bf0              stp x16, x30, [sp, #-16]!
 *   bl __staticcall_bind  (its PLT entry, or a veneer)
 *   a8c17bf0              ldp x16, x30, [sp], #16
 *   b trampoline + 4      the slow path
 *   d503201f              nop, up to the trampoline
 * and the slot's bind form: word 0 `b` to the block (17fffff8), word 1
 * the slow path's, as ever. */
#define SC_A64_BIND_BLOCK 32u
#define SC_A64_SLOT_BIND 0x17fffff8u

/* One call site: 12 bytes, 4-byte aligned, read-only. */
struct sc_abi_site {
	int32_t site_rel; /* site (or anchor) address - &site_rel */
	int32_t desc_rel; /* key descriptor address - &desc_rel */
	uint32_t flags;   /* SC_SITE_* */
};

/* One key as seen by one linked object: 16 bytes, 8-byte aligned. */
struct sc_abi_desc {
	void *key;         /* absolute: the canonical key variable */
	int32_t tramp_rel; /* this object's trampoline - &tramp_rel */
	uint32_t flags;    /* SC_DESC_* */
};

/* The source location of one site: 12 bytes, 4-byte aligned, read-only,
 * in SC_ABI_LINES_SECTION. Optional and only ever used in messages: a
 * site without one is reported by address. */
struct sc_abi_line {
	int32_t site_rel; /* the address its site record names - &site_rel */
	int32_t file_rel; /* NUL-terminated file name - &file_rel */
	uint32_t line;    /* 1-based; 0 if unknown */
};

/* sc_abi_object.reserved bits: which optional fields follow the version-1
 * header. Objects built before any existed have reserved == 0 (and are
 * only SC_ABI_OBJECT_V1_SIZE bytes); a runtime that predates a field
 * ignores both the bit and the field. */
#define SC_ABI_OBJ_LINES 0x1u /* lines_begin, lines_end are present */
#define SC_ABI_OBJ_FRAGS 0x2u /* frags_begin, frags_end are present */

#define SC_ABI_OBJECT_V1_SIZE 48u
#define SC_ABI_OBJECT_LINES_SIZE 64u
#define SC_ABI_OBJECT_FRAGS_SIZE 80u

/* One fragment: 12 bytes, 4-byte aligned, read-only, in
 * SC_ABI_FRAGS_SECTION. A function whose whole body is one instruction (at
 * insn, insn_len bytes) and `ret`: it starts at the instruction, or right
 * before it at the landing pad (endbr64, bti c) the compiler puts there
 * when the unit has one (SC_FRAG_LANDING_PAD). PC-relative to the
 * instruction, not to the function's symbol: a preemptible symbol may not
 * be named PC-relatively in a shared object. A runtime may put the
 * instruction itself where a call to the function was, after checking
 * the bytes; without the table the function is called. */
#define SC_FRAG_LANDING_PAD 0x1u
#define SC_FRAG_SEQUENCE 0x2u /* insn_len bytes hold several instructions
				 (a runtime that predates it sees a length
				 that is not one instruction's: calls it) */
struct sc_abi_frag {
	int32_t insn_rel;  /* its one instruction - &insn_rel */
	uint32_t insn_len; /* bytes (x86-64: 1..15; AArch64: 4) */
	uint32_t flags;    /* SC_FRAG_* */
};

/* One per linked object (comdat, hidden). */
struct sc_abi_object {
	uint32_t magic;     /* SC_ABI_MAGIC */
	uint16_t version;   /* SC_ABI_VERSION */
	uint16_t arch;      /* SC_ABI_ARCH_* */
	uint16_t site_size; /* sizeof(struct sc_abi_site) */
	uint16_t desc_size; /* sizeof(struct sc_abi_desc) */
	uint32_t reserved;  /* SC_ABI_OBJ_* bits (optional fields below) */
	const struct sc_abi_site *sites_begin, *sites_end;
	const struct sc_abi_desc *descs_begin, *descs_end;
	/* SC_ABI_OBJ_LINES: read only when that bit is set. */
	const struct sc_abi_line *lines_begin, *lines_end;
	/* SC_ABI_OBJ_FRAGS (implies SC_ABI_OBJ_LINES' fields before it). */
	const struct sc_abi_frag *frags_begin, *frags_end;
};

/*
 * Static keys (include/staticcall/kernel.h, no plugin): one record per
 * `asm goto` site, 16 bytes, 4-byte aligned, read-only, all PC-relative, in
 * SC_ABI_JUMP_SECTION of each linked object. The header's hidden
 * constructor passes the section's __start_/__stop_ bounds to
 * __staticcall_jump_register (docs/ABI.md, "Static keys"). The site is
 * compiled as a jump to its out-of-line load and test (SC_JUMP_TEST_*).
 */
#define SC_ABI_JUMP_SECTION "__staticcall_jump"
#define SC_ABI_JUMP_REGISTER_FN "__staticcall_jump_register"
#define SC_ABI_JUMP_UNREGISTER_FN "__staticcall_jump_unregister"
#define SC_JUMP_LIKELY 0x1u /* static_branch_likely: jumps while disabled */
/* Bytes of the load and test each arch's header emits. */
#define SC_JUMP_TEST_X86 36u
#define SC_JUMP_TEST_A64 36u

struct sc_abi_jump {
	int32_t site_rel;   /* the site's jump/NOP - &site_rel */
	int32_t target_rel; /* the branch's label - &target_rel */
	int32_t keyref_rel; /* a pointer to the key (read-only after
			       relocation) - &keyref_rel */
	uint32_t flags;     /* SC_JUMP_* */
};


/*
 * Promotable indirect-call sites (docs/ABI.md, "Promotable sites"; issue
 * 16). With -fplugin-arg-staticcall_gcc-promote and
 * -mindirect-branch=thunk-extern every indirect call compiled as
 * `call/jmp __x86_indirect_thunk_<reg>` gets one 8-byte record in
 * SC_ABI_PROMOTE_SECTION, and the unit defines each thunk it calls
 * (hidden, comdat: never reached through a PLT) in the layout below. A
 * hidden constructor of each linked object passes the section's bounds to
 * __staticcall_promote_register: a table of its own, like static keys',
 * so no version-1 header or older runtime changes.
 */
#define SC_ABI_PROMOTE_SECTION "__staticcall_promote"
#define SC_ABI_PROMOTE_REGISTER_FN "__staticcall_promote_register"
#define SC_ABI_PROMOTE_UNREGISTER_FN "__staticcall_promote_unregister"
#define SC_ABI_PROMOTE_SAMPLE_FN "__staticcall_promote_sample"
#define SC_ABI_PROMOTE_TICK_VAR "__staticcall_promote_tick"
#define SC_ABI_PROMOTE_CTOR "__staticcall_promote_ctor"
#define SC_PROMOTE_REG_MASK 0xfu /* the target's register, x86 number
				    (0 rax, 1 rcx, ... 15 r15; never 4) */
#define SC_PROMOTE_TAIL 0x10u	 /* `jmp thunk`: a tail call */
#define SC_PROMOTE_REG_HIGH 0x20u /* arm64: the register is x(16 + the
				     mask's number), x18..x29 */
/* (Clang) site_rel names an anchor, not the site: the site is the first
 * control transfer after it, `call` or (a tail call) `jmp` thunk; never
 * with SC_PROMOTE_TAIL. An older runtime rejects such a record (unknown
 * flag): the site stays on its retpoline. */
#define SC_PROMOTE_ANCHOR 0x40u
/* (GCC) with SC_PROMOTE_TAIL: the `jmp thunk` is an indirect jump that is
 * no call (a computed goto, a jump table), learned as a tail call is;
 * its targets are labels of the function. Reports call it a jump site.
 * An older runtime rejects such a record (unknown flag): the jump stays
 * on its retpoline. */
#define SC_PROMOTE_JUMP 0x80u
/* (Clang, arm64; with SC_PROMOTE_ANCHOR) the anchored site is a `bl` to
 * the compiler's own SLS thunk (LLVM's __llvm_slsblr_thunk_xN of
 * -mharden-sls=blr: `[bti c;] mov x16, xN; br x16; dsb sy; isb`, local
 * to the object): the register is the thunk's (the record's register
 * bits are 0). The runtime checks the thunk's every word, then points
 * the `bl` at a sampling entry of its own (docs/PATCHING.md). */
#define SC_PROMOTE_SLS 0x100u
/* (GCC, x86-64; with neither TAIL nor ANCHOR) the site is the slow path
 * of an inline site (-fplugin-arg-staticcall_gcc-promote-inline): a
 * `call thunk` out of line, right after the restartable sequence's
 * signature, followed by `jmp` back to the end of the inline site,
 * which compares the register with one learned target before a direct
 * call of its own (layout below; docs/PATCHING.md "Inline sites"). An
 * older runtime rejects such a record (unknown flag): the inline site
 * stays closed, every call on this slow path. */
#define SC_PROMOTE_INLINE 0x200u
/* (0x400 and up: no flag.) */

struct sc_abi_promote {
	int32_t site_rel; /* the site's call/jmp - &site_rel */
	uint32_t flags;	  /* SC_PROMOTE_* */
};

/* The x86-64 thunk of one register (docs/ABI.md): 16-byte aligned, a
 * slot quadword first (plain: `jmp +6` into the retpoline; sampling:
 * `jmp` to the sample block at SC_X86_THUNK_SAMPLE). */
#define SC_X86_THUNK_SLOT_PLAIN 0xcccccccccccc06ebull
#define SC_X86_THUNK_SLOT_SAMPLE 0xcccccccccccc1eebull
#define SC_X86_THUNK_RETPOLINE 8u /* the retpoline after the slot */
#define SC_X86_THUNK_SAMPLE 32u	  /* the sample block */
#define SC_X86_THUNK_LEN 72u	  /* to its end (at most; 16-aligned) */

/* An x86-64 inline site (SC_PROMOTE_INLINE), 8-byte aligned, 36 bytes,
 * scratch register %r11 (dead at every call the plugin gives this form):
 *   +0   movq $desc, %fs:rseq_cs   64 48 c7 04 25 disp32 imm32
 *        as compiled: jmp slow     e9 rel32, then 8 zero bytes
 *   +13  ds leaq A(%rip), %r11     3e 4c 8d 1d rel32   (the sequence)
 *   +21  ds cmpq %r11, %reg        3e 4c/4d 39 d8+r
 *   +25  jne  slow                 0f 85 rel32
 *   +31  call B                    e8 rel32            (its end: +36)
 * The first instruction stores the site's restartable-sequence
 * descriptor (desc, an address below 2 GiB the runtime gives it) in the
 * thread's rseq area (rseq_cs, at glibc's __rseq_offset + 8 from the
 * thread pointer): both are known only at run time, so the site is
 * compiled with that instruction's first five bytes a `jmp` to its slow
 * path and its last eight zero, never executed; the runtime writes them
 * (then the five) when it first opens the site. No data is read: the
 * whole sequence is 5 instructions. A is closed (the `cmp` itself: rel32
 * 0, no function is there) until the runtime opens it, B the thunk; the
 * `ds` prefixes keep A and B each inside one aligned word. Out of line,
 * 8-byte aligned: a filler byte, `ud1 0x53053053(%rip), %edi` (the
 * signature, 0f b9 3d + 4 bytes, which the kernel checks before an
 * abort), then the slow site (the record's, the abort handler): `call
 * thunk; jmp back` (e9 rel32 to +36). */
#define SC_X86_INLINE_LEN 36u
#define SC_X86_INLINE_STORE 13u /* the descriptor store's length */
#define SC_X86_INLINE_SEQ 13u	/* the sequence's first byte: `leaq A` */
#define SC_X86_INLINE_CALL 31u	/* `call B` */
#define SC_X86_RSEQ_SIG 0x53053053u

/* The arm64 thunk of one register (docs/ABI.md), reached by `bl` only
 * (-mharden-sls=blr's shape): 16-byte aligned, a slot word first (its
 * first instruction `b` to the body or to the sample block, then `brk`),
 * the body `mov x16, xN; br x16; dsb sy; isb` (GCC's own thunk), the
 * sample block. */
#define SC_A64_THUNK_PREFIX "__staticcall_call_indirect_x"
#define SC_A64_THUNK_SLOT_PLAIN 0xd4200b8014000002ull  /* b .+8; brk #0x5c */
#define SC_A64_THUNK_SLOT_SAMPLE 0xd4200b8014000006ull /* b .+24 */
#define SC_A64_THUNK_BODY 8u	/* mov x16, xN; br x16; dsb sy; isb */
#define SC_A64_THUNK_SAMPLE 24u /* the sample block */
#define SC_A64_THUNK_SIZE 80u

/*
 * What the runtime knows of its promotable sites, for a reader outside
 * the process (staticcall-inspect --pid, through /proc/PID/mem): the
 * runtime's data symbol SC_ABI_PROMOTE_VIEW_SYM says where its list of
 * registered objects is and where each field lies in its own entries, so
 * its tables keep no fixed layout and no copy. Read without its lock: a
 * snapshot, which the reader checks as it goes.
 */
#define SC_ABI_PROMOTE_VIEW_SYM "__staticcall_promote_view"
#define SC_ABI_PROMOTE_VIEW_VERSION 1u
/* mode: what the runtime did with the last object that registered */
#define SC_PROMOTE_VIEW_UNSET 0u  /* none registered yet */
#define SC_PROMOTE_VIEW_OFF 1u	  /* STATICCALL_PROMOTE=off, _DISABLE=1 */
#define SC_PROMOTE_VIEW_ON 2u	  /* learning */
#define SC_PROMOTE_VIEW_FREEZE 3u /* STATICCALL_PROMOTE=freeze */
#define SC_PROMOTE_VIEW_SEALED 4u /* static_call_seal(CODE), _SEAL */
struct sc_abi_promote_view {
	uint32_t version, mode;
	uint64_t objects; /* the list's head: a pointer to its first */
	/* an object: its next (pointer), its sites (pointer to an array),
	 * how many (size_t): offsets */
	uint16_t obj_next, obj_sites, obj_nsites;
	/* a site: its size, its call's address (pointer), its state (one
	 * byte, an index into state_of): offsets */
	uint16_t site_size, site_insn, site_state;
	uint8_t state_of[16]; /* enum static_call_promote_state, or 0xff */
};

/* clang-format on */
#endif
