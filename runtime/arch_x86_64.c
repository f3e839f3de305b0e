/*
 * arch_x86_64.c - the x86-64 instruction forms the runtime writes, and the
 * word writes that change one form into another safely.
 *
 * A site is `call rel32` (E8), `jmp rel32` (E9, a tail call) or, from
 * Clang at -Os, `jcc rel32` (0F 8x, a conditional tail call). Re-targeting
 * changes only the displacement; the opcode stays. docs/PATCHING.md has the
 * protocol table; in short:
 *
 *  - displacement inside one aligned quadword: one atomic CAS of that word.
 *    Another thread fetches the unchanged opcode with either the old or the
 *    new displacement (the GCC plugin aligns every site this way);
 *  - displacement across two quadwords (anchored Clang sites can land
 *    anywhere): phase 0 turns the first two bytes into `jmp .` (EB FE), a
 *    thread arriving there waits; sync; phase 1 writes the rest of the new
 *    instruction; sync; phase 2 writes its first two bytes; sync.
 *
 * A trampoline's first quadword (its slot) is one of:
 *   slow path  EB 06 CC CC CC CC CC CC   jmp +6 to the indirect jump
 *   direct     E9 rel32 CC CC CC         jmp target
 *   bind       EB DE CC CC CC CC CC CC   jmp -32 to the bind block (lazy
 *                                        binding: a site not bound yet)
 */
#include <cpuid.h>
#include <string.h>

#include "internal.h"

#define OP_CALL 0xe8
#define OP_JMP 0xe9
#define SLOT_SLOW SC_X86_SLOT_SLOW /* EB 06 CC*6 (staticcall_abi.h) */
/* `jmp .`, the transient of a straddling change. */
static const uint8_t jmp_self[2] = { 0xeb, 0xfe };

uint32_t sc_arch_id(void)
{
	return SC_ABI_ARCH_X86_64;
}
unsigned sc_arch_tramp_align(void)
{
	return SC_X86_TRAMP_ALIGN;
}
_Static_assert(SC_X86_TRAMP_SLOT == SC_TRAMP_SLOT, "slot is one quadword");

static unsigned disp_offset(int kind)
{
	return kind == SC_INSN_JCC ? 2 : 1;
}

int sc_arch_insn_len(int kind)
{
	return kind == SC_INSN_JCC ? 6 : 5;
}

int sc_arch_match(const uint8_t *b, int kind)
{
	switch (kind) {
	case SC_INSN_CALL:
		return b[0] == OP_CALL;
	case SC_INSN_JMP:
		return b[0] == OP_JMP;
	case SC_INSN_JCC:
		return b[0] == 0x0f && (b[1] & 0xf0) == 0x80;
	}
	return 0;
}

static void *rel_target(const uint8_t *insn, const uint8_t *b, int kind)
{
	int32_t rel;
	memcpy(&rel, b + disp_offset(kind), 4);
	return (void *)(insn + sc_arch_insn_len(kind) + rel);
}

/* rel32 from the end of the instruction at `insn` to `dest`. */
static int rel32_to(const uint8_t *end, const void *dest, int32_t *rel)
{
	intptr_t d = (intptr_t)dest - (intptr_t)end;
	if (d < INT32_MIN || d > INT32_MAX)
		return 0;
	*rel = (int32_t)d;
	return 1;
}

/*
 * Forms that call nothing. Each is ONE instruction (docs/PATCHING.md):
 * a thread stopped anywhere in a site resumes at its first byte or after
 * it, whatever the site has become meanwhile. So `return 0` at a call site
 * is `mov $0,%eax` (B8 imm32: zero-extends into %rax, leaves the flags
 * alone), never `xor; nop`; a tail site has no one-instruction `return 0`
 * and jumps to __staticcall_ret0 instead (patch.c falls back to it).
 */
static const uint8_t nop_call[5] = { 0x0f, 0x1f, 0x44, 0x00,
				     0x00 }; /* nopl 0(%rax,%rax) */
static const uint8_t nop_tail[5] = { 0xc3, 0xcc, 0xcc, 0xcc,
				     0xcc }; /* ret; never-reached int3s */
static const uint8_t ret0_call[5] = { 0xb8, 0x00, 0x00, 0x00,
				      0x00 }; /* mov $0,%eax */

