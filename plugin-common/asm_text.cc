// asm_text.cc - see asm_text.h. x86-64 and AArch64 ELF; the numbers come
// from staticcall_abi.h, the layout is explained in docs/ABI.md.
#include "asm_text.h"

#include <cstdio>

#include "staticcall_abi.h"

std::string sc_key_id(const std::string &name, long offset)
{
	return offset < 0 ? name : name + ".." + std::to_string(offset);
}

// Are the key's trampoline and descriptor one per linked object (comdat,
// weak hidden), or this unit's own (local)?
static bool shared_text(const sc_key_text &k)
{
	return k.global && !k.own_copy;
}

// The key's address as an assembler operand: K, or OBJ+OFFSET.
static std::string key_operand(const sc_key_text &k)
{
	return k.offset > 0 ? k.name + "+" + std::to_string(k.offset) : k.name;
}

std::string sc_tramp_symbol(const std::string &key)
{
	return SC_ABI_TRAMP_PREFIX + key;
}

std::string sc_desc_symbol(const std::string &key)
{
	return SC_ABI_DESC_PREFIX + key;
}

static std::string num(unsigned v)
{
	char buf[16];
	snprintf(buf, sizeof buf, "%#x", v);
	return buf;
}

// The x86 slot in its slow-path form, byte by byte from SC_X86_SLOT_SLOW
// (a little-endian word): the plugins emit the word the runtime compares.
static std::string x86_slot_slow()
{
	std::string t = "\t.byte ";
	for (unsigned i = 0; i < SC_X86_TRAMP_SLOT; i++)
		t += (i ? "," : "") + num((SC_X86_SLOT_SLOW >> (8 * i)) & 0xff);
	return t + "\n";
}

// A key's descriptor (struct sc_abi_desc), after its section directive:
// the absolute address of the canonical key (the dynamic linker resolves
// it, copy relocations included), the trampoline, the flags. TY is the
// symbol-type prefix: `@`, or `%` in the ARM family's spelling.
static std::string descriptor(const std::string &ds, const char *ty,
			      const std::string &key, const std::string &tramp,
			      unsigned flags, bool global)
{
	std::string t = "\t.balign 8\n";
	if (global)
		t += "\t.weak " + ds + "\n\t.hidden " + ds + "\n";
	t += "\t.type " + ds + "," + ty + "object\n\t.size " + ds + ", " +
	     std::to_string(sizeof(struct sc_abi_desc)) + "\n";
	return t + ds + ":\n\t.quad " + key + "\n\t.long " + tramp +
	       " - .\n\t.long " + num(flags) + "\n";
}

static std::string sc_text_site_record_aarch64(const std::string &label,
					       const std::string &key,
					       unsigned flags);
static std::string sc_text_key_aarch64(const sc_key_text &k);

std::string sc_tramp_cond_symbol(const std::string &key)
{
	return SC_ABI_TRAMP_COND_PREFIX + key;
}

std::string sc_desc_cond_symbol(const std::string &key)
{
	return SC_ABI_DESC_COND_PREFIX + key;
}

std::string sc_text_site_record(const std::string &label,
				const std::string &key, bool tail, bool exact,
				sc_target target, bool cond)
{
	unsigned flags = (tail ? SC_SITE_TAIL : 0) |
			 (exact ? 0 : SC_SITE_ANCHOR) |
			 (cond ? SC_SITE_COND : 0);
	if (target == sc_target::aarch64)
		return sc_text_site_record_aarch64(label, key, flags);
	// `.balign 8,,4` keeps an exact site's 5-byte instruction inside one
	// aligned quadword, so one atomic store re-targets it. The `?` flag
	// (here and in the lines tables) puts the record in the section
	// group of the code around it: a C++ inline function or template
	// instantiation is a COMDAT group the linker may discard, and its
	// records must go with it (else: a reference to a discarded section).
	return std::string(exact ? "\t.balign 8,,4\n" : "") + label +
	       ":\n"
	       "\t.pushsection " SC_ABI_SITES_SECTION ",\"a?\",@progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label +
	       " - .\n"
	       "\t.long " +
	       (cond ? sc_desc_cond_symbol(key) : sc_desc_symbol(key)) +
	       " - .\n"
	       "\t.long " +
	       num(flags) +
	       "\n"
	       "\t.popsection\n";
}

// S as the operand of .asciz: quotes, backslashes and control bytes
// escaped (a file name may hold any byte but NUL).
static std::string asm_string(const std::string &s)
{
	std::string out = "\"";
	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			char buf[8];
			snprintf(buf, sizeof buf, "\\%03o", c);
			out += buf;
		} else {
			out += (char)c;
		}
	}
	return out + "\"";
}

