// promote_text.cc - see promote_text.h. The numbers come from
// staticcall_abi.h; runtime/promote_x86_64.c checks the same bytes.
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

std::string sc_text_promote_site(const std::string &label, int reg, bool tail)
{
	unsigned flags = (unsigned)reg | (tail ? SC_PROMOTE_TAIL : 0);
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

std::string sc_text_promote_thunk(int reg)
{
	const std::string r = sc_promote_reg_name(reg);
	const std::string T = "__x86_indirect_thunk_" + r;
	// GCC's own section and comdat group for the thunk (its `thunk`
	// mode emits them too): the linker keeps the first of the link and
	// drops the others, so one object has one thunk per register. When
	// GCC's is kept, the runtime does not recognise it and leaves that
	// object's sites on it (docs/ABI.md).
	std::string t = "\t.section .text." + T + ",\"axG\",@progbits," + T +
			",comdat\n";
	t += "\t.balign 16\n\t.weak " + T + "\n\t.hidden " + T + "\n";
	t += "\t.type " + T + ",@function\n" + T + ":\n";
	// Slot: plain (into the retpoline) or sampling (to the block).
	t += slot_plain();
	// The retpoline, as GCC's own thunk; bytes so every assembler
	// produces exactly what the runtime checks.
	t += "\t.byte 0xe8,0x07,0,0,0\n" // call 1f
	     "\t.byte 0xf3,0x90\n"	 // 2: pause
	     "\t.byte 0x0f,0xae,0xe8\n"	 // lfence
	     "\t.byte 0xeb,0xf9\n";	 // jmp 2b
	t += "\t.byte " + hex(0x48 | (reg >= 8 ? 4 : 0)) + ",0x89," +
	     hex(0x04 | (reg & 7) << 3) + ",0x24\n"; // 1: mov %reg,(%rsp)
	t += "\t.byte 0xc3\n"			     // ret
	     "\t.byte 0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc\n";
	// The sample block (offset SC_X86_THUNK_SAMPLE): count down the
	// thread's tick; at zero hand the target and the site's return
	// address to the runtime, then take the retpoline with the register
	// as pushed (the first call through a lazily bound PLT entry runs
	// the dynamic linker's resolver, which may clobber r10 and r11).
	t += "\tpushq %rax\n"
	     "\tmovq " SC_ABI_PROMOTE_TICK_VAR "@GOTTPOFF(%rip), %rax\n"
	     "\tdecl %fs:(%rax)\n"
	     "\tpopq %rax\n"
	     "\t.byte 0x75,0xda\n" // jnz retpoline (offset 8)
	     "\tpushq $" +
	     std::to_string(reg) + "\n\tpushq %" + r +
	     "\n\tcall " SC_ABI_PROMOTE_SAMPLE_FN "@PLT\n"
	     "\tpopq %" +
	     r +
	     "\n\taddq $8, %rsp\n"
	     "\t.byte 0xeb," +
	     hex(reg >= 8 ? 0xc9 : 0xcb) + "\n"; // jmp retpoline
	t += "\t.size " + T + ", .-" + T + "\n";
	return t;
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