static const uint8_t *call_free_form(int kind, int form)
{
	if (kind == SC_INSN_CALL && form == STATIC_CALL_SITE_NOP)
		return nop_call;
	if (kind == SC_INSN_CALL && form == STATIC_CALL_SITE_RETURN_ZERO)
		return ret0_call;
	if (kind == SC_INSN_JMP && form == STATIC_CALL_SITE_NOP)
		return nop_tail;
	return NULL;
}

int sc_arch_encode_form(const struct sc_code *c, int form,
			uint8_t out[SC_MAX_INSN])
{
	const uint8_t *src = call_free_form(c->kind, form);
	if (!src)
		return 0;
	memcpy(out, src, 5);
	return 1;
}

/* The return-constant and return-argument forms a call site can hold
 * (sc_arch_inline_*, below), read from the bytes alone (the inspector
 * reads a process from outside); -1 if none. */
static int read_inline(const uint8_t *b)
{
	static const uint8_t or_m1[5] = { 0x2e, 0x48, 0x83, 0xc8, 0xff };
	if (b[0] == 0xb8 || !memcmp(b, or_m1, 5))
		return STATIC_CALL_SITE_RETURN_CONST;
	if (b[0] == 0x2e && b[1] == 0x2e && (b[2] == 0x48 || b[2] == 0x4c) &&
	    b[3] == 0x89 && (b[4] & 0xc7) == 0xc0) {
		for (int n = 0; n < 6; n++) {
			uint8_t e[SC_MAX_INSN];
			sc_arch_inline_ret_arg(n, e);
			if (!memcmp(b + 2, e, 3))
				return STATIC_CALL_SITE_RETURN_ARG;
		}
	}
	return -1;
}

int sc_arch_read_site(const struct sc_code *c, const uint8_t *live,
		      void **reaches)
{
	static const int call_free[] = { STATIC_CALL_SITE_NOP,
					 STATIC_CALL_SITE_RETURN_ZERO };
	for (int i = 0; i < 2; i++) {
		const uint8_t *f = call_free_form(c->kind, call_free[i]);
		if (f && !memcmp(live, f, 5))
			return call_free[i];
	}
	if (c->kind == SC_INSN_CALL && read_inline(live) >= 0)
		return read_inline(live);
	if (!sc_arch_match(live, c->kind))
		return STATIC_CALL_SITE_UNVERIFIED;
	*reaches = rel_target(c->insn, live, c->kind);
	return STATIC_CALL_SITE_DIRECT;
}

int sc_arch_encode_site(const struct sc_code *c, const void *dest,
			uint8_t out[SC_MAX_INSN], const char **why)
{
	int32_t rel;
	/* The opcode as compiled (the site may hold a NOP form now). */
	if (!sc_arch_match(c->arch, c->kind)) {
		*why = "site does not hold the instruction the plugin emitted";
		return 0;
	}
	if (!rel32_to(c->insn + c->len, dest, &rel)) {
		*why = "target is out of rel32 range of the site";
		return 0;
	}
	memcpy(out, c->arch, disp_offset(c->kind));
	memcpy(out + disp_offset(c->kind), &rel, 4);
	return 1;
}

/* The opcode bytes as compiled: a jcc keeps its condition across NOP
 * forms. */
_Static_assert(SC_CODE_ARCH >= 2, "x86 keeps two opcode bytes");
void sc_arch_keep_compiled(struct sc_code *c, const uint8_t *compiled)
{
	memcpy(c->arch, compiled, 2);
}

int sc_arch_is_transient(const struct sc_code *c, const uint8_t *live)
{
	(void)c;
	return !memcmp(live, jmp_self, sizeof jmp_self);
}

uint64_t sc_arch_bind_slot(uint64_t live)
{
	(void)live;
	return SC_X86_SLOT_BIND;
}

/* bind_x86_64.S saves the vector state in this many bytes with XSAVE; 0:
 * FXSAVE (the OS enables no XSAVE). */
unsigned sc_x86_xsave_size;

void sc_arch_bind_init(void)
{
	unsigned a, b, c, d;
	if (__atomic_load_n(&sc_x86_xsave_size, __ATOMIC_RELAXED))
		return;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	/* EBX: the size for the features XCR0 enables now */
	__cpuid_count(0xd, 0, a, b, c, d);
	if (b >= 576)
		__atomic_store_n(&sc_x86_xsave_size, b, __ATOMIC_RELAXED);
}

