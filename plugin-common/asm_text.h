// asm_text.h - the assembly both compiler plugins emit (docs/ABI.md), as
// plain strings: no compiler API here, so the GCC and the Clang plugin
// produce byte-identical tables, trampolines and object headers.
#ifndef SC_ASM_TEXT_H
#define SC_ASM_TEXT_H

#include <string>

enum class sc_retpoline { none, inline_thunk, extern_thunk };

// The instruction set the text is for (docs/ABI.md has both).
enum class sc_target { x86_64, aarch64 };

struct sc_key_text {
	std::string name; // assembler name of the key variable; for a
			  // field key, of the global object holding it
	long offset = -1; // field key: byte offset of the field in that
			  // object (a multiple of 8); -1: a plain key
	bool global;	  // external linkage: comdat, weak+hidden symbols
	bool pic;	  // position-independent code: load K via the GOT
	sc_retpoline retpoline;
	bool ibt; // unit built with -fcf-protection=branch
		  // (aarch64: with BTI, -mbranch-protection)
	sc_target target = sc_target::x86_64;
	bool cond = false; // the NULL-safe variant for guarded sites
			   // (SC_DESC_COND)
	bool boot = false; // declared STATIC_CALL_BOOT (SC_DESC_BOOT)
	// Local trampoline and descriptor even for a global key (Clang LTO:
	// lld keeps the comdat sections of every object LTO generates).
	bool own_copy = false;
	std::string id; // the key's id when it is not sc_key_id(name,
			// offset): under GCC -flto a static key's id
			// carries its unit's suffix (docs/GUIDE.md, LTO)
};

// The key's id: the variable's name for a plain key, "OBJ..OFFSET" for the
// field at byte OFFSET of the global object OBJ (no C name, and no GCC
// local-static suffix `.N`, contains two dots). Site records, trampoline and
// descriptor symbols all take the id.
std::string sc_key_id(const std::string &name, long offset);

// Symbol names for key K (an id).
std::string sc_tramp_symbol(const std::string &key);
std::string sc_desc_symbol(const std::string &key);
std::string sc_tramp_cond_symbol(const std::string &key);
std::string sc_desc_cond_symbol(const std::string &key);

// The record for one site, placed immediately before the call/jump to the
// trampoline (`exact`: the next instruction is the site, which is then also
// aligned to one patchable word) or as an anchor the runtime decodes forward
// from (`exact` false). `label` must be unique within the unit.
// `cond`: a guarded site (SC_SITE_COND) naming the NULL-safe descriptor.
std::string sc_text_site_record(const std::string &label,
				const std::string &key, bool tail, bool exact,
				sc_target target = sc_target::x86_64,
				bool cond = false);

// The source location of the site (or anchor) at `label`, for the
// runtime's reports (SC_ABI_LINES_SECTION): a record naming the label and
// the file name, which goes to a mergeable string section. Empty text if
// the location is unknown (no file or line 0). `label` as for the record.
std::string sc_text_site_line(const std::string &label, const std::string &file,
			      unsigned line,
			      sc_target target = sc_target::x86_64);

// Trampoline and key descriptor for one key used in this unit.
std::string sc_text_key(const sc_key_text &k);

// The per-linked-object header, constructor and destructor (comdat).
std::string sc_text_object(sc_target target = sc_target::x86_64);

#endif
