// attribute.cc - __attribute__((static_call)): marks a file-scope
// pointer-to-function variable as a key, or a pointer-to-function member of
// a structure (each global object of the type then holds field keys,
// docs/FIELD_KEYS.md). Everything else is rejected at the declaration, so a
// misuse never silently becomes an ordinary indirect call.
#include "keys.h"

static bool sc_is_function_pointer(tree type)
{
	return TREE_CODE(type) == POINTER_TYPE &&
	       TREE_CODE(TREE_TYPE(type)) == FUNCTION_TYPE;
}

// (C++) Is TYPE a pointer to member function: a structure whose first
// member points to a METHOD_TYPE (the C++ front end's representation; C
// has no method types)?
static bool sc_is_member_function_pointer(tree type)
{
	if (TREE_CODE(type) != RECORD_TYPE)
		return false;
	tree f = TYPE_FIELDS(type);
	while (f && TREE_CODE(f) != FIELD_DECL)
		f = DECL_CHAIN(f);
	return f && TREE_CODE(TREE_TYPE(f)) == POINTER_TYPE &&
	       TREE_CODE(TREE_TYPE(TREE_TYPE(f))) == METHOD_TYPE;
}

// The facts of the type of a variable or member (C++: references and
// pointers to member functions are no keys).
static void sc_type_facts(tree type, sc_decl_facts *d)
{
	d->function_pointer = sc_is_function_pointer(type);
	d->member_function_pointer = sc_is_member_function_pointer(type);
	d->reference = TREE_CODE(type) == REFERENCE_TYPE;
}

// Why DECL cannot be a key (or a member holding field keys), or NULL when
// it can (plugin-common/policy.cc decides; union membership and layout are
// known only when the structure is finished, see sc_check_finished_type).
static const char *sc_decl_problem(tree decl)
{
	sc_decl_facts d;
	tree type = TREE_TYPE(decl);
	switch (TREE_CODE(decl)) {
	case VAR_DECL: {
		d.kind = sc_decl_kind::variable;
		tree ctx = DECL_CONTEXT(decl);
		d.file_scope =
			!((ctx && TREE_CODE(ctx) == FUNCTION_DECL) ||
			  (current_function_decl && !DECL_EXTERNAL(decl)));
		d.thread_local_var = DECL_THREAD_LOCAL_P(decl);
		sc_type_facts(type, &d);
		d.const_qualified = TYPE_READONLY(type);
		break;
	}
	case FIELD_DECL:
		d.kind = sc_decl_kind::field;
		sc_type_facts(type, &d);
		d.const_qualified = TYPE_READONLY(type) || TREE_READONLY(decl);
		break;
	case FUNCTION_DECL:
		// (C++: a non-static member function has a METHOD_TYPE)
		d.kind = TREE_CODE(type) == METHOD_TYPE ?
				 sc_decl_kind::member_function :
				 sc_decl_kind::function;
		break;
	case PARM_DECL:
		d.kind = sc_decl_kind::parameter;
		break;
	case TYPE_DECL:
		d.kind = sc_decl_kind::type_name;
		break;
	default:
		break;
	}
	return sc_key_problem(d);
}

static tree sc_handle_attr(tree *node, tree name, tree, int, bool *no_add)
{
	tree decl = *node;
	const char *why = DECL_P(decl) ? sc_decl_problem(decl) :
					 sc_key_problem(sc_decl_facts());
	if (why) {
		location_t loc = DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) :
						input_location;
		// The declared name alone (C++: no scope, no signature),
		// as Clang names it.
		if (DECL_P(decl) && DECL_NAME(decl))
			error_at(loc, SC_DIAG_ATTR_NAMED("%s", "%qE"), why,
				 DECL_NAME(decl));
		else
			error_at(loc, SC_DIAG_ATTR("%s"), why);
		*no_add = true;
		return NULL_TREE;
	}
	// A member: the objects holding it are kept when a key in them is
	// first used (keys.cc).
	if (TREE_CODE(decl) == FIELD_DECL) {
		sc_unit_has_field_keys = true;
		return NULL_TREE;
	}
	// The trampoline and descriptor reference the key from asm text GCC
	// cannot see: keep a static key emitted and never treat it as
	// read-only/constant (same effect as __attribute__((used))).
	TREE_USED(decl) = 1;
	DECL_PRESERVE_P(decl) = 1;
	DECL_READ_P(decl) = 1;
	return NULL_TREE;
}