std::string sc_text_site_line(const std::string &label, const std::string &file,
			      unsigned line, sc_target target)
{
	if (file.empty() || line == 0)
		return "";
	const std::string ty = target == sc_target::aarch64 ? "%" : "@";
	const std::string str = label + ".file";
	return "\t.pushsection " SC_ABI_LINES_STR_SECTION ",\"aMS?\"," + ty +
	       "progbits,1\n" + str + ":\n\t.asciz " + asm_string(file) +
	       "\n\t.popsection\n"
	       "\t.pushsection " SC_ABI_LINES_SECTION ",\"a?\"," +
	       ty +
	       "progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label +
	       " - .\n"
	       "\t.long " +
	       str +
	       " - .\n"
	       "\t.long " +
	       std::to_string(line) +
	       "\n"
	       "\t.popsection\n";
}

// "section NAME" for a local symbol, a comdat group named GROUP otherwise.
static std::string section(const char *name, const char *flags,
			   const std::string &group, bool comdat)
{
	std::string s = std::string("\t.section ") + name + ",\"" + flags;
	if (comdat)
		return s + "G\",@progbits," + group + ",comdat\n";
	return s + "\",@progbits\n";
}

std::string sc_text_key(const sc_key_text &k)
{
	if (k.target == sc_target::aarch64)
		return sc_text_key_aarch64(k);
	const std::string K = k.id.empty() ? sc_key_id(k.name, k.offset) : k.id,
			  A = key_operand(k);
	const std::string off = k.offset > 0 ? std::to_string(k.offset) : "";
	std::string tr = k.cond ? sc_tramp_cond_symbol(K) : sc_tramp_symbol(K);
	std::string ds = k.cond ? sc_desc_cond_symbol(K) : sc_desc_symbol(K), t;
	unsigned flags =
		(k.retpoline != sc_retpoline::none ? SC_DESC_RETPOLINE : 0) |
		(k.ibt ? SC_DESC_IBT : 0) | (k.cond ? SC_DESC_COND : 0) |
		(k.boot ? SC_DESC_BOOT : 0) | SC_DESC_BIND;

	// Trampoline: its own section so no assembler relaxes a jump to it to
	// the unpatchable 2-byte form. The 8-byte slot stays first even with
	// IBT: sites reach it by direct call or jump, which need no endbr64.
	t += section(SC_ABI_TRAMP_SECTION, "ax", tr, shared_text(k));
	t += "\t.balign " + num(SC_X86_TRAMP_ALIGN) + "\n";
	// The bind block, SC_X86_BIND_BLOCK bytes before the trampoline (lazy
	// binding, docs/ABI.md): the slot's bind form jumps here; the runtime
	// learns which site called (the return address on the stack, under
	// the descriptor) and returns; the slow path then reaches the key's
	// value through the unit's own hardened jump. The runtime adds no
	// indirect branch of its own (the PLT is the constructor's too).
	t += "\tleaq " + ds +
	     "(%rip), %r11\n\tpushq %r11\n\tcall " SC_ABI_BIND_FN
	     "@PLT\n\tpopq %r11\n\tjmp 9f\n\t.balign " +
	     num(SC_X86_TRAMP_ALIGN) + ", 0xcc\n";
	if (shared_text(k))
		t += "\t.weak " + tr + "\n\t.hidden " + tr + "\n";
	t += "\t.type " + tr + ",@function\n" + tr + ":\n";
	t += x86_slot_slow() + "9:\n";
	if (k.pic && k.global)
		t += "\tmovq " + k.name + "@GOTPCREL(%rip), %r11\n\tmovq " +
		     off + "(%r11), %r11\n";
	else
		t += "\tmovq " + A + "(%rip), %r11\n";
	// NULL-safe variant: a guarded call whose key is NULL does nothing
	// (returning to the site's caller also ends a guarded tail call).
	if (k.cond)
		t += "\ttestq %r11, %r11\n\tjz 3f\n";
	// The slow path keeps the unit's hardening.
	if (k.retpoline == sc_retpoline::extern_thunk)
		t += "\tjmp __x86_indirect_thunk_r11\n";
	else if (k.retpoline == sc_retpoline::inline_thunk)
		t += "\tcall 1f\n2:\tpause\n\tlfence\n\tjmp 2b\n"
		     "1:\tmovq %r11, (%rsp)\n\tret\n";
	else
		t += "\tjmp *%r11\n";
	if (k.cond)
		t += "3:\tret\n";
	t += "\t.size " + tr + ", .-" + tr + "\n";

	t += section(SC_ABI_KEYS_SECTION, "aw", ds, shared_text(k));
	return t + descriptor(ds, "@", A, tr, flags, shared_text(k));
}

