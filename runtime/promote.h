/*
 * promote.h - promotion of ordinary indirect calls (issue 16,
 * docs/PATCHING.md "Promoted sites"): the arch-neutral part (promote.c)
 * and what each arch provides (promote_<isa>.c). Only x86-64 has sites
 * today; the other arches' file says so (sc_parch_supported() == 0).
 */
#ifndef SC_PROMOTE_H
#define SC_PROMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "execmem.h"
#include "internal.h"
#include "staticcall/promote.h"

/* Targets one stub compares, at most (a compare chain): a jump site's
 * (an interpreter's dispatch) up to 16. */
#define SC_PROMOTE_MAX_TARGETS 16
/* Bytes of the largest stub, counting or not, of SC_PROMOTE_MAX_TARGETS
 * (x86-64 counting: 688; arm64 counting: 736): buffers for one take
 * this. */
#define SC_PSTUB_MAX 736

/* The counter's bit a counting stub tests: set, it has stopped. */
#define SC_PROMOTE_HITS_MAX_BIT 24
_Static_assert(STATIC_CALL_PROMOTE_HITS_MAX == 1ul << SC_PROMOTE_HITS_MAX_BIT,
	       "a counting stub tests bit SC_PROMOTE_HITS_MAX_BIT");

/* ---- provided by each arch: promote_<isa>.c ------------------------ */
int sc_parch_supported(void);
/* The runtime's end of a thunk's sample block (NULL: none). */
const void *sc_parch_sample_fn(void);
/* Length of a site's instruction (call or tail jump): x86-64 5 (E8/E9
 * rel32), arm64 4 (BL/B). Buffers for one take SC_PSITE_MAX bytes. */
size_t sc_parch_site_len(void);
#define SC_PSITE_LEN sc_parch_site_len()
#define SC_PSITE_MAX 8
/* Where the live site instruction at `insn` goes (a call, or a jump when
 * tail), NULL if it holds neither. */
const uint8_t *sc_parch_site_dest(const uint8_t *insn, int tail);
/* The site's bytes re-targeted to dest; 0 if out of range. */
int sc_parch_site_encode(const uint8_t *insn, int tail, const void *dest,
			 uint8_t out[SC_PSITE_MAX]);
/* Does the code at thunk hold exactly the plugin's thunk for register
 * reg (docs/ABI.md), its slot in either form? Its sample block's call
 * must land in [call_lo, call_hi) or at sample_fn. It reads at most
 * sc_parch_thunk_len() bytes. */
size_t sc_parch_thunk_len(void);
int sc_parch_thunk_ok(const uint8_t *thunk, int reg, uintptr_t call_lo,
		      uintptr_t call_hi, const void *sample_fn);
/* Where the thunk's retpoline starts, past its slot. */
const uint8_t *sc_parch_thunk_retpoline(const uint8_t *thunk);
/* The thunk's slot word: plain (retpoline only) or sampling. */
uint64_t sc_parch_thunk_slot(int sampling);
/* Bytes a stub of n targets takes (code and data, a multiple of 16). */
size_t sc_parch_stub_size(int n);
/* The stub for register reg and targets[0..n) that will live at `at`,
 * into out (sc_parch_stub_size(n) bytes): behaves as `jmp *%reg` for
 * every value, falling back to `miss` (the thunk). 0 if a target or the
 * thunk is out of reach from `at`. */
int sc_parch_stub_encode(const uint8_t *at, int reg, void *const *targets,
			 int n, const uint8_t *miss, uint8_t *out);
/* The counting form of a stub (STATICCALL_PROMOTE_COUNT, the default):
 * the same compare chain, each hit adding one to counters[i] until it
 * holds STATIC_CALL_PROMOTE_HITS_MAX (then only reading it), and a miss
 * to counters[n] (plain, non-atomic increments of a read-write page the
 * stub reaches; concurrent calls may lose counts). Bytes it takes (0:
 * the arch has no counting form), and its bytes for `at`; 0 if out of
 * reach. */
size_t sc_parch_counted_stub_size(int n);
int sc_parch_counted_stub_encode(const uint8_t *at, int reg,
				 void *const *targets, int n,
				 const uint8_t *miss, uint64_t *counters,
				 uint8_t *out);
/* A tail site's slow stub (tail sites have no return address to name
 * them): counts the thread's tick down like a thunk's sample block and
 * at zero passes the target and the site's end (as if it were a return
 * address) to the runtime through `sample_call` (the thunk's, its PLT
 * entry), then takes the thunk's retpoline. Bytes it takes, and its
 * bytes for address `at` into out; 0 if out of reach or the tick's
 * offset from the thread pointer does not fit. */
