// lto.cc - -flto: the plugin in both halves of a link-time-optimised build
// (docs/GUIDE.md, "Link-time optimisation").
//
// Compiling a unit to IR (cc1 -flto) the GIMPLE pass rewrites calls and
// stores as always, but no code is generated there: the RTL pass and the
// tables run in lto1, where the plugin is loaded again from the link
// command. What lto1 needs travels in the IR:
// - each trampoline decl carries the key it reads, as an attribute whose
//   arguments are the key object's address and the field offset (a name
//   would go stale: lto1 renames statics);
// - each function that calls or stores a key starts with an empty asm
//   whose operands are the key object and the trampoline: real IR
//   references, so lto1's partitioner keeps the key reachable by name
//   from every partition that uses it (promoting a static to a hidden
//   global when they are apart) and streams the trampoline decl there.
// A static key's id carries its unit's suffix (keys.cc), so two units'
// static keys of one name keep two trampolines.
#include <set>

#include "keys.h"
#include "staticcall_abi.h"

// Not a C identifier: no source can name it.
#define SC_LTO_TRAMP_ATTR "staticcall tramp"

bool sc_lto_compile()
{
	return flag_generate_lto && !in_lto_p;
}

bool sc_unit_emits_code()
{
	return !sc_lto_compile() || flag_fat_lto_objects;
}

void sc_lto_mark_tramp(tree fn, tree obj, long offset)
{
	tree args = tree_cons(
		NULL_TREE, build_fold_addr_expr(obj),
		tree_cons(NULL_TREE,
			  build_int_cst(long_integer_type_node, offset),
			  NULL_TREE));
	DECL_ATTRIBUTES(fn) = tree_cons(get_identifier(SC_LTO_TRAMP_ATTR), args,
					DECL_ATTRIBUTES(fn));
}

static tree sc_asm_input(tree value)
{
	tree constraint = build_tree_list(NULL_TREE, build_string(2, "X"));
	return build_tree_list(constraint, value);
}

void sc_lto_reference_key(const sc_key *k)
{
	// Once per function and key, at its entry: the entry block is never
	// dead while any call in the function (or in a body inlined from
	// it) runs.
	static std::set<std::pair<function *, const sc_key *>> done;
	if (!done.insert(std::make_pair(cfun, k)).second)
		return;
	vec<tree, va_gc> *inputs = NULL;
	vec_safe_push(inputs, sc_asm_input(build_fold_addr_expr(k->decl)));
	if (k->tramp)
		vec_safe_push(inputs,
			      sc_asm_input(build_fold_addr_expr(k->tramp)));
	if (k->tramp_cond)
		vec_safe_push(inputs, sc_asm_input(build_fold_addr_expr(
					      k->tramp_cond)));
	gasm *a = gimple_build_asm_vec("", inputs, NULL, NULL, NULL);
	gimple_asm_set_volatile(a, true);
	basic_block bb = single_succ(ENTRY_BLOCK_PTR_FOR_FN(cfun));
	gimple_stmt_iterator at = gsi_after_labels(bb);
	gsi_insert_before(&at, a, GSI_SAME_STMT);
}

void sc_lto_load_keys()
{
	static bool loaded;
	if (loaded || !in_lto_p || !symtab)
		return;
	loaded = true;
	cgraph_node *node;
	FOR_EACH_FUNCTION(node)
	{
		tree fn = node->decl;
		tree a = lookup_attribute(SC_LTO_TRAMP_ATTR,
					  DECL_ATTRIBUTES(fn));
		if (!a || !TREE_VALUE(a))
			continue;
		tree addr = TREE_VALUE(TREE_VALUE(a));
		tree off = TREE_VALUE(TREE_CHAIN(TREE_VALUE(a)));
		if (TREE_CODE(addr) != ADDR_EXPR ||
		    TREE_CODE(TREE_OPERAND(addr, 0)) != VAR_DECL ||
		    !tree_fits_shwi_p(off)) {
			error("staticcall: the trampoline %qs names no key "
			      "(an IR object from another plugin version?)",
			      sc_asm_name(fn));
			continue;
		}
		const char *n = sc_asm_name(fn);
		bool cond = !strncmp(n, SC_ABI_TRAMP_COND_PREFIX,
				     strlen(SC_ABI_TRAMP_COND_PREFIX));
		sc_key *k = sc_key_from_tramp(fn, TREE_OPERAND(addr, 0),
					      tree_to_shwi(off), cond);
		// Referenced here: its trampoline and descriptor go into this
		// partition (sites add has_site in the RTL pass).
		k->has_store = true;
	}
}
