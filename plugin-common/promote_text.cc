// promote_text.cc - see promote_text.h. The numbers come from
// staticcall_abi.h; runtime/promote_x86_64.c and promote_aarch64.c check
// the same bytes.
#include "promote_text.h"

#include <cstdio>

#include "staticcall_abi.h"

static const char *const sc_reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

int sc_promote_reg_number(const std::string &name)
{
	for (int i = 0; i < 16; i++)
		if (name == sc_reg_names[i])
			return i == 4 ? -1 : i;
	return -1;
}

std::string sc_promote_reg_name(int reg)
{
	return reg >= 0 && reg < 16 ? sc_reg_names[reg] : "";
}

static std::string hex(unsigned v)
{
	char buf[16];
	snprintf(buf, sizeof buf, "%#x", v);
	return buf;
}

std::string sc_text_promote_site(const std::string &label, int reg, bool tail,
				 bool jump)
{
	unsigned flags = (unsigned)reg | (tail || jump ? SC_PROMOTE_TAIL : 0) |
			 (jump ? SC_PROMOTE_JUMP : 0);
	return "\t.balign 8,,4\n" + label +
	       ":\n"
	       "\t.pushsection " SC_ABI_PROMOTE_SECTION ",\"a?\",@progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label + " - .\n\t.long " + hex(flags) + "\n\t.popsection\n";
}

std::string sc_text_promote_anchor(const std::string &label, int reg)
{
	unsigned flags = (unsigned)reg | SC_PROMOTE_ANCHOR;
	return label +
	       ":\n"
	       "\t.pushsection " SC_ABI_PROMOTE_SECTION ",\"a?\",@progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label + " - .\n\t.long " + hex(flags) + "\n\t.popsection\n";
}

// The slot's plain form, byte by byte (little-endian word).
static std::string slot_plain()
{
	std::string t = "\t.byte ";
	for (unsigned i = 0; i < 8; i++)
		t += (i ? "," : "") +
		     hex((unsigned)(SC_X86_THUNK_SLOT_PLAIN >> (8 * i)) & 0xff);
	return t + "\n";
}

// The sample block (offset SC_X86_THUNK_SAMPLE): count down the
// thread's tick; at zero hand the target and the site's return address
// to the runtime, then take the slow path at offset 8 with the register
// as pushed. %r10 and %r11 are kept around the call: the first call
// through a lazily bound PLT entry runs the dynamic linker's resolver
// (an LD_AUDIT one: every call), which may clobber them, and a callee
// may read them (a static chain in %r10, a preserve_most caller's
// values, a global register variable).
// Its unwind rows (.cfi_def_cfa_offset after each push and pop) let a
// debugger or profiler stopped in the runtime's sampler walk out through
// the thunk to the site's function.
static std::string sample_block(int reg, const std::string &r)
{
	return "\t.cfi_def_cfa_offset 8\n"
	       "\tpushq %rax\n\t.cfi_def_cfa_offset 16\n"
	       "\tmovq " SC_ABI_PROMOTE_TICK_VAR "@GOTTPOFF(%rip), %rax\n"
	       "\tdecl %fs:(%rax)\n"
	       "\tpopq %rax\n\t.cfi_def_cfa_offset 8\n"
	       "\t.byte 0x75,0xda\n" // jnz retpoline (offset 8)
	       "\tpushq %r10\n\t.cfi_def_cfa_offset 16\n"
	       "\tpushq %r11\n\t.cfi_def_cfa_offset 24\n"
	       "\tpushq $" +
	       std::to_string(reg) +
	       "\n\t.cfi_def_cfa_offset 32\n"
	       "\tpushq %" +
	       r +
	       "\n\t.cfi_def_cfa_offset 40\n"
	       "\tcall " SC_ABI_PROMOTE_SAMPLE_FN "@PLT\n"
	       "\tpopq %" +
	       r +
	       "\n\t.cfi_def_cfa_offset 32\n"
	       "\taddq $8, %rsp\n\t.cfi_def_cfa_offset 24\n"
	       "\tpopq %r11\n\t.cfi_def_cfa_offset 16\n"
	       "\tpopq %r10\n\t.cfi_def_cfa_offset 8\n"
	       "\t.byte 0xeb," +
	       hex(reg >= 8 ? 0xc1 : 0xc3) + "\n"; // jmp to the slow path
}

