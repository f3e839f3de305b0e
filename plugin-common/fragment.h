// fragment.h - one-instruction fragments (docs/GUIDE.md, "CPU dispatch
// with one-instruction fragments"): a function definition marked
// __attribute__((static_call_fragment("popcnt %rdi, %rax"))) gets that
// instruction and `ret` as its whole body, and a record
// (SC_ABI_FRAGS_SECTION) that lets the runtime put the instruction itself
// at a site whose key points to the function. Here: the rules the text
// must obey and the assembly, shared by both plugins. No compiler API.
#ifndef SC_FRAGMENT_H
#define SC_FRAGMENT_H

#include <string>

#include "asm_text.h"

#define SC_FRAGMENT_ATTR_NAME "static_call_fragment"

// What the check needs of the function the attribute is on.
struct sc_fragment_sig {
	bool definition = true;	  // the declaration has (or gets) a body
	unsigned int_params = 0;  // integer/pointer parameters
	bool other_params = false; // a float, aggregate, variadic ... parameter
	bool returns_int = false; // returns an integer or a pointer
	bool returns_void = false;
};

// Why TEXT cannot be the one-instruction body of a function with SIG on
// TARGET (the words after "'static_call_fragment' attribute "), or empty
// when it can. x86-64: AT&T syntax, one instruction of the list in
// fragment.cc (each writes only its last operand, and flags), its sources
// the function's argument registers or immediates, its destination the
// return register (%rax/%eax/%ax/%al); no memory operand, no prefix.
// AArch64: the same with x0..x7 / w0..w7 and x0 / w0.
// x86-64 also takes a sequence, instructions separated by ';' or new
// lines (the paravirt `pushf; pop %rax`): each of the list or a read-
// modify-write one (add, crc32, ...), push/pop/pushf balanced, reading
// only registers that hold a value by then, writing only call-clobbered
// ones (%rax, argument registers, %r10, %r11), the result in %rax.
std::string sc_fragment_problem(const std::string &text,
				const sc_fragment_sig &sig, sc_target target);

// Several instructions (the runtime places them only at sites of keys
// declared STATIC_CALL_BOOT, and only while the process is single-
// threaded: docs/GUIDE.md).
bool sc_fragment_is_sequence(const std::string &text);

// The function's body as basic asm: the instruction, `ret`, and the
// record. The compiler emits the function's label and, when LANDING_PAD
// (the unit's -fcf-protection=branch / BTI), its endbr64 / bti c around
// it (the function is made naked).
std::string sc_text_fragment_body(const std::string &text, bool landing_pad,
				  sc_target target);

// Diagnostic texts (both plugins: tests/compile-errors/same_text.py).
#define SC_DIAG_FRAG(why) "'" SC_FRAGMENT_ATTR_NAME "' attribute " why
#define SC_DIAG_FRAG_NAMED(why, name) SC_DIAG_FRAG(why) " (" name ")"

#endif