std::string sc_text_object(sc_target target)
{
	const bool a64 = target == sc_target::aarch64;
	const std::string ty = a64 ? "%" : "@"; // the ARM family's spelling
	const std::string O = SC_ABI_OBJECT_SYMBOL;
	const std::string S = SC_ABI_SITES_SECTION, D = SC_ABI_KEYS_SECTION;
	const std::string L = SC_ABI_LINES_SECTION, F = SC_ABI_FRAGS_SECTION;
	std::string t;
	// The tables exist in every object that has the header, so the
	// __start_/__stop_ symbols are always defined.
	t += "\t.section " + S + ",\"a\"," + ty + "progbits\n";
	t += "\t.section " + D + ",\"aw\"," + ty + "progbits\n";
	t += "\t.section " + L + ",\"a\"," + ty + "progbits\n";
	t += "\t.section " + F + ",\"a\"," + ty + "progbits\n";
	t += "\t.section .data.rel.local." + O + ",\"awG\"," + ty +
	     "progbits," + O + ",comdat\n";
	t += "\t.balign 8\n\t.weak " + O + "\n\t.hidden " + O + "\n";
	t += "\t.type " + O + "," + ty + "object\n\t.size " + O + ", " +
	     std::to_string(SC_ABI_OBJECT_FRAGS_SIZE) + "\n" + O + ":\n";
	t += "\t.long " + num(SC_ABI_MAGIC) + "\n";
	t += "\t.short " + num(SC_ABI_VERSION) + ", " +
	     num(a64 ? SC_ABI_ARCH_AARCH64 : SC_ABI_ARCH_X86_64) + "\n";
	t += "\t.short " + num(sizeof(struct sc_abi_site)) + ", " +
	     num(sizeof(struct sc_abi_desc)) + "\n";
	t += "\t.long " + num(SC_ABI_OBJ_LINES | SC_ABI_OBJ_FRAGS) + "\n";
	t += "\t.quad __start_" + S + ", __stop_" + S + "\n";
	t += "\t.quad __start_" + D + ", __stop_" + D + "\n";
	t += "\t.quad __start_" + L + ", __stop_" + L + "\n";
	t += "\t.quad __start_" + F + ", __stop_" + F + "\n";
	for (const char *e : { "__start_", "__stop_" }) {
		t += "\t.hidden " + std::string(e) + F + "\n";
		t += "\t.hidden " + std::string(e) + S + "\n";
		t += "\t.hidden " + std::string(e) + D + "\n";
		t += "\t.hidden " + std::string(e) + L + "\n";
	}
	// The constructor and destructor are reached indirectly (.init_array):
	// they start with endbr64 / `hint 34` (bti c), NOPs on cores without
	// IBT / BTI.
	t += "\t.section .text." + O + ",\"axG\"," + ty + "progbits," + O +
	     ",comdat\n";
	if (a64)
		t += "\t.balign 4\n";
	for (const char *fn : { "_ctor", "_dtor" }) {
		std::string callee = fn[1] == 'c' ? SC_ABI_REGISTER_FN :
						    SC_ABI_UNREGISTER_FN;
		if (a64)
			t += O + fn + ":\n\thint 34\n\tadrp x0, " + O +
			     "\n\tadd x0, x0, :lo12:" + O + "\n\tb " + callee +
			     "\n";
		else
			t += O + fn + ":\n\tendbr64\n\tleaq " + O +
			     "(%rip), %rdi\n\tjmp " + callee + "@PLT\n";
	}
	t += "\t.section .init_array,\"awG\"," + ty + "init_array," + O +
	     ",comdat\n";
	t += "\t.balign 8\n\t.quad " + O + "_ctor\n";
	t += "\t.section .fini_array,\"awG\"," + ty + "fini_array," + O +
	     ",comdat\n";
	t += "\t.balign 8\n\t.quad " + O + "_dtor\n";
	return t;
}

// ---- AArch64 (docs/ABI.md, "AArch64") ----------------------------------
// Same tables, same symbols; `%` section/symbol types (the ARM family's
// spelling), 4-byte instructions that need no alignment padding.

static std::string sc_text_site_record_aarch64(const std::string &label,
					       const std::string &key,
					       unsigned flags)
{
	return label +
	       ":\n"
	       "\t.pushsection " SC_ABI_SITES_SECTION ",\"a?\",%progbits\n"
	       "\t.balign 4\n"
	       "\t.long " +
	       label +
	       " - .\n"
	       "\t.long " +
	       ((flags & SC_SITE_COND) ? sc_desc_cond_symbol(key) :
					 sc_desc_symbol(key)) +
	       " - .\n"
	       "\t.long " +
	       num(flags) +
	       "\n"
	       "\t.popsection\n";
}