// The plain slow path: `jmp *%reg` where the retpoline would be, int3
// up to the sample block, so every offset is the retpoline thunk's;
// notrack (the `_nt_` twin, for calls through `nocf_check` pointers,
// whose targets have no ENDBR): `notrack jmp *%reg`.
static std::string plain_jump_path(int reg, bool notrack)
{
	std::string t = "\t.byte ";
	unsigned n = 2;
	if (notrack) {
		t += "0x3e,";
		n++;
	}
	if (reg >= 8) {
		t += "0x41,";
		n++;
	}
	t += "0xff," + hex(0xe0 | (reg & 7));
	for (; n < SC_X86_THUNK_SAMPLE - SC_X86_THUNK_RETPOLINE; n++)
		t += ",0xcc";
	return t + "\n";
}

std::string sc_text_promote_thunk(int reg, bool plain_jump, bool notrack)
{
	const std::string r = sc_promote_reg_name(reg);
	const std::string T =
		std::string("__x86_indirect_thunk_") + (notrack ? "nt_" : "") + r;
	if (plain_jump) {
		// A local symbol of this unit: no other unit's calls can bind
		// to it. Not in .text (nor comdat): in the section of a `jmp
		// T` tail site within 127 bytes of it the assembler would
		// relax that to `jmp rel8`, which is no site.
		std::string t = "\t.section .text.staticcall_plain_thunks,"
				"\"ax\",@progbits\n\t.balign 16\n\t.type " +
				T +
				",@function\n" + T + ":\n\t.cfi_startproc\n" +
				slot_plain() + plain_jump_path(reg, notrack);
		return t + sample_block(reg, r) + "\t.cfi_endproc\n\t.size " +
		       T + ", .-" + T + "\n";
	}
	// GCC's own section and comdat group for the thunk (its `thunk`
	// mode emits them too): the linker keeps the first of the link and
	// drops the others, so one object has one thunk per register. When
	// GCC's is kept, the runtime does not recognise it and leaves that
	// object's sites on it (docs/ABI.md).
	std::string t = "\t.section .text." + T + ",\"axG\",@progbits," + T +
			",comdat\n";
	t += "\t.balign 16\n\t.weak " + T + "\n\t.hidden " + T + "\n";
	t += "\t.type " + T + ",@function\n" + T + ":\n\t.cfi_startproc\n";
	// Slot: plain (into the retpoline) or sampling (to the block).
	t += slot_plain();
	// The retpoline, as GCC's own thunk; bytes so every assembler
	// produces exactly what the runtime checks. Past its call the
	// site's return address is one word further up.
	t += "\t.byte 0xe8,0x07,0,0,0\n" // call 1f
	     "\t.cfi_def_cfa_offset 16\n"
	     "\t.byte 0xf3,0x90\n"	// 2: pause
	     "\t.byte 0x0f,0xae,0xe8\n" // lfence
	     "\t.byte 0xeb,0xf9\n";	// jmp 2b
	t += "\t.byte " + hex(0x48 | (reg >= 8 ? 4 : 0)) + ",0x89," +
	     hex(0x04 | (reg & 7) << 3) + ",0x24\n"; // 1: mov %reg,(%rsp)
	t += "\t.byte 0xc3\n"			     // ret
	     "\t.byte 0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc\n";
	t += sample_block(reg, r);
	t += "\t.cfi_endproc\n\t.size " + T + ", .-" + T + "\n";
	return t;
}

std::string sc_text_promote_inline_head(const std::string &label, int reg)
{
	// Bytes, not mnemonics: every assembler then lays it out as the
	// runtime checks it (a `jne` never relaxed to 2 bytes, a `cmp` in
	// the one encoding of the two). The descriptor store is the
	// runtime's to write: as compiled, a `jmp` to the slow path over
	// eight zero bytes (staticcall_abi.h).
	std::string t = "\t.balign 8\n"
			"\t.byte 0xe9\n\t.long " + label + "_slow - . - 4\n"
			"\t.long 0, 0\n";
	t += label + "_seq:\n"
	     "\t.byte 0x3e,0x4c,0x8d,0x1d,0,0,0,0\n" // ds leaq A(%rip), %r11
	     "\t.byte 0x3e," + hex(0x4c | (reg >= 8 ? 1 : 0)) + ",0x39," +
	     hex(0xd8 | (reg & 7)) + "\n" // ds cmpq %r11, %reg
	     "\t.byte 0x0f,0x85\n\t.long " + label + "_slow - . - 4\n";
	return t;
}

