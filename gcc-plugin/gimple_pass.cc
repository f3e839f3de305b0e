// gimple_pass.cc - runs right after "ssa" (so also at -O0), before any
// optimisation could fold or move the loads:
//   _1 = K; _1 (args);   ->  __staticcall_tramp.K (args);   (fntype kept)
//   K = v;               ->  __staticcall_store (&K, v);    (error if strict)
// K is a key variable or a marked member of a global object at a constant
// offset (obj.a.f, arr[2].f: docs/FIELD_KEYS.md). Stores that may change
// field keys are routed too:
//   x.f = v; p->f = v;   ->  __staticcall_store (&x.f, v);  (error if strict)
//   s = t; (a struct/array type holding marked members), memcpy/memset/...
//                        ->  __staticcall_store_range_begin (&s, &t or 0,
//                            n), the store, __staticcall_store_range (&s, n);
#include "keys.h"
#include "staticcall_abi.h"
#include "gimplify.h"
#include "gimplify-me.h"
#include "tree-into-ssa.h"
#include "cfgloop.h"

static const pass_data sc_gimple_pass_data = {
	GIMPLE_PASS,
	"staticcall_calls", // name
	OPTGROUP_NONE,
	TV_NONE,
	PROP_ssa | PROP_cfg, // properties_required
	0,
	0,
	0,
	0, // todo_flags_finish
};

// The key STMT loads into an SSA name, or NULL.
static sc_key *sc_load_key(gimple *stmt)
{
	if (!stmt || !gimple_assign_single_p(stmt) ||
	    TREE_CODE(gimple_assign_lhs(stmt)) != SSA_NAME)
		return NULL;
	return sc_ref_key(gimple_assign_rhs1(stmt));
}

// The key CALL's SSA callee was loaded from, or NULL. The trampoline reads
// the key when the call happens, so the load must not be a snapshot taken
// earlier: a value copied into a variable before an update must keep
// calling the old target. Converted when the load sees the same memory
// state as the call (same virtual use), or when the callee is the
// compiler's own temporary for the function designator of this call (single
// use, no user variable): then only the evaluation of the call's arguments
// lies in between, which C leaves unsequenced with the designator, so
// reading the key at the call is equally valid (e.g. k(k(x))).
static sc_key *sc_callee_key(gcall *call)
{
	tree fn = gimple_call_fn(call);
	if (!fn || TREE_CODE(fn) != SSA_NAME)
		return NULL;
	gimple *def = SSA_NAME_DEF_STMT(fn);
	sc_key *k = sc_load_key(def);
	if (!k)
		return NULL;
	if (gimple_vuse(def) && gimple_vuse(def) == gimple_vuse(call))
		return k;
	tree var = SSA_NAME_VAR(fn);
	bool designator_tmp = (!var || DECL_ARTIFICIAL(var)) &&
			      has_single_use(fn);
	return designator_tmp ? k : NULL;
}

// Guarded calls chosen by sc_find_guarded_calls: they call the key's
// NULL-safe trampoline and their test is gone.
static hash_set<gimple *> *sc_guarded;

static bool sc_rewrite_call(gcall *call)
{
	sc_key *k = sc_callee_key(call);
	if (!k)
		return false;
	bool cond = sc_guarded && sc_guarded->contains(call);
	// gimple_call_set_fn keeps gimple_call_fntype: the call's own type
	// still decides the calling convention.
	gimple_call_set_fn(call,
			   build_fold_addr_expr(cond ? sc_key_cond_tramp(k) :
						       k->tramp));
	update_stmt(call);
	if (sc_lto_compile())
		sc_lto_reference_key(k);
	if (sc_opt_report)
		inform(gimple_location(call),
		       cond ? SC_DIAG_GUARDED_SITE("'%s'") :
			      SC_DIAG_SITE("'%s'"),
		       k->display);
	return true;
}

// Is STMT harmless to run when C would have skipped it: no side effect,
// no store, cannot trap (a load through a pointer might)?
static bool sc_safe_to_run_anyway(gimple *stmt)
{
	if (is_gimple_debug(stmt))
		return true;
	if (!is_gimple_assign(stmt) || gimple_vdef(stmt) ||
	    gimple_has_side_effects(stmt) || gimple_could_trap_p(stmt))
		return false;
	return true;
}

/*
 * `if (K) K(args);` with the result unused: the test and the call become
 * one site that is a NOP while K is NULL (the kernel's static_call_cond).
 * Only when evaluating the arguments can have no effect (C would not
 * evaluate them when K is NULL) and nothing stores between the test and
 * the call (the key tested is the key called). The test is made constant;
 * CFG cleanup removes it. Other guarded calls keep their test.
 */
