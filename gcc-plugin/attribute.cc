// attribute.cc - __attribute__((static_call)): marks a file-scope
// pointer-to-function variable as a key. Everything else is rejected at the
// declaration, so a misuse never silently becomes an ordinary indirect call.
#include "keys.h"

// Why DECL cannot be a key, or NULL when it can.
static const char *sc_key_problem(tree decl)
{
	switch (TREE_CODE(decl)) {
	case VAR_DECL:
		break;
	case FUNCTION_DECL:
		return "cannot be applied to a function; put it on a "
		       "pointer-to-function variable";
	case FIELD_DECL:
		return "cannot be applied to a structure or union member";
	case PARM_DECL:
		return "cannot be applied to a function parameter";
	case TYPE_DECL:
		return "cannot be applied to a typedef";
	default:
		return "applies only to file-scope pointer-to-function variables";
	}
	tree ctx = DECL_CONTEXT(decl);
	bool in_function = (ctx && TREE_CODE(ctx) == FUNCTION_DECL) ||
			   (current_function_decl && !DECL_EXTERNAL(decl));
	if (in_function)
		return "applies only to variables at file scope, not to local "
		       "variables";
	if (DECL_THREAD_LOCAL_P(decl))
		return "cannot be applied to a thread-local variable";
	tree type = TREE_TYPE(decl);
	if (TREE_CODE(type) != POINTER_TYPE ||
	    TREE_CODE(TREE_TYPE(type)) != FUNCTION_TYPE)
		return "requires a variable of pointer-to-function type";
	// The runtime writes the key; a const one may sit in read-only memory
	// and GCC folds loads of it to the initial target.
	if (TYPE_READONLY(type))
		return "cannot be applied to a const-qualified variable";
	return NULL;
}

static tree sc_handle_attr(tree *node, tree name, tree, int, bool *no_add)
{
	tree decl = *node;
	const char *why =
		DECL_P(decl) ? sc_key_problem(decl)
			     : "applies only to file-scope pointer-to-function "
			       "variables";
	if (why) {
		location_t loc =
			DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) : input_location;
		if (DECL_P(decl) && DECL_NAME(decl))
			error_at(loc, "%qE attribute %s (%qD)", name, why, decl);
		else
			error_at(loc, "%qE attribute %s", name, why);
		*no_add = true;
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
	SC_ATTR_NAME, 0, 0,
	true,  // decl_required: passed from a pointer declarator to the decl
	false, false, false, sc_handle_attr, NULL};

static void sc_on_attributes(void *, void *)
{
	register_attribute(&sc_attr_spec);
}

void sc_register_attribute(const char *plugin_name)
{
	register_callback(plugin_name, PLUGIN_ATTRIBUTES, sc_on_attributes,
			  NULL);
}
