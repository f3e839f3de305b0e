// ir_pass.h - what the phases of the IR pass (ir_pass.cc) share: the keys
// of the module, with the loads and stores of each that the pass found.
// The phases: finding the keys (ir_pass.cc), call and store rewriting
// (call_rewrite.cc, the GIMPLE pass's counterpart), the site anchors
// (site_anchors.cc, rtl_sites.cc's counterpart), the module asm
// (emit_asm.cc, as in the GCC plugin).
#ifndef STATICCALL_CLANG_IR_PASS_H
#define STATICCALL_CLANG_IR_PASS_H

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"

#include "asm_text.h"
#include "keys.h"

// One key of this unit: a key variable (offset -1) or the marked member at
// byte `offset` of the global object `gv` (a field key), with the loads of
// it the pass found (plain, non-volatile loads of the key's address).
// Metadata on a key variable declared STATIC_CALL_BOOT (SC_DESC_BOOT).
#define SC_BOOT_METADATA "staticcall.boot"

struct sc_key {
	llvm::GlobalVariable *gv = nullptr;
	long offset = -1;
	std::string id; // sc_key_id: trampoline and descriptor names
	std::vector<llvm::LoadInst *> loads;
	bool used = false, used_cond = false;
};

// Which key each load found reads.
using sc_load_map = std::map<const llvm::Value *, sc_key *>;

// The keys of the module and their accesses, as the pass finds them.
struct sc_module_keys {
	// The keys, by id, and which key each load reads.
	std::map<std::string, sc_key> keys;
	sc_load_map loads;
	// The global objects holding the field keys found.
	std::set<const llvm::GlobalVariable *> key_objects;
	// Stores of a key, and of a marked member that is no key (p->f).
	std::vector<std::pair<llvm::StoreInst *, sc_key *>> key_stores;
	std::vector<std::pair<llvm::StoreInst *, llvm::Value *>> member_stores;
};

// The global's symbol name (an asm label may carry LLVM's '\1' prefix).
std::string sc_symbol(const llvm::GlobalValue &gv);

// The target the module is compiled for, if it has static calls (any other
// target keeps its calls indirect); emit_asm.cc.
bool sc_module_target(const llvm::Module &m, sc_target *target);

// call_rewrite.cc: each phase returns whether it changed the module.
// Calls through keys become calls of their trampolines, anchored.
bool sc_rewrite_calls(llvm::Module &m, sc_target target, sc_module_keys &mk);
// Stores counted for the report: stores of keys and marked members
// (__staticcall_store), stores followed by the inline range check, and
// stores proven key-free.
struct sc_store_counts {
	unsigned long to_key = 0, checked = 0, key_free = 0;
};
// Stores of keys and of marked members become __staticcall_store.
bool sc_route_stores(llvm::Module &m, sc_module_keys &mk,
		     sc_store_counts &counts);
// Writes that may change keys without naming a member (memcpy, memset,
// aggregate stores) are followed by the inline range check, which calls
// __staticcall_store_range inside the runtime's bounds of the keys.
bool sc_route_mem_writes(llvm::Module &m, const sc_module_keys &mk,
			 sc_store_counts &counts);

// Are all of DST's underlying objects (through phis, selects and local
// pointer variables) key-free by the policy? KEY_OBJECTS: globals known to
// hold keys besides those the front end named.
bool sc_ir_objects_exclude_keys(
	const sc_state &st, const llvm::Value *dst,
	const std::set<const llvm::GlobalVariable *> &key_objects, int depth);

// alias_pass.cc: at -O1 and up, after each function's simplification, the
// range checks whose destination is then provably key-free go.
void sc_register_alias_pass(llvm::PassBuilder &pb);

// -flto (lto.cc, lto_pass.cc): the operand bundle "staticcall"(ptr @K,
// i64 offset) names the key of a rewritten call or store (offset -1: a
// plain key; else the field's, in the object @K) until the link writes the
// anchors and tables under the names it gave.
#define SC_LTO_BUNDLE "staticcall"
llvm::OperandBundleDef sc_lto_bundle(const sc_key &k);
// CB again, with the bundle OB; CB is erased.
llvm::CallBase *sc_lto_tag(llvm::CallBase *cb,
			   const llvm::OperandBundleDef &ob);

// site_anchors.cc: the anchor (the site record, as inline asm) in front of
// the call CB to key K's trampoline.
void sc_insert_anchor(llvm::CallBase *cb, const std::string &key,
		      sc_target target, bool cond);

// emit_asm.cc: the trampolines and descriptors of the keys used, and the
// per-object header, as module asm. Their symbols:
enum class sc_tables {
	// comdat for a global key, local for a static one (compile time);
	by_linkage,
	// local, the module's own (a ThinLTO backend: lld keeps the comdat
	// sections of every object LTO generates, so comdat would leave two
	// descriptors of one trampoline);
	own_copies,
	// comdat for every key, under the ids the pass gave, NAME.lto (full
	// LTO: the module asm goes to one --lto-partitions part, the others
	// reach it).
	all_shared,
};
// (FRAGMENTS: the module defines fragments, whose records the header
// must register even without keys.)
void sc_emit_module_asm(llvm::Module &m, sc_target target,
			const sc_module_keys &mk,
			sc_tables tables = sc_tables::by_linkage,
			bool fragments = false);

// promote.cc: in promote mode, an anchor (a record of
// SC_ABI_PROMOTE_SECTION) before each indirect call, and the thunk and
// table of the module; true if there was one.
bool sc_promote_module(llvm::Module &m);

// fragment.cc: each function marked static_call_fragment gets its
// instruction, `ret` and its record as its body; true if there was one.
bool sc_lower_fragments(llvm::Module &m, sc_target target);

#endif