static bool sc_find_guarded_calls(function *fun)
{
	bool changed = false;
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun) {
		gcond *cond = safe_dyn_cast<gcond *>(last_stmt(bb));
		if (!cond || !integer_zerop(gimple_cond_rhs(cond)) ||
		    TREE_CODE(gimple_cond_lhs(cond)) != SSA_NAME ||
		    (gimple_cond_code(cond) != NE_EXPR &&
		     gimple_cond_code(cond) != EQ_EXPR))
			continue;
		gimple *load = SSA_NAME_DEF_STMT(gimple_cond_lhs(cond));
		sc_key *key = sc_load_key(load);
		if (!key)
			continue;
		edge e_true, e_false;
		extract_true_false_edges_from_block(bb, &e_true, &e_false);
		bool ne = gimple_cond_code(cond) == NE_EXPR;
		edge taken = ne ? e_true : e_false,
		     skipped = ne ? e_false : e_true;
		basic_block body = taken->dest;
		if (!single_pred_p(body) || !single_succ_p(body) ||
		    single_succ(body) != skipped->dest)
			continue;
		gcall *call = NULL;
		bool ok = true;
		for (gimple_stmt_iterator gsi = gsi_start_bb(body);
		     !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			if (call) { // nothing but debug statements after the call
				ok = is_gimple_debug(stmt);
			} else if (gcall *c = dyn_cast<gcall *>(stmt)) {
				call = c;
			} else if (sc_load_key(stmt) == key) {
				// the callee's own load of the key
			} else {
				ok = sc_safe_to_run_anyway(stmt);
			}
			if (!ok)
				break;
		}
		if (!ok || !call || sc_callee_key(call) != key ||
		    gimple_vuse(call) != gimple_vuse(load))
			continue;
		tree lhs = gimple_call_lhs(call);
		if (lhs && (TREE_CODE(lhs) != SSA_NAME || !has_zero_uses(lhs)))
			continue;
		for (unsigned i = 0; i < gimple_call_num_args(call); i++)
			if (!is_gimple_val(gimple_call_arg(call, i)))
				ok = false; // an aggregate copied at the call
		if (!ok)
			continue;
		if (ne)
			gimple_cond_make_true(cond);
		else
			gimple_cond_make_false(cond);
		update_stmt(cond);
		sc_guarded->add(call);
		changed = true;
	}
	return changed;
}

// static_call_update_ret_arg(key, n) with n a constant: the arguments up
// to n integers or pointers, argument n of the return type's size (the
// register the inline `mov` copies holds it whole).
static void sc_check_ret_arg(gcall *call, tree var, tree fntype, tree ret)
{
	tree n = gimple_call_arg(call, 1);
	if (TREE_CODE(n) != INTEGER_CST || !tree_fits_uhwi_p(n))
		return; // computed: the runtime checks what it can
	unsigned HOST_WIDE_INT want = tree_to_uhwi(n), i = 0;
	bool ok = false;
	for (tree a = TYPE_ARG_TYPES(fntype); a && a != void_list_node;
	     a = TREE_CHAIN(a), i++) {
		tree t = TREE_VALUE(a);
		if (!INTEGRAL_TYPE_P(t) && !POINTER_TYPE_P(t))
			break;
		if (i == want) {
			ok = tree_int_cst_equal(TYPE_SIZE(t), TYPE_SIZE(ret));
			break;
		}
	}
	if (!ok)
		error_at(gimple_location(call), SC_DIAG_RET_ARG_N("%qD", "%wu"),
			 var, want);
}