static const uint8_t *rel32_dest(const uint8_t *after, const uint8_t *disp)
{
	int32_t rel;
	memcpy(&rel, disp, 4);
	return after + rel;
}

int sc_arch_bind_block_ok(const uint8_t *slot, const void *desc,
			  const uint8_t **lo, const void **callee)
{
	const uint8_t *b = slot - SC_X86_BIND_BLOCK;
	static const uint8_t lea[3] = { 0x4c, 0x8d,
					0x1d }; /* leaq x(%rip), %r11 */
	if (memcmp(b, lea, 3) || rel32_dest(b + 7, b + 3) != desc ||
	    b[7] != 0x41 || b[8] != 0x53 || /* pushq %r11 */
	    b[9] != OP_CALL ||		    /* call __staticcall_bind */
	    b[14] != 0x41 || b[15] != 0x5b) /* popq %r11 */
		return 0;
	const uint8_t *end;
	if (b[16] == 0xeb)
		end = b + 18 + (int8_t)b[17];
	else if (b[16] == OP_JMP)
		end = rel32_dest(b + 21, b + 17);
	else
		return 0;
	if (end != slot + SC_X86_TRAMP_SLOT) /* jmp to the slow path */
		return 0;
	*lo = b;
	*callee = rel32_dest(b + 14, b + 10);
	return 1;
}

int sc_arch_decode_slot(const uint8_t *slot, uint64_t word, void **reaches)
{
	/* the bind block ends in the slow path: it reaches the key's value */
	if (word == SLOT_SLOW || word == SC_X86_SLOT_BIND) {
		*reaches = NULL;
		return 1;
	}
	if ((uint8_t)word == OP_JMP && (word >> 40) == 0xcccccc) {
		int32_t rel = (int32_t)(uint32_t)(word >> 8);
		*reaches = (void *)(slot + 5 + rel);
		return 1;
	}
	return 0;
}

uint64_t sc_arch_encode_slot(const uint8_t *slot, const void *dest,
			     const char **why)
{
	int32_t rel;
	if (!dest) {
		*why = SC_REASON_TARGET_NULL;
		return SLOT_SLOW;
	}
	if (!rel32_to(slot + 5, dest, &rel)) {
		*why = "target is out of rel32 range of the trampoline";
		return SLOT_SLOW;
	}
	*why = NULL;
	return 0xcccccc00000000e9ull | ((uint64_t)(uint32_t)rel << 8);
}

/* ---- safe byte changes ----------------------------------------------- */

int sc_arch_breakpoint_at(const struct sc_code *c, const uint8_t *live)
{
	/* gdb's software breakpoint: int3 over an instruction's first byte,
	 * the original byte restored when it is removed. */
	return live[0] == 0xcc && c->bytes[0] != 0xcc &&
	       !memcmp(live + 1, c->bytes + 1, c->len - 1u);
}

static uintptr_t word_of(const uint8_t *p)
{
	return (uintptr_t)p & ~(uintptr_t)7;
}

/*
 * Every changed byte in one aligned word: one atomic CAS, no transient.
 * Otherwise (only an instruction that straddles two words, and only when
 * the caller allows the wait): `jmp .` (EB FE) over the first two bytes,
 * which must share a word; sync; the other bytes; sync; the first two
 * bytes. A thread can only be stopped at the first byte of a
 * one-instruction form, so it sees the old instruction, `jmp .` (and
 * waits), or the new one. Anything else cannot be written safely: -1.
 */
