// gimple_pass.cc - runs right after "ssa" (so also at -O0), before any
// optimisation could fold or move the loads:
//   _1 = K; _1 (args);   ->  __staticcall_tramp.K (args);   (fntype kept)
//   K = v;               ->  __staticcall_store (&K, v);    (error if strict)
#include "keys.h"

static const pass_data sc_gimple_pass_data = {
	GIMPLE_PASS,
	"staticcall_calls",   // name
	OPTGROUP_NONE,
	TV_NONE,
	PROP_ssa | PROP_cfg, // properties_required
	0, 0, 0,
	0, // todo_flags_finish
};

// The key CALL's SSA callee was loaded from, or NULL. The trampoline reads
// the key when the call happens, so the load must not be a snapshot taken
// earlier: a value copied into a variable before an update must keep
// calling the old target. Converted when the load sees the same memory
// state as the call (same virtual use), or when the callee is the
// compiler's own temporary for the function designator of this call (single
// use, no user variable): then only the evaluation of the call's arguments
// lies in between, which C leaves unsequenced with the designator, so
// reading the key at the call is equally valid (e.g. k(k(x))).
static tree sc_callee_key(gcall *call)
{
	tree fn = gimple_call_fn(call);
	if (!fn || TREE_CODE(fn) != SSA_NAME)
		return NULL_TREE;
	gimple *def = SSA_NAME_DEF_STMT(fn);
	if (!def || !gimple_assign_single_p(def))
		return NULL_TREE;
	tree rhs = gimple_assign_rhs1(def);
	if (!sc_is_key_decl(rhs))
		return NULL_TREE;
	if (gimple_vuse(def) && gimple_vuse(def) == gimple_vuse(call))
		return rhs;
	tree var = SSA_NAME_VAR(fn);
	bool designator_tmp = (!var || DECL_ARTIFICIAL(var)) &&
			      has_single_use(fn);
	return designator_tmp ? rhs : NULL_TREE;
}

// Guarded calls chosen by sc_find_guarded_calls: they call the key's
// NULL-safe trampoline and their test is gone.
static hash_set<gimple *> *sc_guarded;