// static_call_update/_null/_ret0/_const/_ret_arg on something that is not
// a key, and the inline forms on a key whose return type is not an
// integer or a pointer.
// `&X.f` with a marked member f is a key for any X (the runtime just stores
// when &X.f is not a registered key).
static void sc_check_api_call(gcall *call)
{
	tree fn = gimple_call_fndecl(call);
	if (!fn || !DECL_NAME(fn) || gimple_call_num_args(call) < 1)
		return;
	const char *name = IDENTIFIER_POINTER(DECL_NAME(fn));
	bool ret0 = !strcmp(name, SC_ABI_UPDATE_RET0_FN);
	bool cnst = !strcmp(name, SC_ABI_UPDATE_CONST_FN);
	bool ret_arg = !strcmp(name, SC_ABI_UPDATE_RET_ARG_FN);
	if (!ret0 && !cnst && !ret_arg && strcmp(name, SC_ABI_UPDATE_FN) &&
	    strcmp(name, SC_ABI_UPDATE_NULL_FN))
		return;
	tree arg = gimple_call_arg(call, 0);
	STRIP_NOPS(arg);
	// &p->f, &a[i].f: the address was computed into a temporary (not a
	// user variable, which may hold anything)
	if (TREE_CODE(arg) == SSA_NAME &&
	    (!SSA_NAME_VAR(arg) || DECL_ARTIFICIAL(SSA_NAME_VAR(arg)))) {
		gimple *def = SSA_NAME_DEF_STMT(arg);
		if (def && gimple_assign_single_p(def))
			arg = gimple_assign_rhs1(def);
		STRIP_NOPS(arg);
	}
	if (TREE_CODE(arg) != ADDR_EXPR)
		return; // computed: nothing to check here
	tree var = TREE_OPERAND(arg, 0), fntype;
	if (TREE_CODE(var) == COMPONENT_REF) {
		tree field = TREE_OPERAND(var, 1);
		if (!sc_is_key_field(field)) {
			error_at(gimple_location(call),
				 SC_DIAG_NOT_KEY_MEMBER("%qD"), field);
			return;
		}
		var = field;
	} else if (!DECL_P(var)) {
		return;
	} else if (!sc_is_key_decl(var)) {
		error_at(gimple_location(call), SC_DIAG_NOT_KEY("%qD"), var);
		return;
	}
	fntype = TREE_TYPE(TREE_TYPE(var));
	tree ret = TREE_TYPE(fntype);
	bool ret_ok = (INTEGRAL_TYPE_P(ret) || POINTER_TYPE_P(ret)) &&
		      tree_to_uhwi(TYPE_SIZE(ret)) <= 64;
	if ((ret0 || cnst || ret_arg) && !ret_ok) {
		error_at(gimple_location(call),
			 ret0 ? SC_DIAG_RET0_TYPE("%qD", "%qT") :
			 cnst ? SC_DIAG_CONST_TYPE("%qD", "%qT") :
				SC_DIAG_RET_ARG_TYPE("%qD", "%qT"),
			 var, ret);
		return;
	}
	if (ret_arg && gimple_call_num_args(call) >= 2)
		sc_check_ret_arg(call, var, fntype, ret);
}

// The address of REF as a GIMPLE value; any computation (&p->f, &a[i])
// is inserted before the statement at GSI, which stays current.
static tree sc_address_of(gimple_stmt_iterator *gsi, tree ref)
{
	tree base = get_base_address(ref);
	if (base && DECL_P(base))
		TREE_ADDRESSABLE(base) = 1;
	tree addr = build_fold_addr_expr(unshare_expr(ref));
	// Pointer conversions are useless in GIMPLE: pass the value as is.
	STRIP_NOPS(addr);
	if (is_gimple_val(addr))
		return addr;
	return force_gimple_operand_gsi(gsi, addr, true, NULL_TREE, true,
					GSI_SAME_STMT);
}

// Does a store through LHS never reach a key: LHS is (part of) an
// automatic object?
static bool sc_store_is_local(tree lhs)
{
	tree base = get_base_address(lhs);
	return base && DECL_P(base) && sc_is_automatic(base);
}

// A store of a marked member that may be a key: `x.f = v`, `p->f = v`.
static bool sc_is_field_store(gimple *stmt)
{
	if (!gimple_assign_single_p(stmt) || gimple_clobber_p(stmt))
		return false;
	tree lhs = gimple_assign_lhs(stmt);
	return TREE_CODE(lhs) == COMPONENT_REF &&
	       sc_is_key_field(TREE_OPERAND(lhs, 1)) && !sc_store_is_local(lhs);
}

// Set when a rewrite removed edges: the pass asks for a CFG cleanup.
static bool sc_cfg_changed;

// `K = v;` or `x.f = v;` -> __staticcall_store(&K, v).
static bool sc_rewrite_store(gimple_stmt_iterator *gsi, gimple *stmt)
{
	tree lhs = gimple_assign_lhs(stmt);
	if (sc_is_boot_key(lhs)) {
		std::string what = sc_ref_text(lhs);
		error_at(gimple_location(stmt), SC_DIAG_BOOT_STORE("'%s'"),
			 what.c_str());
		return false;
	}
	if (sc_opt_strict) {
		std::string what = sc_ref_text(lhs);
		error_at(gimple_location(stmt), SC_DIAG_STRICT_STORE("'%s'"),
			 what.c_str());
		return false;
	}
	// A global object's member at a constant offset is a key of this
	// unit: its descriptor registers it. Other members are looked up by
	// address at run time.
	if (sc_key *k = sc_ref_key(lhs)) {
		k->has_store = true;
		if (sc_lto_compile())
			sc_lto_reference_key(k);
	}
	sc_stores_to_key++;
	tree addr = sc_address_of(gsi, lhs);
	gcall *call = gimple_build_call(sc_store_fndecl(), 2, addr,
					gimple_assign_rhs1(stmt));
	gimple_set_location(call, gimple_location(stmt));
	gimple_set_block(call, gimple_block(stmt));
	gimple_move_vops(call, stmt);
	gsi_replace(gsi, call, false);
	// A store through a pointer that could trap (-fnon-call-exceptions)
	// had an EH edge; the runtime call never throws.
	if (gimple_purge_dead_eh_edges(gimple_bb(call)))
		sc_cfg_changed = true;
	return true;
}