std::string sc_text_promote_inline_end(const std::string &label)
{
	return label + "_end:\n";
}

std::string sc_text_promote_inline_slow(const std::string &label, int reg)
{
	unsigned flags = (unsigned)reg | SC_PROMOTE_INLINE;
	return "\t.balign 8\n"
	       "\t.byte 0xcc,0x0f,0xb9,0x3d\n\t.long " +
	       hex(SC_X86_RSEQ_SIG) + "\n" + label +
	       "_slow:\n"
	       "\t.pushsection " SC_ABI_PROMOTE_SECTION ",\"a?\",@progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label + "_slow - .\n\t.long " + hex(flags) +
	       "\n\t.popsection\n"
	       "\t.byte 0xe8\n\t.long __x86_indirect_thunk_" +
	       sc_promote_reg_name(reg) + " - . - 4\n"
	       "\t.byte 0xe9\n\t.long " + label + "_end - . - 4\n";
}

std::string sc_text_promote_jump(int reg, bool plain_jump, bool notrack)
{
	const std::string r = "%" + sc_promote_reg_name(reg);
	if (plain_jump)
		return std::string(notrack ? "\tnotrack jmp *" : "\tjmp *") +
		       r + "\n";
	return "\tcall 1f\n"
	       "2:\tpause\n"
	       "\tlfence\n"
	       "\tjmp 2b\n"
	       "1:\tmovq " +
	       r + ", (%rsp)\n\tret\n";
}

std::string sc_text_promote_object()
{
	const std::string S = SC_ABI_PROMOTE_SECTION, C = SC_ABI_PROMOTE_CTOR;
	std::string t = "\t.section " + S + ",\"a\",@progbits\n";
	for (const char *e : { "__start_", "__stop_" })
		t += "\t.hidden " + std::string(e) + S + "\n";
	// Reached indirectly (.init_array): endbr64 first.
	t += "\t.section .text." + C + ",\"axG\",@progbits," + C + ",comdat\n";
	for (const char *fn : { "", "_dtor" }) {
		std::string callee = fn[0] ? SC_ABI_PROMOTE_UNREGISTER_FN :
					     SC_ABI_PROMOTE_REGISTER_FN;
		t += "\t.weak " + C + fn + "\n\t.hidden " + C + fn + "\n";
		t += C + fn + ":\n\tendbr64\n\tleaq __start_" + S +
		     "(%rip), %rdi\n\tleaq __stop_" + S +
		     "(%rip), %rsi\n\tjmp " + callee + "@PLT\n";
	}
	t += "\t.section .init_array,\"awG\",@init_array," + C + ",comdat\n";
	t += "\t.balign 8\n\t.quad " + C + "\n";
	t += "\t.section .fini_array,\"awG\",@fini_array," + C + ",comdat\n";
	t += "\t.balign 8\n\t.quad " + C + "_dtor\n";
	return t;
}

// ---- arm64 -------------------------------------------------------------

int sc_promote_reg_number_a64(const std::string &name)
{
	for (int i = 0; i <= 29; i++)
		if (name == "x" + std::to_string(i))
			return i == 16 || i == 17 ? -1 : i;
	return -1;
}

std::string sc_promote_thunk_name_a64(int reg)
{
	return SC_A64_THUNK_PREFIX + std::to_string(reg);
}

std::string sc_text_promote_site_a64(const std::string &label, int reg)
{
	unsigned flags = ((unsigned)reg & SC_PROMOTE_REG_MASK) |
			 (reg >= 16 ? SC_PROMOTE_REG_HIGH : 0);
	return label +
	       ":\n"
	       "\t.pushsection " SC_ABI_PROMOTE_SECTION ",\"a?\",%progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label + " - .\n\t.long " + hex(flags) + "\n\t.popsection\n";
}