int sc_arch_plan(const struct sc_code *c, const uint8_t *from,
		 const uint8_t *to, int allow_wait, struct sc_byte_patch *out)
{
	int n = 0, len = c->len, first = -1, last = -1;
	uint8_t *insn = c->insn;
	for (int i = 0; i < len; i++)
		if (from[i] != to[i]) {
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0)
		return 0;
	if (word_of(insn + first) == word_of(insn + last)) {
		for (int i = first; i <= last; i++)
			if (from[i] != to[i])
				out[n++] = (struct sc_byte_patch){
					insn + i, to[i], SC_PHASES - 1, c->prot
				};
		return n;
	}
	if (!allow_wait || c->kind == SC_INSN_SLOT ||
	    word_of(insn) != word_of(insn + 1))
		return -1;
	out[n++] = (struct sc_byte_patch){ insn + 0, jmp_self[0], 0, c->prot };
	out[n++] = (struct sc_byte_patch){ insn + 1, jmp_self[1], 0, c->prot };
	for (int i = 2; i < len; i++)
		if (from[i] != to[i])
			out[n++] = (struct sc_byte_patch){ insn + i, to[i], 1,
							   c->prot };
	out[n++] = (struct sc_byte_patch){ insn + 0, to[0], 2, c->prot };
	out[n++] = (struct sc_byte_patch){ insn + 1, to[1], 2, c->prot };
	return n;
}

/* ---- the real code word accesses ------------------------------------- */

/*
 * Written in assembly: an aligned mov is atomic, and ThreadSanitizer would
 * otherwise instrument the atomic builtins and look for shadow memory that
 * code pages do not have (it crashes).
 */
SC_NO_SANITIZE uint64_t sc_code_load64(const uint64_t *word)
{
	uint64_t v;
	__asm__ volatile("movq %1, %0" : "=r"(v) : "m"(*word));
	return v;
}

SC_NO_SANITIZE int sc_arch_cas_code(uint64_t *word, uint64_t expect,
				    uint64_t value)
{
	unsigned char ok;
	__asm__ volatile("lock cmpxchgq %3, %1; sete %0"
			 : "=q"(ok), "+m"(*word), "+a"(expect)
			 : "r"(value)
			 : "memory", "cc");
	return ok;
}

/* ---- static keys: NOP5 <-> jmp rel32 (static_keys.c) ------------------ */

int sc_arch_jump_len(void)
{
	return 5;
}

int sc_arch_jump_encode(const uint8_t *site, const void *dest,
			uint8_t out[SC_MAX_INSN])
{
	int32_t rel;
	if (!dest) {
		memcpy(out, nop_call, 5); /* nopl 0(%rax,%rax) */
		return 1;
	}
	if (!rel32_to(site + 5, dest, &rel))
		return 0;
	out[0] = OP_JMP;
	memcpy(out + 1, &rel, 4);
	return 1;
}

int sc_arch_jump_read(const uint8_t *site, const uint8_t *live, void **dest)
{
	if (!memcmp(live, nop_call, 5))
		return STATIC_KEY_SITE_NOP;
	if (live[0] != OP_JMP)
		return STATIC_KEY_SITE_UNVERIFIED;
	*dest = (void *)rel32_dest(site + 5, live + 1);
	return STATIC_KEY_SITE_JUMP;
}

/* kernel.h's load and test, byte for byte, with its three displacements
 * (the key pointer, the branch, the way back after the site). */
int sc_arch_jump_test_ok(const uint8_t *t, const uint8_t *site,
			 const void *keyref, const void *target, int likely)
{
	static const uint8_t head[] = {
		0x48, 0x8d, 0x64, 0x24, 0x80, /* lea -128(%rsp),%rsp */
		0x50,			      /* push %rax */
		0x48, 0x8b, 0x05,	      /* mov keyref(%rip),%rax */
	};
	static const uint8_t mid[] = {
		0x83, 0x38, 0x00,		       /* cmpl $0,(%rax) */
		0x58,				       /* pop %rax */
		0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0, /* lea 128(%rsp) */
		0x0f,				       /* jg / jle */
	};
	_Static_assert(sizeof head + 4 + sizeof mid + 5 + 5 == SC_JUMP_TEST_X86,
		       "the load and test of kernel.h");
	const uint8_t *p = t;
	if (memcmp(p, head, sizeof head) ||
	    rel32_dest(p + sizeof head + 4, p + sizeof head) != keyref)
		return 0;
	p += sizeof head + 4;
	if (memcmp(p, mid, sizeof mid) ||
	    p[sizeof mid] != (likely ? 0x8e : 0x8f))
		return 0;
	p += sizeof mid + 1;
	if (rel32_dest(p + 4, p) != target)
		return 0;
	p += 4;
	return p[0] == OP_JMP && rel32_dest(p + 5, p + 1) == site + 5;
}