// Stores counted for the report (keys.h).
unsigned sc_stores_to_key, sc_stores_checked, sc_stores_key_free;

// A routed store, checked before and after (sc_emit_range_check).
struct sc_pending_check {
	gimple *store;
	tree addr, src, len; // src: a copy's source, else NULL_TREE
};
static vec<sc_pending_check> sc_pending;

// The basic block a check after STORE goes into, and where in it: right
// after STORE, or (a statement that ends its block: a call that may throw)
// at the start of a new block on its fall-through edge.
static gimple_stmt_iterator sc_after(gimple *store)
{
	if (!stmt_ends_bb_p(store))
		return gsi_for_stmt(store);
	edge e = find_fallthru_edge(gimple_bb(store)->succs);
	if (!e) {
		edge_iterator ei;
		FOR_EACH_EDGE(e, ei, gimple_bb(store)->succs)
			if (!(e->flags & (EDGE_EH | EDGE_ABNORMAL)))
				break;
	}
	if (!e)
		return gsi_none();
	return gsi_start_bb(split_edge(e));
}

static void sc_emit(gimple_stmt_iterator *gsi, bool at_start, gimple *g,
		    gimple *like)
{
	gimple_set_location(g, gimple_location(like));
	gimple_set_block(g, gimple_block(like));
	if (at_start) // before GSI: the store, or an empty block's end
		gsi_insert_before(gsi, g, GSI_NEW_STMT);
	else
		gsi_insert_after(gsi, g, GSI_NEW_STMT);
}

/*
 * At GSI (AT_START: insert before it, else after it), for the write STORE
 * of [ADDR, ADDR+LEN):
 *	__atomic_signal_fence (SEQ_CST);	// the store before the loads
 *	lo = __staticcall_key_bounds[0]; hi = __staticcall_key_bounds[1];
 *	if (ADDR < hi && ADDR + LEN > lo)	// unlikely
 *		CALL;
 * A compare, not a call, for the writes that meet no key (the ordering is
 * runtime/key_ranges.c's). A length of all ones (a variably modified type)
 * makes the call unconditional.
 */
static void sc_emit_bounds_check(gimple_stmt_iterator gsi, bool at_start,
				 gimple *store, tree addr, tree len,
				 gcall *call)
{
	if (integer_all_onesp(len)) {
		sc_emit(&gsi, at_start, call, store);
		return;
	}
	tree word = pointer_sized_int_node;
	tree bounds = sc_key_bounds_vardecl();
	tree fence = builtin_decl_explicit(BUILT_IN_ATOMIC_SIGNAL_FENCE);
	sc_emit(&gsi, at_start,
		gimple_build_call(fence, 1,
				  build_int_cst(integer_type_node,
						MEMMODEL_SEQ_CST)),
		store);
	tree elt = TREE_TYPE(TREE_TYPE(bounds));
	tree lo = make_ssa_name(word), hi = make_ssa_name(word);
	for (int i = 0; i < 2; i++) {
		tree ref = build4(ARRAY_REF, elt, bounds,
				  build_int_cst(integer_type_node, i),
				  NULL_TREE, NULL_TREE);
		TREE_THIS_VOLATILE(ref) = 1;
		TREE_SIDE_EFFECTS(ref) = 1;
		sc_emit(&gsi, false, gimple_build_assign(i ? hi : lo, ref),
			store);
	}
	tree a = make_ssa_name(word), e = make_ssa_name(word),
	     n = make_ssa_name(word);
	sc_emit(&gsi, false, gimple_build_assign(a, NOP_EXPR, addr), store);
	sc_emit(&gsi, false, gimple_build_assign(n, NOP_EXPR, len), store);
	sc_emit(&gsi, false, gimple_build_assign(e, PLUS_EXPR, a, n), store);
	tree below = make_ssa_name(boolean_type_node),
	     above = make_ssa_name(boolean_type_node),
	     meets = make_ssa_name(boolean_type_node);
	sc_emit(&gsi, false, gimple_build_assign(below, LT_EXPR, a, hi), store);
	sc_emit(&gsi, false, gimple_build_assign(above, GT_EXPR, e, lo), store);
	sc_emit(&gsi, false,
		gimple_build_assign(meets, BIT_AND_EXPR, below, above), store);
	gcond *cond = gimple_build_cond(NE_EXPR, meets, boolean_false_node,
					NULL_TREE, NULL_TREE);
	sc_emit(&gsi, false, cond, store);

	basic_block bb = gimple_bb(cond);
	edge fall = split_block(bb, cond);
	basic_block join = fall->dest;
	fall->flags &= ~EDGE_FALLTHRU;
	fall->flags |= EDGE_FALSE_VALUE;
	basic_block then_bb = create_empty_bb(bb);
	if (current_loops)
		add_bb_to_loop(then_bb, bb->loop_father);
	edge te = make_edge(bb, then_bb, EDGE_TRUE_VALUE);
	te->probability = profile_probability::very_unlikely();
	fall->probability = te->probability.invert();
	then_bb->count = te->count();
	make_single_succ_edge(then_bb, join, EDGE_FALLTHRU);
	gimple_stmt_iterator tg = gsi_start_bb(then_bb);
	gimple_set_location(call, gimple_location(store));
	gimple_set_block(call, gimple_block(store));
	gsi_insert_after(&tg, call, GSI_NEW_STMT);
}

