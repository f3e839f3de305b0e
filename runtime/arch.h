/*
 * arch.h - the boundary between the arch-neutral runtime and one ISA.
 *
 * Each ISA has two files implementing everything declared under "provided
 * by each arch" below, and nothing else of the runtime is ISA-specific:
 *   arch_<isa>.c    encodes and decodes the patchable instructions and the
 *                   trampoline slot, plans safe byte changes, loads and
 *                   compare-and-swaps live code words
 *   anchor_<isa>.c  decodes forward from a Clang anchor to the first
 *                   control transfer
 * meson (runtime/meson.build) picks the pair for the host; the fuzzer
 * (tests/fuzz) compiles the arm64 pair on an x86-64 host too, so nothing
 * here may depend on the compiler's target macros. site_decode.c holds
 * what both arches share on top of these (naming a site's form, finding
 * the site an anchor points at).
 */
#ifndef SC_ARCH_H
#define SC_ARCH_H

#include <stdint.h>

#include "staticcall.h"
#include "staticcall_abi.h"
/* kernel.h's types (struct static_key, the site forms) alone */
#define __STATICCALL_KERNEL_TYPES_ONLY
#include "staticcall/kernel.h"
#undef __STATICCALL_KERNEL_TYPES_ONLY

/* Patchable instruction kinds. */
enum sc_insn_kind {
	SC_INSN_CALL = 0, /* x86: E8 rel32;        arm64: bl */
	SC_INSN_JMP = 1,  /* x86: E9 rel32;        arm64: b (tail call) */
	SC_INSN_JCC = 2,  /* x86: 0F 8x rel32 (conditional tail call);
			     arm64: never a site */
	SC_INSN_SLOT = 3, /* a trampoline's first quadword */
};
#define SC_MAX_INSN 8

/* The trampoline's patch slot is its first aligned quadword on every arch
 * (sc_arch_decode_slot reads it as one uint64_t); its alignment is the
 * arch's (sc_arch_tramp_align, from the SC_*_TRAMP_* of docs/ABI.md). */
#define SC_TRAMP_SLOT 8u

/* Bytes of struct sc_code private to the arch (x86: a jcc's opcode and
 * condition, kept across NOP forms). */
#define SC_CODE_ARCH 2

enum sc_code_state {
	SC_CODE_UNVERIFIED = 0, /* bytes never matched: left alone */
	SC_CODE_OK = 1,		/* `bytes` hold what is in memory */
};

/* A patchable piece of code: a site or a trampoline slot. */
struct sc_code {
	uint8_t *insn;		    /* the instruction (site) or the slot */
	uint8_t len;		    /* its length in bytes */
	uint8_t kind;		    /* enum sc_insn_kind */
	uint8_t bytes[SC_MAX_INSN]; /* what we last saw or wrote there */
	uint8_t arch[SC_CODE_ARCH]; /* the arch's own, from
					sc_arch_keep_compiled: not for the
					arch-neutral code */
	uint8_t cond;		    /* a guarded site (SC_SITE_COND) */
	uint8_t state;		    /* enum sc_code_state */
	uint8_t prot;		    /* PROT_* of its segment, to restore */
	uint8_t inline_form;	    /* `bytes` hold an inline form (inline.c):
				       its enum static_call_site_form, with
				       SC_INLINE_MULTI if several
				       instructions; 0 otherwise */
	const char *reason;	    /* why it cannot be patched, if it cannot */
};

/* Writes of phase p all happen before any of phase p+1, with a core sync
 * in between (docs/PATCHING.md). */
#define SC_PHASES 3

/* One byte change, tagged with its phase (sc_arch_plan). */
struct sc_byte_patch {
	uint8_t *addr;
	uint8_t value;
	uint8_t phase;
	int prot; /* protection of its segment */
};
#define SC_MAX_BYTE_PATCHES (2 * SC_MAX_INSN)

/*
 * One program holding both arches (tools/staticcall-inspect reads x86-64
 * and arm64 files): each arch's files, site_decode.c and arch_ops.c are
 * compiled with SC_ARCH_NS=<x86|a64>, which names the functions below
 * sc_<ns>_* instead of sc_arch_*, and arch_ops.c gathers them into the
 * table sc_<ns>_ops. The runtime compiles its one arch without it and
 * calls sc_arch_* directly: no table on its paths.
 */
