// keys.h - state shared by the frontend files (attribute.cc, ast_checks.cc,
// plugin.cc) and the IR pass (ir_pass.cc and the files of its phases), and
// the entry points each file offers the others. One cc1 process compiles
// one translation unit, and the shared object is loaded once even when it
// is named by both -fplugin= and -fpass-plugin=, so plain process globals
// suffice.
#ifndef STATICCALL_CLANG_KEYS_H
#define STATICCALL_CLANG_KEYS_H

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "llvm/ADT/DenseSet.h"

#include "policy.h"

#define SC_PLUGIN_NAME "staticcall_clang"

namespace llvm {
class PassBuilder;
}

namespace clang {
class ASTContext;
class CompilerInstance;
class FieldDecl;
class QualType;
class TagDecl;
class ValueDecl;
class VarDecl;
} // namespace clang

// A place in the source as code generation locates it (sc_state).
using sc_copy_place = std::tuple<std::string, unsigned, unsigned>;

struct sc_state {
	bool strict = false; // -fplugin-arg-staticcall_clang-strict
	bool report = false; // -fplugin-arg-staticcall_clang-report
	// IR names of the keys of this unit (asm label if any, else the C name).
	std::set<std::string> key_names;
	// ... those declared STATIC_CALL_BOOT (SC_DESC_BOOT).
	std::set<std::string> boot_key_names;
	// IR names of the global objects (file scope, or a function's
	// `static`) whose type holds marked members (field keys,
	// docs/FIELD_KEYS.md): a memcpy/memset into any other global object
	// cannot change a key. (A local static is named "FUNC.NAME", maybe
	// with a ".N" suffix LLVM added: the pass also tries without it.)
	std::set<std::string> keyed_objects;
	// C names of the structure and union types holding marked members
	// (at any depth), which CodeGen names "struct.NAME" (maybe ".N"):
	// the IR pass's type fact (plugin-common/policy.h). An anonymous
	// one is "anon" (its typedef name when it has one).
	std::set<std::string> keyed_types;
	// (C) The copies of a structure or union type that holds no marked
	// member, at any depth (`*p = *q;`, `p->in = *q;`, `a[i] = s;`),
	// which CodeGen lowers to an llvm.memcpy of bytes: by the file name
	// (without its directories), line and column CodeGen gives the memcpy
	// (the copy's source expression), the size of the type. Only places
	// where nothing else may make a copy (ast_checks.cc, sc_copy_facts):
	// the IR pass's type fact for them. Empty under -fdebug-prefix-map,
	// which may rename files in the locations.
	std::map<sc_copy_place, unsigned long long> key_free_copies;
	bool debug_prefix_map = false;
	// The unit declared a marked struct member: only then are byte copies
	// into memory the pass cannot place routed (docs/FIELD_KEYS.md).
	bool has_field_keys = false;
	// -flto or -flto=thin (lto.cc): the pass rewrites calls and stores
	// but leaves the anchors and tables to the link (lto_pass.cc).
	bool lto = false;
	// -fplugin-arg-staticcall_clang-promote (promote.cc): every indirect
	// call becomes a promotable site (issue 16).
	bool promote = false;
};

// The annotation (an AnnotateAttr the attribute handler adds to every
// marked member) through which Clang's code generator wraps each access of
// a marked member in @llvm.ptr.annotation: the IR pass finds field keys by
// it, then removes every such call.
#define SC_FIELD_ANNOTATION "staticcall.key"

sc_state &sc_global();

// The frontend's keys (keys.cc), filled by the attribute handler.
// Canonical declarations of the keys seen by the attribute handler.
llvm::DenseSet<const clang::VarDecl *> &sc_key_decls();
// Canonical declarations of the keys declared STATIC_CALL_BOOT.
llvm::DenseSet<const clang::VarDecl *> &sc_boot_key_decls();
// Marked members (field keys) seen by the attribute handler.
llvm::DenseSet<const clang::FieldDecl *> &sc_key_fields();
bool sc_is_key_field(const clang::ValueDecl *d);
bool sc_is_key(const clang::ValueDecl *d);
// Does a (complete) object of type T hold marked members, at any depth of
// nesting, through arrays?
bool sc_type_has_key(clang::ASTContext &ctx, clang::QualType t);

// Entry points of the other files.
// attribute.cc: a structure is complete: its marked members' layout.
void sc_check_finished_record(clang::TagDecl *td);
// ast_checks.cc: the whole unit is parsed: record the IR names of its keys
// and keyed objects for the IR pass, check the AST, report remarks.
void sc_check_unit(clang::ASTContext &ctx);
// fragment.cc: the whole unit is parsed: a function marked
// static_call_fragment must be defined in it.
void sc_check_fragments(clang::ASTContext &ctx);
// lto.cc: -flto or -flto=thin: sets sc_state::lto (LLVM >= 19), an error
// before.
void sc_check_lto(clang::CompilerInstance &ci);
// promote.cc: promote mode's checks of the command line (x86-64, no
// -flto, -mretpoline-external-thunk) and the branch alignment it sets.
void sc_promote_setup(clang::CompilerInstance &ci);
// ir_pass.cc: adds the IR pass to a PassBuilder (once per PassBuilder).
void sc_register_pass_callbacks(llvm::PassBuilder &pb);

#endif