// Around the routed write PC.store: __staticcall_store_range_begin before
// it (the sites of the keys it changes onto their trampolines, so a struct
// copy never pairs an old target with new data: docs/PATCHING.md, "A key
// and its data in one struct"), __staticcall_store_range after it; each
// behind the same bounds check.
static void sc_emit_range_check(const sc_pending_check &pc)
{
	gimple *store = pc.store;
	gcall *begin =
		gimple_build_call(sc_store_range_begin_fndecl(), 3, pc.addr,
				  pc.src ? pc.src : null_pointer_node, pc.len);
	sc_emit_bounds_check(gsi_for_stmt(store), true, store, pc.addr, pc.len,
			     begin);
	gimple_stmt_iterator gsi = sc_after(store);
	if (gsi_bb(gsi) == NULL)
		return;
	bool at_start = gsi_end_p(gsi) || gsi_stmt(gsi) != store;
	gcall *call =
		gimple_build_call(sc_store_range_fndecl(), 2, pc.addr, pc.len);
	sc_emit_bounds_check(gsi, at_start, store, pc.addr, pc.len, call);
}

// The store STMT (left in place) writes [ADDR, ADDR+LEN) (SRC: where a
// copy reads from, else NULL): checked after the walk over the function
// (the checks split blocks).
static void sc_store_range_after(gimple_stmt_iterator *gsi, tree addr, tree src,
				 tree len)
{
	sc_pending.safe_push({ gsi_stmt(*gsi), addr, src, len });
}

// What the type T of a destination says (policy.h): an aggregate of
// structures holding no marked member holds no key; bytes, scalars and
// incomplete types may be anything.
static sc_dest_type sc_type_fact(tree t)
{
	if (!t)
		return sc_dest_type::opaque;
	if (AGGREGATE_TYPE_P(t) && sc_type_has_key_field(t))
		return sc_dest_type::with_keys;
	tree elt = t;
	while (TREE_CODE(elt) == ARRAY_TYPE)
		elt = TREE_TYPE(elt);
	if (!RECORD_OR_UNION_TYPE_P(elt) || !COMPLETE_TYPE_P(elt))
		return sc_dest_type::opaque;
	return sc_dest_type::without_keys;
}

// What the declaration BASE of a destination is (policy.h).
static sc_dest_object sc_decl_fact(tree base)
{
	if (TREE_CODE(base) == STRING_CST || TREE_CODE(base) == CONST_DECL)
		return sc_dest_object::read_only;
	if (!DECL_P(base))
		return sc_dest_object::unknown;
	if (sc_is_automatic(base))
		return sc_dest_object::automatic;
	if (TREE_CODE(base) != VAR_DECL)
		return sc_dest_object::unknown;
	if (DECL_THREAD_LOCAL_P(base))
		return sc_dest_object::read_only; // never a registered key
	tree t = TREE_TYPE(base);
	if (!COMPLETE_TYPE_P(t) || sc_type_has_key_field(t))
		return sc_dest_object::global_with_keys;
	return sc_dest_object::global_without_keys;
}

