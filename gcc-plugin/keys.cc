// keys.cc - the key registry. Trees we create are kept on a GC root (a
// TREE_LIST chain), because after inlining or DCE our registry may be the
// only reference to a trampoline decl.
#include "keys.h"
#include "staticcall_abi.h"

bool sc_opt_strict;
bool sc_opt_report;
const char *sc_plugin_name = "staticcall_gcc";

static tree sc_roots_list; // TREE_LIST: purpose = key, value = trampoline
static tree sc_store_decl;
static std::vector<sc_key *> sc_keys;
static std::map<tree, sc_key *> sc_by_key;
static std::map<tree, sc_key *> sc_by_tramp;
static std::map<std::string, sc_key *> sc_by_tramp_name;

static const struct ggc_root_tab sc_gc_roots[] = {
	{&sc_roots_list, 1, sizeof(sc_roots_list), &gt_ggc_mx_tree_node,
	 &gt_pch_nx_tree_node},
	{&sc_store_decl, 1, sizeof(sc_store_decl), &gt_ggc_mx_tree_node,
	 &gt_pch_nx_tree_node},
	LAST_GGC_ROOT_TAB};

void sc_keys_register_gc_roots(const char *plugin_name)
{
	register_callback(plugin_name, PLUGIN_REGISTER_GGC_ROOTS, NULL,
			  (void *)sc_gc_roots);
}

bool sc_is_key_decl(tree t)
{
	return t && TREE_CODE(t) == VAR_DECL &&
	       lookup_attribute(SC_ATTR_NAME, DECL_ATTRIBUTES(t));
}

const char *sc_asm_name(tree decl)
{
	const char *n = IDENTIFIER_POINTER(DECL_ASSEMBLER_NAME(decl));
	return n[0] == '*' ? n + 1 : n;
}

static tree sc_tramp_decl(sc_key *k, const char *prefix);

sc_key *sc_key_get(tree decl)
{
	auto it = sc_by_key.find(decl);
	if (it != sc_by_key.end())
		return it->second;

	sc_key *k = new sc_key();
	k->decl = decl;
	k->name = xstrdup(sc_asm_name(decl));
	k->tramp = sc_tramp_decl(k, SC_ABI_TRAMP_PREFIX);
	sc_keys.push_back(k);
	sc_by_key[decl] = k;
	return k;
}

tree sc_key_cond_tramp(sc_key *k)
{
	if (!k->tramp_cond)
		k->tramp_cond = sc_tramp_decl(k, SC_ABI_TRAMP_COND_PREFIX);
	return k->tramp_cond;
}

bool sc_symbol_is_cond(const_rtx x)
{
	if (GET_CODE(x) != SYMBOL_REF)
		return false;
	const char *n = XSTR(x, 0);
	if (n[0] == '*')
		n++;
	return !strncmp(n, SC_ABI_TRAMP_COND_PREFIX,
			strlen(SC_ABI_TRAMP_COND_PREFIX));
}

// A trampoline FUNCTION_DECL named PREFIX + K.
static tree sc_tramp_decl(sc_key *k, const char *prefix)
{
	tree decl = k->decl;
	std::string tname = std::string(prefix) + k->name;

	// The trampoline has the key's pointee type so the call keeps its ABI
	// (e.g. %al for variadic callees); hidden, so no PLT and no GOT.
	tree fntype = TREE_TYPE(TREE_TYPE(decl));
	tree fn = build_fn_decl(tname.c_str(), fntype);
	DECL_EXTERNAL(fn) = 1;
	TREE_PUBLIC(fn) = 1;
	DECL_ARTIFICIAL(fn) = 1;
	TREE_USED(fn) = 1;
	DECL_VISIBILITY(fn) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(fn) = 1;
	DECL_SOURCE_LOCATION(fn) = DECL_SOURCE_LOCATION(decl);

	sc_roots_list = tree_cons(decl, fn, sc_roots_list);
	sc_by_tramp[fn] = k;
	sc_by_tramp_name[tname] = k;
	return fn;
}

sc_key *sc_key_for_tramp(tree fndecl)
{
	auto it = sc_by_tramp.find(fndecl);
	return it == sc_by_tramp.end() ? NULL : it->second;
}

sc_key *sc_key_for_symbol(const_rtx x)
{
	if (GET_CODE(x) != SYMBOL_REF)
		return NULL;
	tree d = SYMBOL_REF_DECL(x);
	if (d) {
		sc_key *k = sc_key_for_tramp(d);
		if (k)
			return k;
	}
	const char *n = XSTR(x, 0);
	if (n[0] == '*')
		n++;
	if (strncmp(n, SC_ABI_TRAMP_PREFIX, strlen(SC_ABI_TRAMP_PREFIX)) != 0 &&
	    strncmp(n, SC_ABI_TRAMP_COND_PREFIX, strlen(SC_ABI_TRAMP_COND_PREFIX)) != 0)
		return NULL;
	auto it = sc_by_tramp_name.find(n);
	return it == sc_by_tramp_name.end() ? NULL : it->second;
}

const std::vector<sc_key *> &sc_keys_all() { return sc_keys; }

tree sc_store_fndecl()
{
	if (!sc_store_decl) {
		tree fntype = build_function_type_list(
			void_type_node, ptr_type_node, ptr_type_node, NULL_TREE);
		tree fn = build_fn_decl(SC_ABI_STORE_FN, fntype);
		DECL_EXTERNAL(fn) = 1;
		TREE_PUBLIC(fn) = 1;
		DECL_ARTIFICIAL(fn) = 1;
		TREE_NOTHROW(fn) = 1; // the runtime is C: a store never throws
		sc_store_decl = fn;
	}
	return sc_store_decl;
}
