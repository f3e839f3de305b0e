// policy.h - what the GCC and the Clang plugin decide the same way, written
// once: which declarations may carry the attribute and the words for why
// not, the text of every diagnostic, which library functions write memory
// (and which argument is their length), the plugin options and version.
// Plain C++, no compiler API: each plugin gathers the facts from its own
// trees and asks here. tests/compile-errors/same_text.py checks that the
// same misuse gets the same text from both.
#ifndef SC_POLICY_H
#define SC_POLICY_H

#include <stddef.h>

#include "sc_plugin_version.h" // SC_PLUGIN_VERSION, from meson.build

#define SC_ATTR_NAME "static_call"
// With it: a key declared STATIC_CALL_BOOT (SC_DESC_BOOT).
#define SC_ATTR_BOOT_NAME "static_call_boot"

// Plugin arguments: -fplugin-arg-<plugin>-strict, -report.
#define SC_OPT_STRICT "strict"
#define SC_OPT_REPORT "report"
#define SC_OPT_PROMOTE "promote" /* promotable indirect calls */
/* GCC: the same for builds without retpolines: each unit's own thunks
 * (local) end in `jmp *%reg` */
#define SC_OPT_PROMOTE_PLAIN "promote-plain"
/* GCC, x86-64: with promote, each call site it can take compares one
 * learned target inline, in a restartable sequence (docs/PATCHING.md
 * "Inline sites") */
#define SC_OPT_PROMOTE_INLINE "promote-inline"

// ---------------------------------------------------------------------------
// The attribute
// ---------------------------------------------------------------------------

// What a declaration carrying the attribute is, as far as the decision
// needs it.
enum class sc_decl_kind {
	variable,
	field, // a member of a structure (or union)
	function,
	member_function, // (C++) a non-static member function, virtual too
	parameter,
	type_name,	// a typedef
	indirect_field, // (Clang) a member reached through an anonymous one
	other,
};

struct sc_decl_facts {
	sc_decl_kind kind = sc_decl_kind::other;
	bool file_scope = true;	       // variable: not a local, nor a block-
				       // scope extern
	bool thread_local_var = false; // variable: __thread, _Thread_local
	bool function_pointer = false; // its type is pointer to function
	bool const_qualified = false;  // the pointer itself is const
	// (C++) variable or member: a pointer to member function, a
	// reference (its type otherwise as function_pointer says).
	bool member_function_pointer = false;
	bool reference = false;
};

// Why a declaration with these facts cannot be a key (a variable) or hold
// field keys (a member), or nullptr when it can. Checked in this order, so
// the first problem found is the one reported.
const char *sc_key_problem(const sc_decl_facts &d);

// Why a marked member cannot stay one once its structure is complete: it
// is a union member, or the layout (packed) leaves it (or the structure
// holding it) not pointer-aligned. nullptr when it can.
const char *sc_field_layout_problem(bool in_union, bool pointer_aligned);

// ---------------------------------------------------------------------------
// Diagnostic texts
// ---------------------------------------------------------------------------
// Each macro expands to a string literal, so the compilers keep checking
// the format. The plugin passes the format directive for each subject: a
// quoted declaration or text ("%qD", "'%s'" for GCC; "%0" for Clang).

// "'static_call' attribute <why> ('<name>')" (the name when it has one).
#define SC_DIAG_ATTR(why) "'" SC_ATTR_NAME "' attribute " why
#define SC_DIAG_ATTR_NAMED(why, name) SC_DIAG_ATTR(why) " (" name ")"
#define SC_DIAG_ATTR_NO_ARGS SC_DIAG_ATTR("takes no arguments")

// static_call_update/_null/_ret0 on something that is not a key.
#define SC_DIAG_NOT_KEY(var)                                             \
	"staticcall: " var " is not a static-call key (declare it with " \
	"'STATIC_CALL')"
#define SC_DIAG_NOT_KEY_MEMBER(field)                                        \
	"staticcall: member " field " is not a static-call key (declare it " \
	"with 'STATIC_CALL')"
// static_call_update_ret0 (_const, _ret_arg) on a key whose return type
// is not an integer or a pointer.
#define SC_DIAG_INLINE_TYPE(api, key, type)                            \
	"staticcall: '" api "' needs a key returning an integer or a " \
	"pointer; " key " returns " type
#define SC_DIAG_RET0_TYPE(key, type) \
	SC_DIAG_INLINE_TYPE("static_call_update_ret0", key, type)
#define SC_DIAG_CONST_TYPE(key, type) \
	SC_DIAG_INLINE_TYPE("static_call_update_const", key, type)
#define SC_DIAG_RET_ARG_TYPE(key, type) \
	SC_DIAG_INLINE_TYPE("static_call_update_ret_arg", key, type)
// static_call_update_ret_arg(key, n), n a constant: the arguments up to n
// must be integers or pointers, argument n of the return type's size.
#define SC_DIAG_RET_ARG_N(key, n)                                          \
	"staticcall: 'static_call_update_ret_arg' needs arguments 0 to n " \
	"of " key " to be integers or pointers, argument n (" n            \
	") of its return type's size"