// The facts about a write through the pointer PTR: what it points to,
// followed back through copies, conversions and offsets to an address
// or an allocator's result (GCC's points-to solution does not exist yet
// this early: the pass runs right after "ssa").
static sc_store_facts sc_ptr_facts(tree ptr, bool want_type)
{
	sc_store_facts f;
	STRIP_NOPS(ptr);
	if (want_type && POINTER_TYPE_P(TREE_TYPE(ptr)))
		f.type = sc_type_fact(TREE_TYPE(TREE_TYPE(ptr)));
	for (int depth = 0; depth < 16; depth++) {
		if (TREE_CODE(ptr) == ADDR_EXPR) {
			tree ref = TREE_OPERAND(ptr, 0);
			if (want_type && f.type == sc_dest_type::opaque)
				f.type = sc_type_fact(TREE_TYPE(ref));
			tree base = get_base_address(ref);
			if (base && TREE_CODE(base) == MEM_REF) {
				ptr = TREE_OPERAND(base, 0);
				want_type = false;
				continue;
			}
			if (base)
				f.object = sc_decl_fact(base);
			return f;
		}
		if (TREE_CODE(ptr) != SSA_NAME)
			return f;
		gimple *def = SSA_NAME_DEF_STMT(ptr);
		if (gcall *c = dyn_cast<gcall *>(def)) {
			tree fn = gimple_call_fndecl(c);
			const char *n =
				fn && DECL_NAME(fn) ?
					IDENTIFIER_POINTER(DECL_NAME(fn)) :
					NULL;
			if ((gimple_call_flags(c) & ECF_MALLOC) ||
			    (n && sc_is_allocator(n, strlen(n))))
				f.object = sc_dest_object::heap;
			return f;
		}
		if (!is_gimple_assign(def))
			return f;
		enum tree_code code = gimple_assign_rhs_code(def);
		if (code == POINTER_PLUS_EXPR)
			want_type = false; // no longer the start of a T
		else if (!(gimple_assign_single_p(def) ||
			   CONVERT_EXPR_CODE_P(code)))
			return f;
		ptr = gimple_assign_rhs1(def);
		STRIP_NOPS(ptr);
		if (want_type && f.type == sc_dest_type::opaque &&
		    POINTER_TYPE_P(TREE_TYPE(ptr)))
			f.type = sc_type_fact(TREE_TYPE(TREE_TYPE(ptr)));
	}
	return f;
}

// Can a write to DST (the address of the destination) change no key
// (plugin-common/policy.cc decides from the facts)?
static bool sc_dest_holds_no_key(tree dst)
{
	return sc_store_route_for(sc_ptr_facts(dst, true)) ==
	       sc_store_route::key_free;
}

// A store that may write keys without naming a member: an assignment (or a
// call result) of a struct/array type holding marked members, or a store
// through a ref-all pointer (what GCC makes of memcpy/memmove with a
// constant length, even at -O0), into memory that may hold keys.
static bool sc_is_range_store(gimple *stmt, tree lhs)
{
	if (!lhs || gimple_clobber_p(stmt) || sc_store_is_local(lhs))
		return false;
	tree type = TREE_TYPE(lhs);
	bool typed = AGGREGATE_TYPE_P(type) && sc_type_has_key_field(type);
	// (C++) A class with bases is copied as the bytes of its data size
	// (`MEM <unsigned char[N]> [(struct derived *)p]`): the reference's
	// alias type names the class.
	if (!typed &&
	    (TREE_CODE(lhs) == MEM_REF || TREE_CODE(lhs) == TARGET_MEM_REF)) {
		tree as = TREE_TYPE(TREE_TYPE(TREE_OPERAND(lhs, 1)));
		typed = AGGREGATE_TYPE_P(as) && sc_type_has_key_field(as);
	}
	bool bytes = sc_unit_has_field_keys &&
		     (TREE_CODE(lhs) == MEM_REF ||
		      TREE_CODE(lhs) == TARGET_MEM_REF) &&
		     TYPE_REF_CAN_ALIAS_ALL(TREE_TYPE(TREE_OPERAND(lhs, 1)));
	if (!typed && !bytes)
		return false;
	sc_store_facts f;
	if (typed) {
		f = sc_ptr_facts(build_fold_addr_expr(lhs), false);
		f.type = sc_dest_type::with_keys;
	} else {
		// A lowered memcpy: its destination pointer as written, whose
		// type counts as memcpy's does when no offset was folded in.
		f = sc_ptr_facts(TREE_OPERAND(lhs, 0),
				 TREE_CODE(lhs) == MEM_REF &&
					 integer_zerop(TREE_OPERAND(lhs, 1)));
	}
	if (sc_store_route_for(f) == sc_store_route::key_free) {
		sc_stores_key_free++;
		return false;
	}
	return true;
}