#ifdef SC_ARCH_NS
#define SC_ARCH_PASTE_(a, b, c) a##b##c
#define SC_ARCH_PASTE(a, b, c) SC_ARCH_PASTE_(a, b, c)
#define SC_NS(name) SC_ARCH_PASTE(sc_, SC_ARCH_NS, _##name)
#define sc_arch_id SC_NS(id)
#define sc_arch_tramp_align SC_NS(tramp_align)
#define sc_arch_insn_len SC_NS(insn_len)
#define sc_arch_match SC_NS(match)
#define sc_arch_read_site SC_NS(read_site)
#define sc_arch_encode_site SC_NS(encode_site)
#define sc_arch_encode_form SC_NS(encode_form)
#define sc_arch_keep_compiled SC_NS(keep_compiled)
#define sc_arch_decode_slot SC_NS(decode_slot)
#define sc_arch_encode_slot SC_NS(encode_slot)
#define sc_arch_plan SC_NS(plan)
#define sc_arch_breakpoint_at SC_NS(breakpoint_at)
#define sc_arch_is_transient SC_NS(is_transient)
#define sc_arch_bind_slot SC_NS(bind_slot)
#define sc_arch_bind_init SC_NS(bind_init)
#define sc_arch_bind_block_ok SC_NS(bind_block_ok)
#define sc_arch_cas_code SC_NS(cas_code)
#define sc_code_load64 SC_NS(code_load64)
#define sc_arch_first_transfer SC_NS(first_transfer)
#define sc_arch_fragment_check SC_NS(fragment_check)
#define sc_arch_landing_pad_len SC_NS(landing_pad_len)
#define sc_arch_is_landing_pad SC_NS(is_landing_pad)
#define sc_arch_jump_len SC_NS(jump_len)
#define sc_arch_jump_encode SC_NS(jump_encode)
#define sc_arch_jump_read SC_NS(jump_read)
#define sc_arch_jump_test_ok SC_NS(jump_test_ok)
#define sc_arch_inline_site SC_NS(inline_site)
#define sc_arch_inline_const SC_NS(inline_const)
#define sc_arch_inline_ret_arg SC_NS(inline_ret_arg)
#define sc_arch_gen_const SC_NS(gen_const)
#define sc_arch_gen_ret_arg SC_NS(gen_ret_arg)
#define sc_decode_site SC_NS(decode_site)
#define sc_find_site SC_NS(find_site)
#endif

/* ---- provided by each arch: arch_<isa>.c ------------------------------ */
uint32_t sc_arch_id(void); /* SC_ABI_ARCH_* */
unsigned sc_arch_tramp_align(void);
int sc_arch_insn_len(int kind);
/* Do the bytes hold an instruction of this kind (any displacement)? */
int sc_arch_match(const uint8_t *bytes, int kind);
/*
 * What a site's live bytes hold, read by the arch alone: a form that calls
 * nothing (STATIC_CALL_SITE_NOP, STATIC_CALL_SITE_RETURN_ZERO), the site's
 * own kind of instruction (STATIC_CALL_SITE_DIRECT, with *reaches set to
 * where it goes, whatever that is), else STATIC_CALL_SITE_UNVERIFIED.
 * sc_decode_site (site_decode.c) names the form from that.
 */
int sc_arch_read_site(const struct sc_code *c, const uint8_t *live,
		      void **reaches);
/* Bytes of the site re-targeted to dest; 0 with *why set if it cannot. */
int sc_arch_encode_site(const struct sc_code *c, const void *dest,
			uint8_t out[SC_MAX_INSN], const char **why);
/* Bytes of the site in a form that calls nothing: STATIC_CALL_SITE_NOP
 * (a guarded site while its key is NULL) or STATIC_CALL_SITE_RETURN_ZERO
 * (inline `return 0`). 0 if the arch cannot patch that form here (safely,
 * while other threads run): the site then calls a function instead. An
 * arch without these forms need not define it (weak default in patch.c). */
int sc_arch_encode_form(const struct sc_code *c, int form,
			uint8_t out[SC_MAX_INSN]);
/* Keep what the arch needs of the instruction as compiled (c->arch), read
 * from `compiled` when the site is first verified. */
void sc_arch_keep_compiled(struct sc_code *c, const uint8_t *compiled);
/* Do the live bytes hold the transient a straddling change writes first
 * (x86 `jmp .`, docs/PATCHING.md): an update is in progress. */