std::string sc_text_promote_anchor_sls_a64(const std::string &label)
{
	unsigned flags = SC_PROMOTE_ANCHOR | SC_PROMOTE_SLS;
	return label +
	       ":\n"
	       "\t.pushsection " SC_ABI_PROMOTE_SECTION ",\"a?\",%progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label + " - .\n\t.long " + hex(flags) + "\n\t.popsection\n";
}

static std::string word(unsigned long long v)
{
	return "\t.inst " + hex((unsigned)v) + "\n";
}

std::string sc_text_promote_thunk_a64(int reg)
{
	const std::string T = sc_promote_thunk_name_a64(reg);
	const std::string x = "x" + std::to_string(reg);
	// Its own name and comdat group (not GCC's __call_indirect_xN, which
	// GCC defines itself at -Os): one per register in a linked object.
	std::string t = "\t.section .text." + T + ",\"axG\",%progbits," + T +
			",comdat\n";
	t += "\t.balign 16\n\t.weak " + T + "\n\t.hidden " + T + "\n";
	t += "\t.type " + T + ",%function\n" + T + ":\n";
	// Slot (plain: b .+8 into the body; sampling: b .+24), then brk.
	t += word(SC_A64_THUNK_SLOT_PLAIN) + word(SC_A64_THUNK_SLOT_PLAIN >> 32);
	// The body, as GCC's own thunk: x16 so a `bti c` target accepts br.
	t += "\tmov x16, " + x +
	     "\n"
	     "\tbr x16\n"
	     "\tdsb sy\n"
	     "\tisb\n";
	// The sample block (offset SC_A64_THUNK_SAMPLE): count down the
	// thread's tick; at zero hand the target, the register and the
	// site's return address (x30) to the runtime, then take the body.
	t += "\tmrs x16, tpidr_el0\n"
	     "\tadrp x17, :gottprel:" SC_ABI_PROMOTE_TICK_VAR "\n"
	     "\tldr x17, [x17, #:gottprel_lo12:" SC_ABI_PROMOTE_TICK_VAR "]\n"
	     "\tadd x16, x16, x17\n"
	     "\tldr w17, [x16]\n"
	     "\tsubs w17, w17, #1\n"
	     "\tstr w17, [x16]\n"
	     "\tb.ne .-44\n" // the body
	     "\tstp x29, x30, [sp, #-32]!\n"
	     "\tmov x16, #" +
	     std::to_string(reg) + "\n\tstp " + x +
	     ", x16, [sp, #16]\n"
	     "\tbl " SC_ABI_PROMOTE_SAMPLE_FN "\n"
	     "\tldp x29, x30, [sp], #32\n"
	     "\tb .-68\n"; // the body
	t += "\t.size " + T + ", .-" + T + "\n";
	return t;
}

std::string sc_text_promote_object_a64()
{
	const std::string S = SC_ABI_PROMOTE_SECTION, C = SC_ABI_PROMOTE_CTOR;
	std::string t = "\t.section " + S + ",\"a\",%progbits\n";
	for (const char *e : { "__start_", "__stop_" })
		t += "\t.hidden " + std::string(e) + S + "\n";
	// Reached indirectly (.init_array): bti c first.
	t += "\t.section .text." + C + ",\"axG\",%progbits," + C + ",comdat\n";
	for (const char *fn : { "", "_dtor" }) {
		std::string callee = fn[0] ? SC_ABI_PROMOTE_UNREGISTER_FN :
					     SC_ABI_PROMOTE_REGISTER_FN;
		t += "\t.weak " + C + fn + "\n\t.hidden " + C + fn + "\n";
		t += "\t.balign 4\n";
		t += C + fn + ":\n\thint 34\n";
		for (const char *r : { "x0, __start_", "x1, __stop_" }) {
			std::string reg(r, 2), sym = std::string(r + 4) + S;
			t += "\tadrp " + reg + ", " + sym + "\n\tadd " + reg +
			     ", " + reg + ", :lo12:" + sym + "\n";
		}
		t += "\tb " + callee + "\n";
	}
	t += "\t.section .init_array,\"awG\",%init_array," + C + ",comdat\n";
	t += "\t.balign 8\n\t.xword " + C + "\n";
	t += "\t.section .fini_array,\"awG\",%fini_array," + C + ",comdat\n";
	t += "\t.balign 8\n\t.xword " + C + "_dtor\n";
	return t;
}