// The store stays, then the range it wrote is re-patched.
static bool sc_route_range_store(gimple_stmt_iterator *gsi, gimple *stmt,
				 tree lhs)
{
	if (!sc_is_range_store(stmt, lhs))
		return false;
	tree size = TYPE_SIZE_UNIT(TREE_TYPE(lhs)), len;
	if (size && TREE_CODE(size) == INTEGER_CST)
		len = fold_convert(size_type_node, size);
	else // a variably modified type: everything from the address on
		len = build_all_ones_cst(size_type_node);
	// The address is computed before the statement (same value: a
	// store cannot move its own destination).
	tree addr = sc_address_of(gsi, lhs);
	// A copy from memory (`s = *p`, `s = t`): its source, so the runtime
	// leaves alone the keys the copy does not change.
	tree src = NULL_TREE;
	if (gimple_assign_single_p(stmt)) {
		tree rhs = gimple_assign_rhs1(stmt);
		if (TREE_CODE(rhs) != SSA_NAME &&
		    TREE_CODE(rhs) != CONSTRUCTOR && !CONSTANT_CLASS_P(rhs) &&
		    is_gimple_addressable(rhs))
			src = sc_address_of(gsi, rhs);
	}
	sc_store_range_after(gsi, addr, src, len);
	sc_stores_checked++;
	return true;
}

// The name FN is called by, as plugin-common/policy.cc knows memory
// writers: a builtin by its library name (__builtin_memcpy, the memcpy
// GCC knows as BUILT_IN_MEMCPY), else an external function at file scope
// (also with -fno-builtin), or NULL.
static const char *sc_mem_writer_name(tree fn)
{
	if (!fn || !DECL_NAME(fn))
		return NULL;
	if (fndecl_built_in_p(fn, BUILT_IN_NORMAL) ||
	    (TREE_PUBLIC(fn) && DECL_FILE_SCOPE_P(fn)))
		return IDENTIFIER_POINTER(DECL_NAME(fn));
	return NULL;
}

// Does FN write memory from its first argument on (memcpy, memset,
// explicit_bzero, ...: plugin-common/policy.cc)? The index of its length
// argument, or -1.
static int sc_mem_writer_len_arg(tree fn)
{
	const char *n = sc_mem_writer_name(fn);
	return n ? sc_mem_writer_len_arg(n, strlen(n)) : -1;
}

// A call of a memory writer: its destination and length, or false.
static bool sc_mem_write(gcall *call, tree *dst, tree *len)
{
	int len_arg = sc_mem_writer_len_arg(gimple_call_fndecl(call));
	if (len_arg < 0 || gimple_call_num_args(call) <= (unsigned)len_arg ||
	    !POINTER_TYPE_P(TREE_TYPE(gimple_call_arg(call, 0))) ||
	    !INTEGRAL_TYPE_P(TREE_TYPE(gimple_call_arg(call, len_arg))))
		return false;
	*dst = gimple_call_arg(call, 0);
	*len = gimple_call_arg(call, len_arg);
	return true;
}

// A memory writer's call writing DST..DST+LEN: re-patch the range
// afterwards, unless DST is provably an automatic object or a global
// object whose type holds no marked member.
static bool sc_route_mem_write(gimple_stmt_iterator *gsi, gcall *call)
{
	tree dst, len;
	if (!sc_unit_has_field_keys || !sc_mem_write(call, &dst, &len))
		return false;
	// The body of a memory writer (glibc's _FORTIFY_SOURCE inline
	// memcpy calling __builtin___memcpy_chk, explicit_bzero calling
	// __explicit_bzero_chk): its callers route the call.
	if (sc_mem_writer_len_arg(current_function_decl) >= 0)
		return false;
	// memcpy, memmove, mempcpy (and _chk): the source is the second
	// argument; memset and the rest write no copy.
	tree src = NULL_TREE;
	if (gimple_call_builtin_p(call, BUILT_IN_MEMCPY) ||
	    gimple_call_builtin_p(call, BUILT_IN_MEMMOVE) ||
	    gimple_call_builtin_p(call, BUILT_IN_MEMPCPY) ||
	    gimple_call_builtin_p(call, BUILT_IN_MEMCPY_CHK) ||
	    gimple_call_builtin_p(call, BUILT_IN_MEMMOVE_CHK) ||
	    gimple_call_builtin_p(call, BUILT_IN_MEMPCPY_CHK))
		src = gimple_call_arg(call, 1);
	if (sc_dest_holds_no_key(dst)) {
		sc_stores_key_free++;
		return false;
	}
	sc_store_range_after(gsi, dst, src, len);
	sc_stores_checked++;
	return true;
}

