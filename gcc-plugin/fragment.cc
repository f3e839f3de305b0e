// fragment.cc - __attribute__((static_call_fragment("insn"))) on a
// function definition (plugin-common/fragment.h): the text is checked
// when the attribute is seen, and when the definition is complete its
// body becomes the instruction and `ret` (basic asm in a function made
// naked, noinline and noipa: no prologue, no copy, no caller that assumes
// more than the ABI) plus the record the runtime reads. The C body stays
// what a build without the plugin compiles (and, for want of naked
// functions in GCC's AArch64 back end, what the AArch64 plugin keeps).
// Clang: clang-plugin/fragment.cc.
#include "keys.h"
#include "fragment.h"
#ifndef SC_TARGET_AARCH64
#include "config/i386/i386-opts.h"
#endif

#include <vector>

#ifdef SC_TARGET_AARCH64
static const sc_target sc_frag_target = sc_target::aarch64;
#else
static const sc_target sc_frag_target = sc_target::x86_64;
#endif

// The marked functions of the unit, and whether each got its body. (Each
// FUNCTION_DECL stays reachable from the symbol table.)
static std::vector<tree> sc_frag_decls;
static std::vector<tree> sc_frag_defined;

static bool sc_frag_int_type(tree t)
{
	return (INTEGRAL_TYPE_P(t) || POINTER_TYPE_P(t)) &&
	       tree_fits_uhwi_p(TYPE_SIZE(t)) &&
	       tree_to_uhwi(TYPE_SIZE(t)) <= 64;
}

static sc_fragment_sig sc_frag_sig(tree fntype)
{
	sc_fragment_sig s;
	tree ret = TREE_TYPE(fntype);
	s.returns_void = VOID_TYPE_P(ret);
	s.returns_int = sc_frag_int_type(ret);
	if (stdarg_p(fntype) || !prototype_p(fntype))
		s.other_params = true;
	for (tree a = TYPE_ARG_TYPES(fntype); a; a = TREE_CHAIN(a)) {
		tree t = TREE_VALUE(a);
		if (VOID_TYPE_P(t))
			break;
		if (sc_frag_int_type(t))
			s.int_params++;
		else
			s.other_params = true;
	}
	return s;
}

static const char *sc_frag_text(tree decl)
{
	tree a = lookup_attribute(SC_FRAGMENT_ATTR_NAME, DECL_ATTRIBUTES(decl));
	if (!a || !TREE_VALUE(a) ||
	    TREE_CODE(TREE_VALUE(TREE_VALUE(a))) != STRING_CST)
		return NULL;
	return TREE_STRING_POINTER(TREE_VALUE(TREE_VALUE(a)));
}

static void sc_frag_error(tree decl, const std::string &why)
{
	if (DECL_P(decl) && DECL_NAME(decl))
		error_at(DECL_SOURCE_LOCATION(decl),
			 SC_DIAG_FRAG_NAMED("%s", "%qE"), why.c_str(),
			 DECL_NAME(decl));
	else
		error_at(DECL_P(decl) ? DECL_SOURCE_LOCATION(decl) :
					input_location,
			 SC_DIAG_FRAG("%s"), why.c_str());
}

static tree sc_frag_handle_attr(tree *node, tree, tree args, int, bool *no_add)
{
	tree decl = *node;
	*no_add = true;
	if (TREE_CODE(decl) != FUNCTION_DECL ||
	    TREE_CODE(TREE_TYPE(decl)) != FUNCTION_TYPE) {
		sc_frag_error(decl, "applies to function definitions only");
		return NULL_TREE;
	}
	tree text = TREE_VALUE(args);
	if (TREE_CODE(text) != STRING_CST) {
		sc_frag_error(decl, "needs the text of one instruction");
		return NULL_TREE;
	}
	std::string why = sc_fragment_problem(TREE_STRING_POINTER(text),
					       sc_frag_sig(TREE_TYPE(decl)),
					       sc_frag_target);
	if (!why.empty()) {
		sc_frag_error(decl, why);
		return NULL_TREE;
	}
	*no_add = false;
	sc_frag_decls.push_back(decl);
	return NULL_TREE;
}