static struct attribute_spec sc_attr_spec = {
	SC_ATTR_NAME, 0,     0,
	true, // decl_required: passed from a pointer declarator to the decl
	false,	      false, false, sc_handle_attr, NULL
};

// static_call_boot (STATIC_CALL_BOOT puts static_call beside it): read
// where the key's descriptor is written and at plain stores
// (sc_is_boot_key). On anything but a key it is an error.
static tree sc_handle_boot_attr(tree *node, tree, tree, int, bool *no_add)
{
	tree decl = *node;
	if (TREE_CODE(decl) != VAR_DECL ||
	    !lookup_attribute(SC_ATTR_NAME, DECL_ATTRIBUTES(decl))) {
		error_at(DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) :
					input_location,
			 SC_DIAG_BOOT_NOT_KEY("%qE"),
			 DECL_P(decl) ? DECL_NAME(decl) : NULL_TREE);
		*no_add = true;
	}
	return NULL_TREE;
}

static struct attribute_spec sc_boot_attr_spec = {
	SC_ATTR_BOOT_NAME, 0,	  0,
	true, // decl_required
	false,		   false, false, sc_handle_boot_attr, NULL
};

static void sc_on_attributes(void *, void *)
{
	register_attribute(&sc_attr_spec);
	register_attribute(&sc_boot_attr_spec);
}

bool sc_is_boot_key(tree decl)
{
	return decl && TREE_CODE(decl) == VAR_DECL &&
	       lookup_attribute(SC_ATTR_BOOT_NAME, DECL_ATTRIBUTES(decl));
}

static void sc_field_error(tree field, const char *why)
{
	error_at(DECL_SOURCE_LOCATION(field), SC_DIAG_ATTR_NAMED("%s", "%qE"),
		 why, DECL_NAME(field));
	// Not a key any more: no second error, no site.
	DECL_ATTRIBUTES(field) =
		remove_attribute(SC_ATTR_NAME, DECL_ATTRIBUTES(field));
}

// Is the member FIELD placed at a pointer-aligned offset, with at least a
// pointer's alignment (a packed structure can place every object of the
// type at any address)?
static bool sc_field_aligned(tree field)
{
	if (DECL_ALIGN(field) < POINTER_SIZE)
		return false;
	tree pos = bit_position(field);
	return TREE_CODE(pos) != INTEGER_CST || !tree_fits_uhwi_p(pos) ||
	       tree_to_uhwi(pos) % POINTER_SIZE == 0;
}

static void sc_check_field_layout(tree field, bool in_union)
{
	// A C++ class template's pattern is never laid out (its
	// instantiations are, without this callback): nothing to check.
	if (!DECL_FIELD_OFFSET(field))
		return;
	if (sc_is_key_field(field)) {
		if (const char *why = sc_field_layout_problem(
			    in_union, sc_field_aligned(field)))
			sc_field_error(field, why);
		return;
	}
	// A structure holding marked members, placed unaligned by this
	// (packed) one: its keys would be unaligned in every object.
	tree t = TREE_TYPE(field);
	while (TREE_CODE(t) == ARRAY_TYPE)
		t = TREE_TYPE(t);
	if (RECORD_OR_UNION_TYPE_P(t) && sc_type_has_key_field(t))
		if (const char *why = sc_field_layout_problem(
			    false, sc_field_aligned(field)))
			sc_field_error(field, why);
}

// A structure or union type is complete: marked members of a union, and
// marked members (also those of nested structures) a packed layout leaves
// unaligned, are errors at the member's declaration.
static void sc_check_finished_type(tree type)
{
	bool in_union = TREE_CODE(type) == UNION_TYPE ||
			TREE_CODE(type) == QUAL_UNION_TYPE;
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f))
		if (TREE_CODE(f) == FIELD_DECL)
			sc_check_field_layout(f, in_union);
}

static void sc_on_finish_type(void *gcc_data, void *)
{
	tree type = (tree)gcc_data;
	if (!type || type == error_mark_node || !RECORD_OR_UNION_TYPE_P(type) ||
	    !COMPLETE_TYPE_P(type))
		return;
	sc_check_finished_type(type);
}

void sc_register_attribute(const char *plugin_name)
{
	register_callback(plugin_name, PLUGIN_ATTRIBUTES, sc_on_attributes,
			  NULL);
	register_callback(plugin_name, PLUGIN_FINISH_TYPE, sc_on_finish_type,
			  NULL);
}
