// keys.h - registry shared by the passes: which VAR_DECLs are keys, the
// trampoline FUNCTION_DECL of each, and whether the unit used it (a site or a
// store), which decides whether emit_asm.cc writes its trampoline/descriptor.
// A key is (global object, byte offset): a plain key is the attributed
// variable itself (offset -1), a field key the attributed member at a
// constant offset inside a global object (docs/FIELD_KEYS.md).
#ifndef STATICCALL_KEYS_H
#define STATICCALL_KEYS_H

#include "gcc_compat.h"
#include "policy.h"

struct sc_key {
	tree decl;	 // the key variable; for a field key the object
	long offset;	 // field key: byte offset in DECL; -1: plain key
	tree fntype;	 // the FUNCTION_TYPE the key points to
	tree tramp;	 // extern hidden FUNCTION_DECL __staticcall_tramp.K
	tree tramp_cond; // ... __staticcall_tramp_cond.K (NULL-safe), lazily
	const char *obj_name; // DECL's assembler name, leading '*' stripped
	const char *name;     // the key's id (sc_key_id): obj_name, or
		// "OBJ..OFFSET" for a field key
	const char *display; // for messages: "hook", "cfg.mem.xMalloc"
	bool has_site;	     // at least one call site reached final
	bool has_store;	     // at least one store routed to __staticcall_store
	bool has_cond_site;  // at least one guarded site reached final
};

// Plugin options (set by plugin.cc).
extern bool sc_opt_strict;
extern bool sc_opt_report;
extern bool sc_opt_promote; // promote.cc: record promotable sites
extern bool sc_opt_promote_plain; // ... with thunks ending in `jmp *%reg`
extern bool sc_opt_promote_inline; // ... call sites' compare inline

// The plugin's x86 assembly is AT&T: what it prints into a unit GCC
// writes in Intel syntax (-masm=intel) goes between these, empty
// otherwise (emit_asm.cc); sc_att(text) brackets text so.
const char *sc_att_begin();
const char *sc_att_end();
std::string sc_att(const std::string &text);
// The unit declared a marked struct member: only then are byte copies
// through pointers it cannot place routed (docs/FIELD_KEYS.md).
extern bool sc_unit_has_field_keys;
extern const char *sc_plugin_name;
// The unit's stores of keys and marked members (__staticcall_store),
// stores followed by the inline range check, and stores proven key-free
// (gimple_pass.cc), for the report.
extern unsigned sc_stores_to_key, sc_stores_checked, sc_stores_key_free;

// True if T is a VAR_DECL carrying the static_call attribute.
bool sc_is_key_decl(tree t);
// True if DECL is a key variable declared STATIC_CALL_BOOT.
bool sc_is_boot_key(tree decl);
// True if T is a FIELD_DECL carrying the static_call attribute.
bool sc_is_key_field(tree t);
// True if TYPE (a struct, union or array) holds a marked member at any depth.
bool sc_type_has_key_field(tree type);
// Is DECL an automatic object (a non-static local, a parameter, the
// result)? Such objects never hold keys.
bool sc_is_automatic(tree decl);
// The key REF reads or writes: a key VAR_DECL, or a COMPONENT_REF of a
// marked member of a global object at a constant offset. NULL otherwise.
// Creates the record (and its trampoline decl) on first use.
sc_key *sc_ref_key(tree ref);
// A readable name of the member access REF, for messages.
std::string sc_ref_text(tree ref);
// The record of key DECL, created (with its trampoline decl) on first use.
sc_key *sc_key_get(tree decl);
// The key's NULL-safe trampoline, for guarded sites (created on first use).
tree sc_key_cond_tramp(sc_key *k);
// Is the trampoline symbol X the NULL-safe one?
bool sc_symbol_is_cond(const_rtx x);
// The key whose trampoline is FNDECL / the symbol X, or NULL.
sc_key *sc_key_for_tramp(tree fndecl);
sc_key *sc_key_for_symbol(const_rtx x);
// Every key record created in this unit, in creation order.
const std::vector<sc_key *> &sc_keys_all();
// void __staticcall_store(void *key, void *value), built once.
tree sc_store_fndecl();
// void __staticcall_store_range(void *addr, size_t len), built once.
tree sc_store_range_fndecl();
// void __staticcall_store_range_begin(void *addr, const void *src,
// size_t len), built once.
tree sc_store_range_begin_fndecl();
// extern volatile uintptr_t __staticcall_key_bounds[2], built once.
tree sc_key_bounds_vardecl();
// The key's name without a leading '*'.
const char *sc_asm_name(tree decl);
// Registers the GC roots that keep our trees alive.
void sc_keys_register_gc_roots(const char *plugin_name);

// -flto (lto.cc, docs/GUIDE.md "Link-time optimisation"). Compiling a
// unit to IR for lto1 (-flto, not in lto1): no code, no tables here.
bool sc_lto_compile();
// Does the unit emit code itself (not the IR-only object of -flto)?
bool sc_unit_emits_code();
// Mark trampoline FN as reading key (OBJ, OFFSET), for lto1.
void sc_lto_mark_tramp(tree fn, tree obj, long offset);
// For a rewritten call or store of key K: a reference lto1's partitioner
// sees (the key object and the trampoline), at the function's entry, so
// the key stays reachable by name from every partition that uses it.
void sc_lto_reference_key(const sc_key *k);
// In lto1: the keys of this partition, rebuilt from its trampoline decls
// (once per unit).
void sc_lto_load_keys();
// The record for trampoline FN of key (OBJ, OFFSET), in lto1.
sc_key *sc_key_from_tramp(tree fn, tree obj, long offset, bool cond);
// Suffix of a static key's id under -flto.
#define SC_LTO_SUFFIX ".lto."

// Registration entry points of the other files.
void sc_register_attribute(const char *plugin_name);
void sc_register_gimple_pass(const char *plugin_name);
void sc_register_alias_pass(const char *plugin_name);
void sc_register_rtl_pass(const char *plugin_name);
// fragment.cc: __attribute__((static_call_fragment("insn"))); does the
// unit define such a function (its record needs the object header)?
void sc_register_fragments(const char *plugin_name);
bool sc_fragments_in_unit();
void sc_register_promote(const char *plugin_name);
// Without the promote argument: lto1 records what promote-mode units
// marked (promote.cc).
void sc_register_promote_link(const char *plugin_name);
void sc_register_emit(const char *plugin_name);

// Target text: emit_asm.cc maps the unit to plugin-common/asm_text.cc,
// which holds the assembly shared with the Clang plugin.
// The asm placed right before a call/jump to a trampoline (site record N).
// With its source location when `file` is known (the runtime's reports).
const char *sc_asm_site_record(unsigned n, const char *key_name, bool tail,
			       bool cond, const char *file, int line);
// Trampolines, descriptors and the per-object header for the unit.
void sc_asm_emit_unit(FILE *out);

#endif