/* ---- inline forms (inline.c) ----------------------------------------- */

/*
 * Only at a call site: one instruction, padded to the site's five bytes
 * with `2e` (CS segment override) prefixes in front, ignored in 64-bit
 * mode and allowed before any opcode, REX and VEX included, as the kernel
 * pads `xor %eax,%eax`. Several instructions (single-threaded only) are
 * followed by one-byte NOPs instead. A tail or jcc site would need the
 * instruction and a `ret`: two instructions, so it jumps to the generated
 * function instead (patch.c falls back to the target).
 */
#define PREFIX_CS 0x2e
#define X86_MAX_INSN 15

int sc_arch_inline_site(const struct sc_code *c, const uint8_t *bytes, int len,
			int ninsn, uint8_t out[SC_MAX_INSN])
{
	int pad = c->len - len;
	if (c->kind != SC_INSN_CALL || len <= 0 || pad < 0 || ninsn < 1 ||
	    (ninsn == 1 && c->len > X86_MAX_INSN))
		return 0;
	if (ninsn == 1) {
		memset(out, PREFIX_CS, (size_t)pad);
		memcpy(out + pad, bytes, (size_t)len);
	} else {
		memcpy(out, bytes, (size_t)len);
		memset(out + len, 0x90, (size_t)pad);
	}
	return 1;
}

/* `mov $imm32,%eax` (B8: zero-extends into %rax) for what fits 32 bits
 * unsigned, `or $-1,%rax` (48 83 C8 FF: sets every bit, whatever %rax
 * held; the flags a call clobbers anyway) for -1 in 64 bits. The
 * sign-extending `mov $simm32,%rax` (48 C7 C0, 7 bytes) does not fit. */
int sc_arch_inline_const(uint64_t v, int size, uint8_t out[SC_MAX_INSN])
{
	static const uint8_t or_m1[4] = { 0x48, 0x83, 0xc8, 0xff };
	if ((size && size < 8) || v <= 0xffffffffu) {
		uint32_t imm = (uint32_t)v;
		out[0] = 0xb8;
		memcpy(out + 1, &imm, 4);
		return 5;
	}
	if (v == UINT64_MAX) {
		memcpy(out, or_m1, 4);
		return 4;
	}
	return 0;
}

/* The integer argument registers in order: rdi rsi rdx rcx r8 r9. */
static const uint8_t arg_reg[6] = { 7, 6, 2, 1, 8, 9 };

/* mov %<arg>,%rax: REX.W (+R for r8, r9), 89 /r with mod 11, rm rax. */
int sc_arch_inline_ret_arg(int n, uint8_t out[SC_MAX_INSN])
{
	if (n < 0 || n >= 6)
		return 0;
	out[0] = (uint8_t)(arg_reg[n] >= 8 ? 0x4c : 0x48);
	out[1] = 0x89;
	out[2] = (uint8_t)(0xc0 | (arg_reg[n] & 7) << 3);
	return 3;
}

/* endbr64 (the key's value is reached by indirect calls: IBT), the
 * instruction, ret. */
static int gen_body(const uint8_t *insn, int len, uint8_t *out)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	memcpy(out, endbr64, 4);
	memcpy(out + 4, insn, (size_t)len);
	out[4 + len] = 0xc3;
	return 5 + len;
}

int sc_arch_gen_const(uint64_t v, int size, uint8_t out[SC_GEN_MAX])
{
	uint8_t insn[10];
	int len = sc_arch_inline_const(v, size, insn);
	if (!len && (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
		int32_t imm = (int32_t)v; /* mov $simm32,%rax */
		insn[0] = 0x48;
		insn[1] = 0xc7;
		insn[2] = 0xc0;
		memcpy(insn + 3, &imm, 4);
		len = 7;
	} else if (!len) {
		insn[0] = 0x48; /* movabs $imm64,%rax */
		insn[1] = 0xb8;
		memcpy(insn + 2, &v, 8);
		len = 10;
	}
	return gen_body(insn, len, out);
}

int sc_arch_gen_ret_arg(int n, uint8_t out[SC_GEN_MAX])
{
	uint8_t insn[SC_MAX_INSN];
	int len = sc_arch_inline_ret_arg(n, insn);
	return len ? gen_body(insn, len, out) : 0;
}
