// keys.cc - the key registry. Trees we create are kept on a GC root (a
// TREE_LIST chain), because after inlining or DCE our registry may be the
// only reference to a trampoline decl.
#include "keys.h"
#include "asm_text.h"
#include "staticcall_abi.h"
#include "toplev.h"

bool sc_opt_strict;
bool sc_opt_report;
bool sc_unit_has_field_keys;
const char *sc_plugin_name = "staticcall_gcc";

static tree sc_roots_list; // TREE_LIST: purpose = key, value = trampoline
static tree sc_store_decl;
static tree sc_store_range_decl;
static tree sc_store_range_begin_decl;
static tree sc_key_bounds_decl;
static std::vector<sc_key *> sc_keys;
static std::map<std::pair<tree, long>, sc_key *> sc_by_key;
static std::map<tree, sc_key *> sc_by_tramp;
static std::map<std::string, sc_key *> sc_by_tramp_name;

static const struct ggc_root_tab sc_gc_roots[] = {
	{ &sc_roots_list, 1, sizeof(sc_roots_list), &gt_ggc_mx_tree_node,
	  &gt_pch_nx_tree_node },
	{ &sc_store_decl, 1, sizeof(sc_store_decl), &gt_ggc_mx_tree_node,
	  &gt_pch_nx_tree_node },
	{ &sc_store_range_decl, 1, sizeof(sc_store_range_decl),
	  &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
	{ &sc_store_range_begin_decl, 1, sizeof(sc_store_range_begin_decl),
	  &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
	{ &sc_key_bounds_decl, 1, sizeof(sc_key_bounds_decl),
	  &gt_ggc_mx_tree_node, &gt_pch_nx_tree_node },
	LAST_GGC_ROOT_TAB
};

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

bool sc_is_key_field(tree t)
{
	return t && TREE_CODE(t) == FIELD_DECL &&
	       lookup_attribute(SC_ATTR_NAME, DECL_ATTRIBUTES(t));
}

bool sc_type_has_key_field(tree type)
{
	while (TREE_CODE(type) == ARRAY_TYPE)
		type = TREE_TYPE(type);
	if (!RECORD_OR_UNION_TYPE_P(type))
		return false;
	for (tree f = TYPE_FIELDS(type); f; f = DECL_CHAIN(f)) {
		if (TREE_CODE(f) != FIELD_DECL)
			continue;
		if (sc_is_key_field(f) || sc_type_has_key_field(TREE_TYPE(f)))
			return true;
	}
	return false;
}

bool sc_is_automatic(tree decl)
{
	switch (TREE_CODE(decl)) {
	case PARM_DECL:
	case RESULT_DECL:
		return true;
	case VAR_DECL:
		return !TREE_STATIC(decl) && !DECL_EXTERNAL(decl);
	default:
		return false;
	}
}

static tree sc_tramp_decl(sc_key *k, const char *prefix);

// The key's id. Under -flto (compiling to IR for lto1) a key that is not
// public gets its unit's suffix: the IR of every unit meets in lto1, where
// two units' `static` keys of one name must keep two trampolines.
static std::string sc_lto_key_id(tree decl, const char *obj_name, long offset)
{
	std::string id = sc_key_id(obj_name, offset);
	if (!sc_lto_compile() || TREE_PUBLIC(decl))
		return id;
	unsigned h =
		crc32_string((unsigned)get_random_seed(false),
			     main_input_filename ? main_input_filename : "");
	char suffix[32];
	snprintf(suffix, sizeof suffix, SC_LTO_SUFFIX "%08x", h);
	return id + suffix;
}

// A new record of key (DECL, OFFSET), registered; its id NAME, its text
// in messages DISPLAY (NULL: the id).
static sc_key *sc_key_new(tree decl, long offset, tree fntype,
			  const std::string &name, const char *display)
{
	sc_key *k = new sc_key();
	k->decl = decl;
	k->offset = offset;
	k->fntype = fntype;
	k->obj_name = xstrdup(sc_asm_name(decl));
	k->name = xstrdup(name.c_str());
	k->display = xstrdup(display ? display : k->name);
	sc_keys.push_back(k);
	sc_by_key[std::make_pair(decl, offset)] = k;
	return k;
}

// Trampoline FN, symbol NAME, reads key K: found by decl and by symbol
// name, and kept alive (a GC root).
static void sc_register_tramp(sc_key *k, tree fn, const char *name)
{
	sc_roots_list = tree_cons(k->decl, fn, sc_roots_list);
	sc_by_tramp[fn] = k;
	sc_by_tramp_name[name] = k;
}

// The record of key (DECL, OFFSET) with function type FNTYPE.
static sc_key *sc_key_lookup(tree decl, long offset, tree fntype,
			     const std::string &display)
{
	auto it = sc_by_key.find(std::make_pair(decl, offset));
	if (it != sc_by_key.end())
		return it->second;

	sc_key *k = sc_key_new(decl, offset, fntype,
			       sc_lto_key_id(decl, sc_asm_name(decl), offset),
			       display.c_str());
	k->tramp = sc_tramp_decl(k, SC_ABI_TRAMP_PREFIX);
	if (offset >= 0) {
		// The trampoline and descriptor read the object from asm GCC
		// cannot see (as the attribute does for a plain key): keep it
		// emitted, and never discover it read-only or fold its loads.
		TREE_USED(decl) = 1;
		DECL_PRESERVE_P(decl) = 1;
		DECL_READ_P(decl) = 1;
		varpool_node *vn = varpool_node::get(decl);
		if (vn && !DECL_EXTERNAL(decl))
			vn->force_output = 1;
	}
	return k;
}

sc_key *sc_key_get(tree decl)
{
	return sc_key_lookup(decl, -1, TREE_TYPE(TREE_TYPE(decl)),
			     IDENTIFIER_POINTER(DECL_NAME(decl)));
}

std::string sc_ref_text(tree ref)
{
	switch (TREE_CODE(ref)) {
	case VAR_DECL:
	case PARM_DECL:
	case FIELD_DECL:
		return DECL_NAME(ref) ? IDENTIFIER_POINTER(DECL_NAME(ref)) :
					"<anonymous>";
	case SSA_NAME: {
		if (SSA_NAME_VAR(ref))
			return sc_ref_text(SSA_NAME_VAR(ref));
		// a temporary: name the pointer it was computed from (p + i)
		gimple *def = SSA_NAME_DEF_STMT(ref);
		if (def && is_gimple_assign(def) &&
		    TREE_CODE(gimple_assign_rhs1(def)) == SSA_NAME &&
		    SSA_NAME_VAR(gimple_assign_rhs1(def)))
			return sc_ref_text(gimple_assign_rhs1(def));
		return "...";
	}
	case COMPONENT_REF: {
		tree base = TREE_OPERAND(ref, 0);
		tree f = TREE_OPERAND(ref, 1);
		std::string fname =
			DECL_NAME(f) ? IDENTIFIER_POINTER(DECL_NAME(f)) : "";
		if (TREE_CODE(base) == MEM_REF &&
		    TREE_CODE(TREE_OPERAND(base, 0)) != ADDR_EXPR &&
		    integer_zerop(TREE_OPERAND(base, 1)))
			return sc_ref_text(TREE_OPERAND(base, 0)) + "->" +
			       fname;
		std::string b = sc_ref_text(base);
		// anonymous struct members: no empty component
		return fname.empty() ? b : b + "." + fname;
	}
	case ARRAY_REF: {
		tree idx = TREE_OPERAND(ref, 1);
		std::string i = "i";
		if (TREE_CODE(idx) == INTEGER_CST && tree_fits_shwi_p(idx))
			i = std::to_string(tree_to_shwi(idx));
		else if (TREE_CODE(idx) == SSA_NAME && SSA_NAME_VAR(idx) &&
			 DECL_NAME(SSA_NAME_VAR(idx)))
			i = IDENTIFIER_POINTER(DECL_NAME(SSA_NAME_VAR(idx)));
		return sc_ref_text(TREE_OPERAND(ref, 0)) + "[" + i + "]";
	}
	case MEM_REF:
		if (TREE_CODE(TREE_OPERAND(ref, 0)) == ADDR_EXPR)
			return sc_ref_text(
				TREE_OPERAND(TREE_OPERAND(ref, 0), 0));
		return "*" + sc_ref_text(TREE_OPERAND(ref, 0));
	default:
		return "...";
	}
}

sc_key *sc_ref_key(tree ref)
{
	if (!ref)
		return NULL;
	if (sc_is_key_decl(ref))
		return sc_key_get(ref);
	if (TREE_CODE(ref) != COMPONENT_REF ||
	    !sc_is_key_field(TREE_OPERAND(ref, 1)))
		return NULL;
	tree ftype = TREE_TYPE(TREE_OPERAND(ref, 1));
	if (TREE_CODE(ftype) != POINTER_TYPE ||
	    TREE_CODE(TREE_TYPE(ftype)) != FUNCTION_TYPE)
		return NULL;
	poly_int64 bitsize, bitpos;
	tree var_off = NULL_TREE;
	machine_mode mode;
	int unsignedp, reversep, volatilep = 0;
	tree base = get_inner_reference(ref, &bitsize, &bitpos, &var_off, &mode,
					&unsignedp, &reversep, &volatilep);
	if (var_off || reversep || !base || TREE_CODE(base) != VAR_DECL)
		return NULL;
	if (!(TREE_STATIC(base) || DECL_EXTERNAL(base)) ||
	    DECL_THREAD_LOCAL_P(base) || TREE_READONLY(base) ||
	    TYPE_READONLY(TREE_TYPE(base)))
		return NULL;
	HOST_WIDE_INT bits;
	if (!bitpos.is_constant(&bits) || bits < 0 || bits % POINTER_SIZE != 0)
		return NULL; // only whole, pointer-aligned slots are patchable
	long offset = (long)(bits / BITS_PER_UNIT);
	// Outside the object (an out-of-bounds constant index): not a key.
	tree size = DECL_SIZE_UNIT(base);
	if (size && tree_fits_uhwi_p(size) &&
	    (unsigned HOST_WIDE_INT)offset + POINTER_SIZE / BITS_PER_UNIT >
		    tree_to_uhwi(size))
		return NULL;
	return sc_key_lookup(base, offset, TREE_TYPE(ftype), sc_ref_text(ref));
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
	tree fn = build_fn_decl(tname.c_str(), k->fntype);
	DECL_EXTERNAL(fn) = 1;
	TREE_PUBLIC(fn) = 1;
	DECL_ARTIFICIAL(fn) = 1;
	TREE_USED(fn) = 1;
	DECL_VISIBILITY(fn) = VISIBILITY_HIDDEN;
	DECL_VISIBILITY_SPECIFIED(fn) = 1;
	DECL_SOURCE_LOCATION(fn) = DECL_SOURCE_LOCATION(decl);
	// The target may throw (C++, -fexceptions): the call keeps its EH
	// edges and landing pads (build_fn_decl made the decl nothrow).
	TREE_NOTHROW(fn) = 0;
	// For lto1: which key (object, offset) this trampoline reads, in a
	// form the IR carries (gcc-plugin/lto.cc).
	if (sc_lto_compile())
		sc_lto_mark_tramp(fn, decl, k->offset);

	sc_register_tramp(k, fn, tname.c_str());
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
	if (in_lto_p)
		sc_lto_load_keys();
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
	    strncmp(n, SC_ABI_TRAMP_COND_PREFIX,
		    strlen(SC_ABI_TRAMP_COND_PREFIX)) != 0)
		return NULL;
	auto it = sc_by_tramp_name.find(n);
	return it == sc_by_tramp_name.end() ? NULL : it->second;
}

const std::vector<sc_key *> &sc_keys_all()
{
	if (in_lto_p)
		sc_lto_load_keys();
	return sc_keys;
}

sc_key *sc_key_from_tramp(tree fn, tree obj, long offset, bool cond)
{
	auto it = sc_by_key.find(std::make_pair(obj, offset));
	sc_key *k = it != sc_by_key.end() ? it->second : NULL;
	if (!k) {
		const char *prefix = cond ? SC_ABI_TRAMP_COND_PREFIX :
					    SC_ABI_TRAMP_PREFIX;
		k = sc_key_new(obj, offset, TREE_TYPE(fn),
			       sc_asm_name(fn) + strlen(prefix), NULL);
	}
	(cond ? k->tramp_cond : k->tramp) = fn;
	sc_register_tramp(k, fn, sc_asm_name(fn));
	return k;
}

// void NAME(void *, SECOND): a runtime entry point plugin code calls, built
// once into *SLOT (a GC root). The runtime is C: it never throws.
static tree sc_runtime_fndecl(tree *slot, const char *name, tree second)
{
	if (!*slot) {
		tree fntype = build_function_type_list(
			void_type_node, ptr_type_node, second, NULL_TREE);
		tree fn = build_fn_decl(name, fntype);
		DECL_EXTERNAL(fn) = 1;
		TREE_PUBLIC(fn) = 1;
		DECL_ARTIFICIAL(fn) = 1;
		TREE_NOTHROW(fn) = 1;
		*slot = fn;
	}
	return *slot;
}

tree sc_store_fndecl()
{
	return sc_runtime_fndecl(&sc_store_decl, SC_ABI_STORE_FN,
				 ptr_type_node);
}

tree sc_store_range_fndecl()
{
	return sc_runtime_fndecl(&sc_store_range_decl, SC_ABI_STORE_RANGE_FN,
				 size_type_node);
}

// void __staticcall_store_range_begin(void *, const void *, size_t).
tree sc_store_range_begin_fndecl()
{
	if (!sc_store_range_begin_decl) {
		tree fntype = build_function_type_list(
			void_type_node, ptr_type_node, const_ptr_type_node,
			size_type_node, NULL_TREE);
		tree fn = build_fn_decl(SC_ABI_STORE_RANGE_BEGIN_FN, fntype);
		DECL_EXTERNAL(fn) = 1;
		TREE_PUBLIC(fn) = 1;
		DECL_ARTIFICIAL(fn) = 1;
		TREE_NOTHROW(fn) = 1;
		sc_store_range_begin_decl = fn;
	}
	return sc_store_range_begin_decl;
}

tree sc_key_bounds_vardecl()
{
	if (!sc_key_bounds_decl) {
		tree word = build_qualified_type(pointer_sized_int_node,
						 TYPE_QUAL_VOLATILE);
		tree type = build_array_type_nelts(word, 2);
		tree v = build_decl(BUILTINS_LOCATION, VAR_DECL,
				    get_identifier(SC_ABI_KEY_BOUNDS_VAR),
				    type);
		DECL_EXTERNAL(v) = 1;
		TREE_PUBLIC(v) = 1;
		DECL_ARTIFICIAL(v) = 1;
		TREE_THIS_VOLATILE(v) = 1;
		TREE_SIDE_EFFECTS(v) = 1;
		varpool_node::get_create(v);
		sc_key_bounds_decl = v;
	}
	return sc_key_bounds_decl;
}