static bool sc_rewrite_call(gcall *call)
{
	tree key = sc_callee_key(call);
	if (!key)
		return false;
	sc_key *k = sc_key_get(key);
	bool cond = sc_guarded && sc_guarded->contains(call);
	// gimple_call_set_fn keeps gimple_call_fntype: the call's own type
	// still decides the calling convention.
	gimple_call_set_fn(call, build_fold_addr_expr(
					 cond ? sc_key_cond_tramp(k) : k->tramp));
	update_stmt(call);
	if (sc_opt_report)
		inform(gimple_location(call),
		       cond ? "staticcall: guarded call through '%s' is one "
			      "static-call site (a NOP while the key is NULL)"
			    : "staticcall: call through '%s' is a static-call site",
		       IDENTIFIER_POINTER(DECL_NAME(key)));
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
	FOR_EACH_BB_FN(bb, fun)
	{
		gcond *cond = safe_dyn_cast<gcond *>(last_stmt(bb));
		if (!cond || !integer_zerop(gimple_cond_rhs(cond)) ||
		    TREE_CODE(gimple_cond_lhs(cond)) != SSA_NAME ||
		    (gimple_cond_code(cond) != NE_EXPR &&
		     gimple_cond_code(cond) != EQ_EXPR))
			continue;
		gimple *load = SSA_NAME_DEF_STMT(gimple_cond_lhs(cond));
		if (!load || !gimple_assign_single_p(load) ||
		    !sc_is_key_decl(gimple_assign_rhs1(load)))
			continue;
		tree key = gimple_assign_rhs1(load);
		edge e_true, e_false;
		extract_true_false_edges_from_block(bb, &e_true, &e_false);
		bool ne = gimple_cond_code(cond) == NE_EXPR;
		edge taken = ne ? e_true : e_false, skipped = ne ? e_false : e_true;
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
			} else if (gimple_assign_single_p(stmt) &&
				   gimple_assign_rhs1(stmt) == key) {
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

// static_call_update/_null/_ret0 on something that is not a key, and
// return-zero on a key whose return type is not an integer or a pointer.
static void sc_check_api_call(gcall *call)
{
	tree fn = gimple_call_fndecl(call);
	if (!fn || !DECL_NAME(fn) || gimple_call_num_args(call) < 1)
		return;
	const char *name = IDENTIFIER_POINTER(DECL_NAME(fn));
	bool ret0 = !strcmp(name, "__staticcall_update_ret0");
	if (!ret0 && strcmp(name, "__staticcall_update") &&
	    strcmp(name, "__staticcall_update_null"))
		return;
	tree arg = gimple_call_arg(call, 0);
	STRIP_NOPS(arg);
	if (TREE_CODE(arg) != ADDR_EXPR)
		return; // computed: nothing to check here
	tree var = TREE_OPERAND(arg, 0);
	if (!DECL_P(var))
		return;
	if (!sc_is_key_decl(var)) {
		error_at(gimple_location(call),
			 "staticcall: %qD is not a static-call key (declare it "
			 "with %<STATIC_CALL%>)", var);
		return;
	}
	tree ret = TREE_TYPE(TREE_TYPE(TREE_TYPE(var)));
	if (ret0 && !((INTEGRAL_TYPE_P(ret) || POINTER_TYPE_P(ret)) &&
		      tree_to_uhwi(TYPE_SIZE(ret)) <= 64))
		error_at(gimple_location(call),
			 "staticcall: %<static_call_update_ret0%> needs a key "
			 "returning an integer or a pointer; %qD returns %qT",
			 var, ret);
}

static bool sc_rewrite_store(gimple_stmt_iterator *gsi, gimple *stmt)
{
	tree key = gimple_assign_lhs(stmt);
	if (sc_opt_strict) {
		error_at(gimple_location(stmt),
			 "staticcall: plain store to key '%s' (strict mode); "
			 "use %<static_call_update%>",
			 IDENTIFIER_POINTER(DECL_NAME(key)));
		return false;
	}
	sc_key *k = sc_key_get(key);
	k->has_store = true;
	TREE_ADDRESSABLE(key) = 1;
	// Pointer conversions are useless in GIMPLE: pass the value as is.
	gcall *call = gimple_build_call(sc_store_fndecl(), 2,
					build_fold_addr_expr(key),
					gimple_assign_rhs1(stmt));
	gimple_set_location(call, gimple_location(stmt));
	gimple_set_block(call, gimple_block(stmt));
	gimple_move_vops(call, stmt);
	gsi_replace(gsi, call, false);
	return true;
}

// After the swap a load that only fed the callee is dead; drop it (there is
// no DCE at -O0). Loads with other uses stay and are reported.
static void sc_cleanup_loads(function *fun)
{
	basic_block bb;
	FOR_EACH_BB_FN(bb, fun)
	{
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
		     !gsi_end_p(gsi);) {
			gimple *stmt = gsi_stmt(gsi);
			if (!gimple_assign_single_p(stmt) ||
			    !sc_is_key_decl(gimple_assign_rhs1(stmt))) {
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
				       "staticcall: load of '%s' is not the "
				       "callee of a call; not converted",
				       IDENTIFIER_POINTER(DECL_NAME(
					       gimple_assign_rhs1(stmt))));
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
	if (TREE_CODE(rhs) == ADDR_EXPR && sc_is_key_decl(TREE_OPERAND(rhs, 0)))
		warning_at(gimple_location(stmt), 0,
			   "staticcall: address of key '%s' escapes; a store "
			   "through it bypasses the runtime and leaves call "
			   "sites on the old target",
			   IDENTIFIER_POINTER(
				   DECL_NAME(TREE_OPERAND(rhs, 0))));
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
		bool calls = false, any = false, guarded;
		hash_set<gimple *> guarded_set;
		sc_guarded = &guarded_set;
		guarded = sc_find_guarded_calls(fun);
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun)
		{
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
			     !gsi_end_p(gsi); gsi_next(&gsi)) {
				gimple *stmt = gsi_stmt(gsi);
				if (gcall *call = dyn_cast<gcall *>(stmt)) {
					sc_check_api_call(call);
					if (sc_rewrite_call(call))
						calls = any = true;
				} else if (gimple_assign_single_p(stmt) &&
					   sc_is_key_decl(
						   gimple_assign_lhs(stmt))) {
					if (sc_rewrite_store(&gsi, stmt))
						any = true;
				} else {
					sc_check_address_taken(stmt);
				}
			}
		}
		if (calls || sc_opt_report)
			sc_cleanup_loads(fun);
		sc_guarded = NULL;
		// Indirect edges became direct ones (and stores became calls).
		if (any)
			cgraph_edge::rebuild_edges();
		// Guarded calls: their constant tests leave dead edges.
		return guarded ? TODO_cleanup_cfg : 0;
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
