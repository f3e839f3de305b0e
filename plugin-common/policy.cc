// policy.cc - the decisions both plugins share (policy.h).
#include "policy.h"

#include <string.h>

// C++ types that are no key: pointers to member functions (their calls
// pick a virtual function or adjust `this`: no one direct call), and
// references (the key is the variable referred to).
static const char *sc_cxx_type_problem(const sc_decl_facts &d)
{
	if (d.member_function_pointer)
		return "cannot be applied to a pointer to member function "
		       "(not a static call); use a pointer to function";
	if (d.reference)
		return "cannot be applied to a reference; put it on the "
		       "pointer-to-function variable referred to";
	return nullptr;
}

const char *sc_key_problem(const sc_decl_facts &d)
{
	switch (d.kind) {
	case sc_decl_kind::variable:
		break;
	case sc_decl_kind::field:
		if (const char *why = sc_cxx_type_problem(d))
			return why;
		if (!d.function_pointer)
			return "requires a member of pointer-to-function type";
		if (d.const_qualified)
			return "cannot be applied to a const-qualified member";
		return nullptr; // (layout: sc_field_layout_problem)
	case sc_decl_kind::function:
		return "cannot be applied to a function; put it on a "
		       "pointer-to-function variable";
	case sc_decl_kind::member_function:
		return "cannot be applied to a member function (virtual and "
		       "member function calls are not static calls); put it "
		       "on a pointer-to-function variable";
	case sc_decl_kind::parameter:
		return "cannot be applied to a function parameter";
	case sc_decl_kind::type_name:
		return "cannot be applied to a typedef";
	case sc_decl_kind::indirect_field:
		return "cannot be applied to a structure or union member";
	default:
		return "applies only to file-scope pointer-to-function variables";
	}
	if (!d.file_scope)
		return "applies only to variables at file scope, not to local "
		       "variables";
	if (d.thread_local_var)
		return "cannot be applied to a thread-local variable";
	if (const char *why = sc_cxx_type_problem(d))
		return why;
	if (!d.function_pointer)
		return "requires a variable of pointer-to-function type";
	// The runtime writes the key: a const one may sit in read-only
	// memory, and the compilers fold its loads to the initial target.
	if (d.const_qualified)
		return "cannot be applied to a const-qualified variable";
	return nullptr;
}

const char *sc_field_layout_problem(bool in_union, bool pointer_aligned)
{
	// A union member shares its bytes with other members, written
	// without the runtime knowing.
	if (in_union)
		return "cannot be applied to a union member";
	// No 8-byte store updates an unaligned key atomically.
	if (!pointer_aligned)
		return "cannot be applied to a member that is not "
		       "pointer-aligned";
	return nullptr;
}

namespace {
struct sc_mem_writer {
	const char *name;
	int len_arg;
};

const sc_mem_writer sc_mem_writers[] = {
	{ "memcpy", 2 },
	{ "memmove", 2 },
	{ "memset", 2 },
	{ "mempcpy", 2 },
	{ "__memcpy_chk", 2 },
	{ "__memmove_chk", 2 },
	{ "__memset_chk", 2 },
	{ "__mempcpy_chk", 2 },
	{ "bzero", 1 },
	{ "explicit_bzero", 1 },
	{ "__explicit_bzero_chk", 1 },
};

bool sc_starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && !memcmp(s, prefix, n);
}

bool sc_ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && !memcmp(s + len - n, suffix, n);
}
} // namespace

int sc_mem_writer_len_arg(const char *name, size_t len)
{
	if (sc_starts_with(name, len, "__builtin_")) {
		name += strlen("__builtin_");
		len -= strlen("__builtin_");
	}
	if (sc_ends_with(name, len, ".inline"))
		len -= strlen(".inline");
	for (const sc_mem_writer &w : sc_mem_writers)
		if (strlen(w.name) == len && !memcmp(w.name, name, len))
			return w.len_arg;
	return -1;
}

namespace {
const char *const sc_allocators[] = {
	"malloc",  "calloc",  "realloc",  "reallocarray", "aligned_alloc",
	"valloc",  "pvalloc", "memalign", "strdup",	  "strndup",
	"xmalloc", "xcalloc", "xrealloc", "xstrdup",
};
} // namespace

bool sc_is_allocator(const char *name, size_t len)
{
	if (sc_starts_with(name, len, "__builtin_")) {
		name += strlen("__builtin_");
		len -= strlen("__builtin_");
	}
	for (const char *a : sc_allocators)
		if (strlen(a) == len && !memcmp(a, name, len))
			return true;
	return false;
}

sc_store_route sc_store_route_for(const sc_store_facts &f)
{
	switch (f.object) {
	case sc_dest_object::automatic: // keys live in global objects only
	case sc_dest_object::heap:
	case sc_dest_object::read_only:
	case sc_dest_object::global_without_keys:
		return sc_store_route::key_free;
	case sc_dest_object::global_with_keys:
		return sc_store_route::range_check;
	case sc_dest_object::unknown:
		break;
	}
	// A pointer from anywhere: an aggregate with no marked member holds
	// no key wherever it lives (a key is a marked member of its object).
	if (f.type == sc_dest_type::without_keys || f.alias_excludes_keys)
		return sc_store_route::key_free;
	return sc_store_route::range_check;
}