static struct attribute_spec sc_frag_attr_spec = {
	SC_FRAGMENT_ATTR_NAME, 1, 1, true, false, false, false,
	sc_frag_handle_attr,   NULL
};

static void sc_frag_add_attr(tree fn, const char *name)
{
	if (!lookup_attribute(name, DECL_ATTRIBUTES(fn)))
		DECL_ATTRIBUTES(fn) = tree_cons(get_identifier(name), NULL_TREE,
						DECL_ATTRIBUTES(fn));
}

// The definition is complete (before genericization): its body becomes
// the instruction, `ret` and the record.
static void sc_frag_on_pre_genericize(void *gcc_data, void *)
{
	tree fn = (tree)gcc_data;
	const char *text = sc_frag_text(fn);
	if (!text || seen_error())
		return;
#ifdef SC_TARGET_AARCH64
	// GCC has no naked functions on AArch64 (the attribute is ignored and
	// a prologue would run before the asm): the function keeps the
	// compiler's code for its C body, and no record. Nothing is lost at
	// the sites: arm64 sites only ever call (docs/GUIDE.md).
	sc_frag_defined.push_back(fn);
	return;
#endif
	std::string body = sc_text_fragment_body(
		text, (flag_cf_protection & CF_BRANCH) != 0, sc_frag_target);
	// The text is AT&T (as Clang's inline asm reads it whatever
	// -masm says): a unit in Intel syntax switches around it.
#ifndef SC_TARGET_AARCH64
	if (ASSEMBLER_DIALECT == ASM_INTEL)
		body = "\t.att_syntax prefix\n" + body +
		       "\t.intel_syntax noprefix\n";
#endif
	tree str = build_string(body.size() + 1, body.c_str());
	tree as = build5_loc(DECL_SOURCE_LOCATION(fn), ASM_EXPR, void_type_node,
			     str, NULL_TREE, NULL_TREE, NULL_TREE, NULL_TREE);
	ASM_INPUT_P(as) = 1;
	ASM_VOLATILE_P(as) = 1;
	// The C body's scopes go with it (nothing of it is emitted).
	if (DECL_INITIAL(fn) && TREE_CODE(DECL_INITIAL(fn)) == BLOCK) {
		BLOCK_SUBBLOCKS(DECL_INITIAL(fn)) = NULL_TREE;
		BLOCK_VARS(DECL_INITIAL(fn)) = NULL_TREE;
	}
	DECL_SAVED_TREE(fn) = build3(BIND_EXPR, void_type_node, NULL_TREE, as,
				     DECL_INITIAL(fn));
	// What `naked` implies in the front end, and noipa: a caller compiled
	// with this unit must not assume the body clobbers less than a call.
	sc_frag_add_attr(fn, "naked");
	sc_frag_add_attr(fn, "noinline");
	sc_frag_add_attr(fn, "noclone");
	sc_frag_add_attr(fn, "noipa");
	DECL_UNINLINABLE(fn) = 1;
	DECL_NO_INSTRUMENT_FUNCTION_ENTRY_EXIT(fn) = 1;
	sc_frag_defined.push_back(fn);
}

bool sc_fragments_in_unit()
{
#ifdef SC_TARGET_AARCH64
	return false;
#else
	return !sc_frag_defined.empty();
#endif
}

// End of the unit: a marked function never defined here was marked on a
// declaration only.
static void sc_frag_on_finish_unit(void *, void *)
{
	for (tree d : sc_frag_decls) {
		bool defined = false;
		for (tree f : sc_frag_defined)
			defined |= f == d;
		if (defined)
			continue;
		sc_fragment_sig s = sc_frag_sig(TREE_TYPE(d));
		s.definition = false;
		sc_frag_error(d, sc_fragment_problem("", s, sc_frag_target));
	}
}

static void sc_frag_on_attributes(void *, void *)
{
	register_attribute(&sc_frag_attr_spec);
}

void sc_register_fragments(const char *plugin)
{
	register_callback(plugin, PLUGIN_ATTRIBUTES, sc_frag_on_attributes,
			  NULL);
	register_callback(plugin, PLUGIN_PRE_GENERICIZE,
			  sc_frag_on_pre_genericize, NULL);
	register_callback(plugin, PLUGIN_FINISH_UNIT, sc_frag_on_finish_unit,
			  NULL);
}