// Strict mode: a plain store to a key (a variable or a marked member).
#define SC_DIAG_STRICT_STORE(key)                                    \
	"staticcall: plain store to key " key " (strict mode); use " \
	"'static_call_update'"
// A plain store to a key declared STATIC_CALL_BOOT (its sites may hold a
// multi-instruction fragment, which no store can change once threads run).
#define SC_DIAG_BOOT_STORE(key)                                            \
	"staticcall: plain store to key " key " declared STATIC_CALL_BOOT; " \
	"use 'static_call_update' (it returns -EAGAIN once threads run)"
// static_call_boot without static_call.
#define SC_DIAG_BOOT_NOT_KEY(key)                                  \
	"staticcall: 'static_call_boot' attribute needs a key " key \
	" (use STATIC_CALL_BOOT, which marks it static_call too)"
// A pointer to a key escapes (GCC only: Clang has no such warning yet).
#define SC_DIAG_ADDRESS_ESCAPES(key)                                      \
	"staticcall: address of key " key " escapes; a store through it " \
	"bypasses the runtime and leaves call sites on the old target"
// Report mode.
#define SC_DIAG_SITE(key) \
	"staticcall: call through " key " is a static-call site"
#define SC_DIAG_GUARDED_SITE(key)                                           \
	"staticcall: guarded call through " key " is one static-call site " \
	"(a NOP while the key is NULL)"
#define SC_DIAG_LOAD_NOT_CALLEE(key)                                    \
	"staticcall: load of " key " is not the callee of a call; not " \
	"converted"
// Report mode, once per unit: the stores (memcpy, memset, struct copies,
// stores of marked members) that may change keys.
#define SC_DIAG_STORE_COUNTS(to_key, checked, key_free)                      \
	"staticcall: stores: " to_key " routed to a key, " checked " range-" \
	"checked, " key_free " proven key-free"
// The unit and the command line.
// Clang only: GCC's plugin works under -flto (gcc-plugin/lto.cc).
#define SC_DIAG_LTO \
	"staticcall: -flto needs Clang 19 and lld (the link loads the " \
	"plugin's pass: docs/GUIDE.md); this Clang is older"
#define SC_DIAG_UNKNOWN_ARG(plugin, arg)                                    \
	"staticcall: unknown plugin argument '-fplugin-arg-" plugin "-" arg \
	"' (expected '" SC_OPT_STRICT "' or '" SC_OPT_REPORT "')"

// ---------------------------------------------------------------------------
// Memory writers
// ---------------------------------------------------------------------------

// If NAME (LEN bytes, not necessarily NUL-terminated) names a library
// function that writes memory from its first argument on (memcpy, memset,
// bzero, explicit_bzero, their _chk forms, ...): the index of its length
// argument, else -1. A store into memory that may hold field keys is
// followed by __staticcall_store_range(first argument, length). NAME may
// be spelled as the compilers spell them: GCC's "__builtin_NAME", Clang's
// "NAME.inline" (the body of an always-inline redefinition, glibc's
// _FORTIFY_SOURCE wrappers). A function so named is also such a wrapper:
// its callers route the call, not its body.
int sc_mem_writer_len_arg(const char *name, size_t len);

// Does NAME (LEN bytes) name a library allocator whose result is a fresh
// heap block (malloc, calloc, realloc, aligned_alloc, ...)? Such a block
// never holds a key: keys live in global objects.
bool sc_is_allocator(const char *name, size_t len);

// ---------------------------------------------------------------------------
// Store routing (docs/FIELD_KEYS.md, "Which stores are routed")
// ---------------------------------------------------------------------------
// A store that may change field keys without naming a member (a struct
// assignment, memcpy, memset, a lowered small copy) is followed by an
// inline check of its range against the bounds the runtime keeps of every
// registered key, which calls __staticcall_store_range only inside them;
// unless the facts below prove that the destination holds no key. Each
// plugin gathers the facts from its own representation.

// What the destination's underlying object is, as far as the compiler can
// tell.
enum class sc_dest_object {
	unknown,	     // a pointer from anywhere (a parameter, a load)
	automatic,	     // a local variable or an alloca
	heap,		     // the result of a known allocator
	read_only,	     // a string literal, a constant or thread-local
	global_without_keys, // a global whose type holds no marked member
	global_with_keys,    // a global whose type holds marked members
};

// The type of what the destination designates.
enum class sc_dest_type {
	opaque,	      // void, char, a scalar, an incomplete type: bytes
	without_keys, // a complete aggregate with no marked member, at any
		      // depth
	with_keys,    // an aggregate holding marked members
};

struct sc_store_facts {
	sc_dest_object object = sc_dest_object::unknown;
	sc_dest_type type = sc_dest_type::opaque;
	// The compiler's alias analysis proves the destination points to no
	// global object (or to none that holds keys).
	bool alias_excludes_keys = false;
};

enum class sc_store_route {
	key_free,    // nothing follows the store
	range_check, // the inline bounds check, the runtime call inside
};

sc_store_route sc_store_route_for(const sc_store_facts &f);

#endif