size_t sc_parch_slow_size(void);
/* The stub keeps the registers the sampler's lazily bound PLT entry may
 * clobber and a callee may read (x86-64: %r10, %r11, as the thunk's
 * sample block does); a jump site's (SC_PROMOTE_JUMP) needs them most:
 * every register may be live across it (GCC's IPA-RA keeps caller-saved
 * ones live across a call to a function whose only branches out are
 * such jumps). */
int sc_parch_slow_encode(const uint8_t *at, int reg, const uint8_t *site_end,
			 const uint8_t *thunk, uint8_t *out);
/* A given-up site's own stub, for a unit built without retpolines
 * (promote-plain): `jmp *%reg`, then traps. The thunk's one `jmp *%reg`
 * is shared by every site of its register (one branch-prediction entry
 * for all of them); this one is the site's own. sc_parch_thunk_plain:
 * does the (verified) thunk end in that plain jump rather than a
 * retpoline (a retpoline unit's given-up sites stay on its retpoline)?
 * Bytes a stub takes (0: the arch has none), and its bytes into out;
 * 0 for a register it cannot take. */
int sc_parch_thunk_plain(const uint8_t *thunk, int reg);
size_t sc_parch_jump_stub_size(void);
int sc_parch_jump_stub_encode(const uint8_t *thunk, int reg, uint8_t *out);
/* A given-up site of a promote-plain unit, in place (docs/PATCHING.md
 * "Given-up sites of a plain build"): its own SC_PSITE_LEN bytes become a
 * NOP, then `call *%reg` (tail: the plain thunk's own `jmp *%reg`, its
 * prefixes kept, so a notrack jump stays notrack), ending where the site
 * ends (a call's return address unchanged). Two instructions: a thread
 * may be parked between them, so the form is terminal, never written
 * again. Its bytes into out, for the verified plain thunk `thunk`; 0 if
 * the arch has no such form or it does not fit (the site then takes a
 * jump stub). */
int sc_parch_in_place_encode(const uint8_t *thunk, int reg, int tail,
			     uint8_t out[SC_PSITE_MAX]);
/* The compiler's own SLS thunks (SC_PROMOTE_SLS; arm64, Clang's
 * -mharden-sls=blr): the register of the thunk at t, every word checked
 * (`[bti c;] mov x16, xN; br x16; dsb sy; isb`, LLVM 14 to 19), -1 if it
 * holds anything else or the arch has none. */
int sc_parch_sls_thunk_reg(const uint8_t *t);
/* The runtime's sampling entry for such sites of register reg, made in
 * the object's stub memory: bytes it takes (0: none on this arch), and
 * its bytes for address `at` into out: counts the thread's tick down as
 * a plugin thunk's sample block does, at zero hands the site's return
 * address, the target and reg to sample_fn, then goes on exactly as the
 * compiler's thunk. 0 if the tick's offset from the thread pointer does
 * not fit. */
size_t sc_parch_sls_entry_size(void);
int sc_parch_sls_entry_encode(const uint8_t *at, int reg, const void *sample_fn,
			      uint8_t *out);
/* Inline sites (SC_PROMOTE_INLINE, x86-64; docs/PATCHING.md "Inline
 * sites"), found from their slow path `slow` in three steps, each
 * reading only bytes the caller has checked are in the object's code:
 * the bytes around slow the arch reads first [lo, hi); from those, the
 * site's start (NULL: none; or the arch has none); then the site
 * [start, end of sc_parch_inline_span) holds the inline site through
 * register reg whose slow path is `slow`, as compiled: start again
 * (NULL if not). Field 0 is A, the address compared with the register
 * (closed: the site's own compare, which no function is), field 1 B, the
 * direct call's target: where each leads now, and its new bytes for `to`
 * (returns their offset from start, 0 if out of reach; 4 bytes, inside
 * one aligned word). The restartable sequence is [seq, end). */
void sc_parch_inline_slow_span(const uint8_t *slow, const uint8_t **lo,
				const uint8_t **hi);
const uint8_t *sc_parch_inline_start(const uint8_t *slow);
const uint8_t *sc_parch_inline_find(const uint8_t *start, const uint8_t *slow,
				    int reg);
const void *sc_parch_inline_dest(const uint8_t *start, int field);
const void *sc_parch_inline_closed(const uint8_t *start);
size_t sc_parch_inline_encode(const uint8_t *start, int field,
			      const void *to, uint8_t out[4]);