int sc_arch_is_transient(const struct sc_code *c, const uint8_t *live);
/* Trampoline slot: is the word a valid slot? Fills *reaches (NULL: slow). */
int sc_arch_decode_slot(const uint8_t *slot, uint64_t word, void **reaches);
/* Slot word jumping straight to dest, or the slow path if dest is NULL or
 * out of range (then *why says so). */
uint64_t sc_arch_encode_slot(const uint8_t *slot, const void *dest,
			     const char **why);
/* Lazy binding (docs/PATCHING.md). The slot word that jumps to the
 * trampoline's bind block, given the slot's word now (arm64 keeps its
 * word 1, the slow path's); 0 if the arch has none. */
uint64_t sc_arch_bind_slot(uint64_t live);
/* What the arch's __staticcall_bind needs before its first call (x86-64:
 * the XSAVE area's size); called before any slot takes its bind form. */
void sc_arch_bind_init(void);
/* Does the bind block before the trampoline at `slot` hold exactly what
 * the plugin emits for descriptor `desc`? Then *callee is where it calls
 * (the PLT entry of __staticcall_bind), *lo the block's first byte. */
int sc_arch_bind_block_ok(const uint8_t *slot, const void *desc,
			  const uint8_t **lo, const void **callee);
/* Byte changes, tagged with their phase, that turn the bytes `from` (what
 * the code holds now) into `to` safely: the patch planner composes them
 * into word writes, so pieces of code sharing a word compose. Returns how
 * many (at most SC_MAX_BYTE_PATCHES), or -1 if no safe sequence exists at
 * this address (an instruction spanning two words whose change cannot be
 * one word write; with allow_wait, the `jmp .` transient may be used where
 * only the displacement straddles, docs/PATCHING.md). */
int sc_arch_plan(const struct sc_code *c, const uint8_t *from,
		 const uint8_t *to, int allow_wait, struct sc_byte_patch *out);
/* Do the live bytes differ from what the runtime wrote only by a
 * debugger's breakpoint over the first byte (x86 int3), so that the other
 * bytes may still be written and the debugger's restore completes them? */
int sc_arch_breakpoint_at(const struct sc_code *c, const uint8_t *live);
/* The text writer's real compare-and-swap of one aligned code quadword:
 * 1 if *word held expect and now holds value. On arm64 only the 4-byte instruction words
 * that change are stored, so no neighbouring instruction is ever
 * rewritten, not even with its own value (docs/PATCHING.md, arm64). */
int sc_arch_cas_code(uint64_t *word, uint64_t expect, uint64_t value);
/* An aligned code word, read atomically (and invisibly to sanitizers). */
uint64_t sc_code_load64(const uint64_t *word);

/* Static keys (static_keys.c): a site is one instruction, a NOP or a
 * direct jump, inside one aligned 8-byte word. */
int sc_arch_jump_len(void);
/* The bytes of a site at `site` jumping to dest, or a NOP (dest NULL); 0
 * if dest is out of the jump's range. */
int sc_arch_jump_encode(const uint8_t *site, const void *dest,
			uint8_t out[SC_MAX_INSN]);
/* What the live bytes hold: STATIC_KEY_SITE_NOP, STATIC_KEY_SITE_JUMP
 * (with *dest), else STATIC_KEY_SITE_UNVERIFIED (kernel.h's enum). */
int sc_arch_jump_read(const uint8_t *site, const uint8_t *live, void **dest);
/* Does `test` hold exactly the load and test kernel.h emits for a site at
 * `site` (reading the key through `keyref`, branching to `target`, the
 * likely or unlikely sense) and nothing else? */
int sc_arch_jump_test_ok(const uint8_t *test, const uint8_t *site,
			 const void *keyref, const void *target, int likely);

/*
 * Inline forms (runtime/inline.c; docs/PATCHING.md "Inline forms"): a call
 * site holding its target's instruction(s) instead of calling it.
 */
#define SC_INLINE_MULTI 0x80 /* in sc_code.inline_form: several insns */
/* The bytes a site holds for an inline form of `len` bytes of `ninsn`
 * instructions, padded to the site's length (x86-64: `2e` prefixes on the
 * one instruction; after several, NOPs); 0 if the form cannot be at this
 * site (a tail or conditional site, too long, an arch whose sites may hold
 * only branches while threads run: arm64). */
int sc_arch_inline_site(const struct sc_code *c, const uint8_t *bytes, int len,
			int ninsn, uint8_t out[SC_MAX_INSN]);
/* One instruction that sets the return register to `v` (size: the return
 * type's bytes, 0 for the whole register) and fits a call site, or the
 * one that returns argument n; its length, 0 if there is none. */