static std::string section_a64(const char *name, const char *flags,
			       const std::string &group, bool comdat)
{
	std::string s = std::string("\t.section ") + name + ",\"" + flags;
	if (comdat)
		return s + "G\",%progbits," + group + ",comdat\n";
	return s + "\",%progbits\n";
}

static std::string sc_text_key_aarch64(const sc_key_text &k)
{
	const std::string K = k.id.empty() ? sc_key_id(k.name, k.offset) : k.id,
			  A = key_operand(k);
	std::string tr = k.cond ? sc_tramp_cond_symbol(K) : sc_tramp_symbol(K);
	std::string ds = k.cond ? sc_desc_cond_symbol(K) : sc_desc_symbol(K), t;
	unsigned flags = (k.ibt ? SC_DESC_IBT : 0) |
			 (k.cond ? SC_DESC_COND : 0) |
			 (k.boot ? SC_DESC_BOOT : 0) | SC_DESC_BIND;

	// Word 0 is the slot: NOP (fall through to the slow path) or
	// `b target`, the only word the runtime ever writes. Then a fixed
	// slow path through x16 (IP0: free at a call boundary, and `br x16`
	// is accepted by BTI `bti c` landing pads). No `bti` of its own:
	// sites reach the trampoline by direct b/bl. The compiler emits the
	// unit's .note.gnu.property (BTI/PAC) for the whole file, this text
	// included, and nothing here breaks either.
	t += section_a64(SC_ABI_TRAMP_SECTION, "ax", tr, shared_text(k));
	t += "\t.balign " + num(SC_A64_TRAMP_ALIGN) + "\n";
	// The bind block, SC_A64_BIND_BLOCK bytes before the trampoline (lazy
	// binding, docs/ABI.md): the slot's bind form `b`s here. The
	// descriptor and the site's return address (x30) go on the stack,
	// which __staticcall_bind reads (the PLT or a veneer may clobber
	// x16/x17); x30 comes back and the call continues in the slow path.
	// Reached by a direct `b`: `bti c` only marks a BTI-built unit's
	// block like its other code (a NOP here). Every word is fixed: the
	// runtime checks each before it writes a bind slot.
	t += std::string(k.ibt ? "\thint 34\n" : "\tnop\n") +
	     "\tadrp x16, " + ds + "\n\tadd x16, x16, :lo12:" + ds +
	     "\n\tstp x16, x30, [sp, #-16]!\n\tbl " SC_ABI_BIND_FN
	     "\n\tldp x16, x30, [sp], #16\n\tb 9f\n\tnop\n\t.balign " +
	     num(SC_A64_TRAMP_ALIGN) + "\n";
	if (shared_text(k))
		t += "\t.weak " + tr + "\n\t.hidden " + tr + "\n";
	t += "\t.type " + tr + ",%function\n" + tr + ":\n";
	t += "\tnop\n9:\n";
	if (k.pic && k.global) {
		t += "\tadrp x16, :got:" + k.name +
		     "\n\tldr x16, [x16, :got_lo12:" + k.name + "]\n";
		// The field's offset: an immediate while it fits the scaled
		// 12-bit form, else through x17 (IP1, free here as x16 is).
		if (k.offset <= 0)
			t += "\tldr x16, [x16]\n";
		else if (k.offset < 32768)
			t += "\tldr x16, [x16, #" + std::to_string(k.offset) +
			     "]\n";
		else
			t += "\tmovz x17, #" +
			     std::to_string(k.offset & 0xffff) +
			     "\n\tmovk x17, #" +
			     std::to_string((k.offset >> 16) & 0xffff) +
			     ", lsl #16\n\tldr x16, [x16, x17]\n";
	} else {
		t += "\tadrp x16, " + A + "\n\tldr x16, [x16, :lo12:" + A +
		     "]\n";
	}
	// NULL-safe variant: a guarded call whose key is NULL does nothing
	// (returning to the site's caller also ends a guarded tail call).
	if (k.cond)
		t += "\tcbz x16, 1f\n";
	t += "\tbr x16\n";
	if (k.cond)
		t += "1:\tret\n";
	t += "\t.size " + tr + ", .-" + tr + "\n";

	t += section_a64(SC_ABI_KEYS_SECTION, "aw", ds, shared_text(k));
	return t + descriptor(ds, "%", A, tr, flags, shared_text(k));
}