/* The site's first instruction, the descriptor store: desc into the
 * word rseq_cs bytes from the thread pointer; its length (0: desc or
 * rseq_cs out of the form's reach). Its first bytes (as many as the
 * bypass's) replace the `jmp` the site is compiled with; the rest are
 * never executed before, so they are written first, at once. */
size_t sc_parch_inline_arm_encode(const uint8_t *start, intptr_t rseq_cs,
				  const void *desc, uint8_t out[16]);
/* The site's first instruction as compiled, and as it is when given up
 * on for good: a `jmp` to its slow path `slow` (the store, the compare
 * and the `jne` skipped), bytes for `start` into out; 0: no such form,
 * or out of reach. They fit inside its first word. */
size_t sc_parch_inline_bypass_encode(const uint8_t *start, const uint8_t *slow,
				     uint8_t out[8]);
/* The signature before a restartable sequence's abort handler (glibc's
 * RSEQ_SIG of the arch). */
#if defined(__x86_64__)
#define SC_PARCH_RSEQ_SIG SC_X86_RSEQ_SIG
#else
#define SC_PARCH_RSEQ_SIG 0xd428bc00u /* arm64: brk #0x45e0 */
#endif
void sc_parch_inline_span(const uint8_t *start, const uint8_t **seq,
			  const uint8_t **end);
/* The kernel self-test's sequence (rseq_probe_<isa>.S; promote_inline.c
 * kernel_restarts): a function that stores desc in the thread's rseq_cs,
 * sets *inside and spins inside [*start, *end) until *leave, returning
 * 0 then and 1 from its abort handler, which follows the signature's
 * four bytes at *sig (not aligned). NULL: the arch has none (and no
 * inline sites). */
typedef int sc_rseq_probe_fn(uint64_t *rseq_cs, const void *desc,
			     volatile int *inside, volatile int *leave);
sc_rseq_probe_fn *sc_parch_rseq_probe(const uint8_t **start,
				      const uint8_t **end,
				      const uint8_t **sig);

/* Does `p` lie within reach (a direct branch) of every address in
 * [lo, hi)? */
int sc_parch_reach(uintptr_t p, uintptr_t lo, uintptr_t hi);

/* ---- stub memory ---------------------------------------------------- */
/* Each object's stubs live in a region of execmem.c (execmem.h) reserved
 * within sc_parch_reach of its code, filled with sc_parch_fill(): the
 * arch's trap instruction, repeated (never run: stubs jump over nothing). */
uint32_t sc_parch_fill(void);
/* The letter the perf map writes before a stub's register number. */
char sc_parch_reg_letter(void);

/* ---- promote.c ------------------------------------------------------ */
/* Re-target the site at insn (a call, or a jump when tail) of object o
 * from `from` to `to`: one aligned word, written by the text writer after
 * checking the site still reaches `from`. 0 or -errno (-EBUSY: it does
 * not; -ERANGE: `to` is out of reach; -EINVAL: not inside one word or not
 * in o's code). */
int sc_promote_retarget(const struct sc_object *o, uint8_t *insn, int tail,
			const void *from, const void *to);
/* The same for any new bytes of the site (SC_PSITE_LEN of them, the
 * in-place form): written only if the site still reaches `from`, in one
 * aligned word through the text writer. 0 or -errno as above. */
int sc_promote_write_site(const struct sc_object *o, uint8_t *insn, int tail,
			  const void *from, const uint8_t *bytes);
/* n bytes at `at` (inside one aligned word of o's code) become `bytes`
 * if they still are `expect` (what the caller checked): one CAS of the
 * word through the text writer. 0 or -errno (-EBUSY: not `expect`;
 * -EINVAL: not one word, or not o's code). */
int sc_promote_write_bytes(const struct sc_object *o, uint8_t *at,
			   const uint8_t *expect, const uint8_t *bytes,
			   size_t n);
/* The n bytes at `at` (inside one aligned word of code), in one load. */
void sc_promote_read_bytes(const uint8_t *at, uint8_t *out, size_t n);
/* The C end of __staticcall_promote_sample (promote_<isa>.S). */
void sc_promote_sample_entry(uintptr_t ret, uintptr_t target, uintptr_t reg);

/* Stub memory reserved per object (SC_PROMOTE_POOL; unit tests make it
 * small to use it up). */
extern size_t sc_promote_pool_bytes;
extern uint64_t sc_promote_batch_us; /* tests: how long decisions gather */
/* tests: a relayout's first delay after a promotion (ms; UINT64_MAX:
 * none) */
extern uint64_t sc_promote_relayout_ms;

#endif