int sc_arch_inline_const(uint64_t v, int size, uint8_t out[SC_MAX_INSN]);
int sc_arch_inline_ret_arg(int n, uint8_t out[SC_MAX_INSN]);
/* The code of a function with the same effect (a landing pad where the
 * arch has one, the instruction(s), return), at most SC_GEN_MAX bytes;
 * its length, 0 if n names no argument register. */
#define SC_GEN_MAX 32
int sc_arch_gen_const(uint64_t v, int size, uint8_t out[SC_GEN_MAX]);
int sc_arch_gen_ret_arg(int n, uint8_t out[SC_GEN_MAX]);

/* ---- provided by each arch: anchor_<isa>.c ---------------------------- */
/* The first control transfer at or after `anchor` (before `limit`, within
 * the arch's bound on the distance), or NULL with *why set. Shared with
 * tools/staticcall-inspect.c, which must resolve anchors exactly as the
 * runtime does. */
const uint8_t *sc_arch_first_transfer(const uint8_t *anchor,
				      const uint8_t *limit, const char **why);
/* A fragment's function (runtime/fragment.c): fn holds [landing pad]
 * insn ret, insn exactly len bytes of one instruction (with seq: of
 * several, their count in *ninsn; x86-64 only) free of anything that
 * depends on where it runs. NULL if so, else why not. */
const char *sc_arch_fragment_check(const uint8_t *fn, const uint8_t *insn,
				   size_t len, int seq, int *ninsn);
/* The landing pad an indirectly reached function may start with (x86-64
 * endbr64, arm64 bti c): its length, and whether p holds one. */
size_t sc_arch_landing_pad_len(void);
int sc_arch_is_landing_pad(const uint8_t *p);

/* ---- site_decode.c: the same for every arch --------------------------- */
struct sc_decoded {
	int form;      /* enum static_call_site_form */
	void *reaches; /* where control goes; NULL if unknown */
};
/* Decode a site's live bytes: TRAMPOLINE if its instruction reaches
 * `tramp`, else DIRECT or TAIL_JUMP by its kind; NOP, RETURN_ZERO or
 * UNVERIFIED as the arch reads them. */
struct sc_decoded sc_decode_site(const struct sc_code *c, const uint8_t *live,
				 const void *tramp);
/* The site an anchor points at: the first control transfer after it, which
 * must be a site instruction reaching `tramp`. 0 with *why set if not. */
int sc_find_site(const uint8_t *anchor, const uint8_t *limit, const void *tramp,
		 uint8_t **insn, int *kind, const char **why);

/* ---- arch_ops.c: one arch as a table, for a program holding both ------ */
struct sc_arch_ops {
	uint32_t (*id)(void); /* SC_ABI_ARCH_* */
	unsigned (*tramp_align)(void);
	int (*insn_len)(int kind);
	int (*match)(const uint8_t *bytes, int kind);
	int (*read_site)(const struct sc_code *c, const uint8_t *live,
			 void **reaches);
	int (*encode_site)(const struct sc_code *c, const void *dest,
			   uint8_t out[SC_MAX_INSN], const char **why);
	int (*encode_form)(const struct sc_code *c, int form,
			   uint8_t out[SC_MAX_INSN]);
	void (*keep_compiled)(struct sc_code *c, const uint8_t *compiled);
	int (*is_transient)(const struct sc_code *c, const uint8_t *live);
	int (*decode_slot)(const uint8_t *slot, uint64_t word, void **reaches);
	uint64_t (*bind_slot)(uint64_t live);
	int (*plan)(const struct sc_code *c, const uint8_t *from,
		    const uint8_t *to, int allow_wait,
		    struct sc_byte_patch *out);
	int (*jump_read)(const uint8_t *site, const uint8_t *live, void **dest);
	struct sc_decoded (*decode_site)(const struct sc_code *c,
					 const uint8_t *live,
					 const void *tramp);
	int (*find_site)(const uint8_t *anchor, const uint8_t *limit,
			 const void *tramp, uint8_t **insn, int *kind,
			 const char **why);
	const uint8_t *(*first_transfer)(const uint8_t *anchor,
					 const uint8_t *limit,
					 const char **why);
};
/* Defined only where arch_ops.c is compiled (SC_ARCH_NS=x86, =a64). */
extern const struct sc_arch_ops sc_x86_ops, sc_a64_ops;

#endif
