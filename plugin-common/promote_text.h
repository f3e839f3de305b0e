// promote_text.h - the assembly of promotable indirect-call sites (issue
// 16, docs/ABI.md "Promotable sites"): the record before each site, the
// per-register thunks a unit calls, the per-object registration. Plain
// strings, no compiler API: x86-64, and arm64 (the _a64 functions).
#ifndef SC_PROMOTE_TEXT_H
#define SC_PROMOTE_TEXT_H

#include <string>

// The x86 number of a register named as in a thunk's name ("rax", "r8"),
// -1 if it is none a thunk takes (rsp, or not a 64-bit GPR).
int sc_promote_reg_number(const std::string &name);
// The thunk name's register ("rax", "r8") of x86 register number `reg`.
std::string sc_promote_reg_name(int reg);

// The record of one site, placed immediately before the `call`/`jmp
// __x86_indirect_thunk_<reg>` (with `.balign 8,,4` so the 5-byte
// instruction lies in one aligned quadword). `label` unique in the unit.
// jump: the `jmp` is an indirect jump that is no call (a computed goto, a
// jump table; SC_PROMOTE_TAIL | SC_PROMOTE_JUMP), a site as a tail call.
std::string sc_text_promote_site(const std::string &label, int reg, bool tail,
				 bool jump = false);

// (Clang) The record of an anchored site: `label` is an anchor the runtime
// decodes forward from to the first control transfer, which must be the
// `call` or `jmp __x86_indirect_thunk_<reg>` (docs/ABI.md).
std::string sc_text_promote_anchor(const std::string &label, int reg);

// The thunk `__x86_indirect_thunk_<reg>` (hidden, comdat): slot, retpoline,
// sample block. The runtime checks these exact bytes (promote_x86_64.c).
// plain_jump (-fplugin-arg-...-promote-plain): the slow path is `jmp
// *%reg` instead of the retpoline, and the thunk is local to the unit
// (not comdat, not global), so no unit of the object built for
// retpolines can ever reach it. notrack: the same thunk named
// `__x86_indirect_thunk_nt_<reg>`, which GCC's table jumps and calls
// through `nocf_check` pointers under -fcf-protection=branch go through
// (their targets have no ENDBR): the retpoline the same bytes (its `ret`
// is not tracked), the plain jump `notrack jmp *%reg`.
std::string sc_text_promote_thunk(int reg, bool plain_jump = false,
				  bool notrack = false);

// The inline form of a call site through register `reg` (not r11,
// which it uses; docs/ABI.md "Inline sites", staticcall_abi.h's
// layout): sc_text_promote_inline_head goes right before the `call
// __x86_indirect_thunk_<reg>` GCC prints (B, the sequence's end),
// sc_text_promote_inline_end right after it, and
// sc_text_promote_inline_slow somewhere no code falls into (it ends in
// a jump): the restartable sequence's signature, then the slow site,
// recorded (SC_PROMOTE_INLINE), and the jump back. `label` unique in the
// unit.
std::string sc_text_promote_inline_head(const std::string &label, int reg);
std::string sc_text_promote_inline_end(const std::string &label);
std::string sc_text_promote_inline_slow(const std::string &label, int reg);

// An indirect jump that is not a call (a computed goto, a jump table)
// through register `reg` that is no site (an opted-out function's; every
// one in a promote-plain unit), in place of `jmp
// __x86_indirect_thunk_<reg>`: the retpoline inline (GCC's thunk-inline
// shape), or with plain_jump `jmp *%reg`. Through the thunk, unrecorded,
// it would pay the thunk's sampling on every pass.
// notrack: GCC's table jump under -fcf-protection=branch, whose targets
// have no ENDBR: the plain form is `notrack jmp *%reg` (the retpoline's
// `ret` is not checked).
std::string sc_text_promote_jump(int reg, bool plain_jump = false,
				 bool notrack = false);

// The table's bounds, constructor and destructor of a linked object
// (comdat, hidden; once per unit that has promotable sites).
std::string sc_text_promote_object();

// ---- arm64 (-mharden-sls=blr's shape; docs/ABI.md) ----------------------
// The number of an arm64 register a thunk takes ("x0".."x29", not x16,
// x17: the thunk's scratch), -1 otherwise.
int sc_promote_reg_number_a64(const std::string &name);
// The thunk's name for register x<reg>: __staticcall_call_indirect_x<reg>.
std::string sc_promote_thunk_name_a64(int reg);
// The record of one site, placed immediately before its
// `bl __staticcall_call_indirect_x<reg>`.
std::string sc_text_promote_site_a64(const std::string &label, int reg);
// The thunk of register x<reg> (hidden, comdat): slot word, body, sample
// block. The runtime checks these exact words (promote_aarch64.c).
std::string sc_text_promote_thunk_a64(int reg);
// (Clang) The record of an anchored arm64 site: `label` is an anchor the
// runtime decodes forward from to the first control transfer, which must
// be the `bl` to the compiler's own SLS thunk (SC_PROMOTE_SLS: the
// register is the thunk's).
std::string sc_text_promote_anchor_sls_a64(const std::string &label);
// sc_text_promote_object's arm64 text.
std::string sc_text_promote_object_a64();

#endif