// After the swap a load that only fed the callee is dead; drop it (there is
// no DCE at -O0). Loads with other uses stay and are reported.
static void sc_cleanup_loads(function *fun)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi);) {
			gimple *stmt = gsi_stmt(gsi);
			sc_key *k = sc_load_key(stmt);
			if (!k) {
				gsi_next(&gsi);
				continue;
			}
			tree lhs = gimple_assign_lhs(stmt);
			if (TREE_CODE(lhs) == SSA_NAME && has_zero_uses(lhs) &&
			    !gimple_has_volatile_ops(stmt)) {
				unlink_stmt_vdef(stmt);
				gsi_remove(&gsi, true);
				release_defs(stmt);
				continue;
			}
			if (sc_opt_report)
				inform(gimple_location(stmt),
				       SC_DIAG_LOAD_NOT_CALLEE("'%s'"),
				       k->display);
			gsi_next(&gsi);
		}
	}
}

// `p = &K;` lets code store to K behind the runtime's back (sites would
// keep the old target): warn. Calls taking &K (static_call_update,
// static_call_query's atomic load, ...) are the supported way and are quiet.
static void sc_check_address_taken(gimple *stmt)
{
	if (!gimple_assign_single_p(stmt))
		return;
	tree rhs = gimple_assign_rhs1(stmt);
	if (TREE_CODE(rhs) != ADDR_EXPR)
		return;
	sc_key *k = sc_ref_key(TREE_OPERAND(rhs, 0));
	if (k)
		warning_at(gimple_location(stmt), 0,
			   SC_DIAG_ADDRESS_ESCAPES("'%s'"), k->display);
}

namespace {
class sc_gimple_pass : public gimple_opt_pass {
      public:
	sc_gimple_pass(gcc::context *ctx)
		: gimple_opt_pass(sc_gimple_pass_data, ctx)
	{
	}
	opt_pass *clone() final override { return new sc_gimple_pass(m_ctxt); }
	bool gate(function *) final override { return true; }
	unsigned int execute(function *fun) final override
	{
		bool calls = false, any = false, inserted = false, guarded;
		sc_cfg_changed = false;
		hash_set<gimple *> guarded_set;
		sc_guarded = &guarded_set;
		guarded = sc_find_guarded_calls(fun);
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun) {
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
			     !gsi_end_p(gsi); gsi_next(&gsi)) {
				gimple *stmt = gsi_stmt(gsi);
				if (gcall *call = dyn_cast<gcall *>(stmt)) {
					sc_check_api_call(call);
					if (sc_rewrite_call(call))
						calls = any = true;
					// (also a call through a key returning
					// a struct that holds keys)
					if (sc_route_mem_write(&gsi, call) ||
					    sc_route_range_store(
						    &gsi, call,
						    gimple_call_lhs(call)))
						inserted = any = true;
				} else if (gimple_assign_single_p(stmt) &&
					   (sc_is_key_decl(
						    gimple_assign_lhs(stmt)) ||
					    sc_is_field_store(stmt))) {
					if (sc_rewrite_store(&gsi, stmt))
						any = true;
				} else if (gimple_assign_single_p(stmt) &&
					   sc_route_range_store(
						   &gsi, stmt,
						   gimple_assign_lhs(stmt))) {
					inserted = any = true;
				} else {
					sc_check_address_taken(stmt);
				}
			}
		}
		for (const sc_pending_check &pc : sc_pending)
			sc_emit_range_check(pc);
		if (!sc_pending.is_empty())
			free_dominance_info(CDI_DOMINATORS);
		sc_pending.release();
		if (calls || sc_opt_report)
			sc_cleanup_loads(fun);
		sc_guarded = NULL;
		// Indirect edges became direct ones (and stores became calls).
		if (any)
			cgraph_edge::rebuild_edges();
		// New calls after stores have no virtual operands yet.
		unsigned todo = 0;
		if (inserted) {
			mark_virtual_operands_for_renaming(fun);
			todo |= TODO_update_ssa_only_virtuals;
		}
		// Guarded calls: their constant tests leave dead edges.
		return todo |
		       (guarded || sc_cfg_changed ? TODO_cleanup_cfg : 0);
	}
};
} // namespace

void sc_register_gimple_pass(const char *plugin_name)
{
	struct register_pass_info info;
	info.pass = new sc_gimple_pass(g);
	info.reference_pass_name = "ssa";
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_AFTER;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
}
