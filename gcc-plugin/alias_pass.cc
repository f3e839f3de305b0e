// alias_pass.cc - GCC's points-to facts for store routing (docs/FIELD_KEYS.md,
// "Which stores are routed"). The early pass (gimple_pass.cc) runs right
// after "ssa", before any points-to solution exists, and puts the inline
// range check around every store it cannot prove key-free. At -O1 and up
// this pass runs right after "ealias" (the first points-to solution, after
// early inlining): a check whose destination pointer points, by that
// solution, only to locals, heap blocks or globals without marked members
// is taken out again (the runtime call, the bounds loads, the fence), so
// the store costs what it costs without the plugin. At -O0 (no points-to
// analysis) every check stays: conservative.
#include "keys.h"
#include "tree-ssa-alias.h"

static const pass_data sc_alias_pass_data = {
	GIMPLE_PASS,
	"staticcall_alias", // name
	OPTGROUP_NONE,
	TV_NONE,
	PROP_ssa | PROP_cfg, // properties_required
	0,
	0,
	0,
	0,
};

// May the global DECL hold keys: its type holds marked members, or is
// incomplete here (so may be anything)? Thread-locals are never keys.
static bool sc_global_may_hold_keys(tree decl)
{
	if (TREE_CODE(decl) != VAR_DECL || DECL_THREAD_LOCAL_P(decl))
		return false;
	tree t = TREE_TYPE(decl);
	return !COMPLETE_TYPE_P(t) || sc_type_has_key_field(t);
}

// The unit's globals that may hold keys (gathered once per function: the
// varpool grows as functions are lowered).
static vec<tree> sc_key_globals;

static void sc_gather_key_globals()
{
	sc_key_globals.truncate(0);
	varpool_node *v;
	FOR_EACH_VARIABLE(v) {
		if (sc_global_may_hold_keys(v->decl))
			sc_key_globals.safe_push(v->decl);
	}
}

// Does PTR's points-to solution prove that it points to no object that
// may hold keys? Not when it may point to any global memory (nonlocal,
// escaped, anything), nor to what a restrict parameter points to (GCC
// models that as a fresh object), nor to an interposable global.
static bool sc_points_to_no_key(tree ptr)
{
	if (TREE_CODE(ptr) != SSA_NAME || !POINTER_TYPE_P(TREE_TYPE(ptr)))
		return false;
	struct ptr_info_def *pi = SSA_NAME_PTR_INFO(ptr);
	if (!pi)
		return false;
	struct pt_solution *pt = &pi->pt;
	if (pt->anything || pt->nonlocal || pt->escaped || pt->ipa_escaped ||
	    pt->vars_contains_restrict || pt->vars_contains_interposable)
		return false;
	if (!pt->vars_contains_nonlocal) // locals and heap blocks only
		return true;
	for (tree g : sc_key_globals)
		if (pt_solution_includes(pt, g))
			return false;
	return true;
}

// Remove STMT (a call or a fence) with its virtual definition.
static void sc_remove_stmt(gimple *stmt)
{
	gimple_stmt_iterator gsi = gsi_for_stmt(stmt);
	unlink_stmt_vdef(stmt);
	gsi_remove(&gsi, true);
	release_defs(stmt);
}

// Is STMT `x = __staticcall_key_bounds[i]`?
static bool sc_is_bounds_load(gimple *stmt)
{
	if (!gimple_assign_single_p(stmt))
		return false;
	tree rhs = gimple_assign_rhs1(stmt);
	return TREE_CODE(rhs) == ARRAY_REF &&
	       TREE_OPERAND(rhs, 0) == sc_key_bounds_vardecl();
}

/*
 * The runtime call CALL, alone in the block the bounds check
 * (sc_emit_bounds_check) branches to, is gone: the check can never call
 * anything, so its test is made constant and its volatile loads of the
 * bounds and its fence (the statements before the test back to the fence)
 * go; CFG cleanup and DCE remove the rest.
 */
static void sc_remove_bounds_check(basic_block then_bb)
{
	if (!single_pred_p(then_bb))
		return;
	for (gimple_stmt_iterator gsi = gsi_start_bb(then_bb); !gsi_end_p(gsi);
	     gsi_next(&gsi))
		if (!is_gimple_debug(gsi_stmt(gsi)))
			return; // something else in the block: leave it
	edge e = single_pred_edge(then_bb);
	gcond *cond = safe_dyn_cast<gcond *>(last_stmt(e->src));
	if (!cond || !(e->flags & (EDGE_TRUE_VALUE | EDGE_FALSE_VALUE)))
		return;
	if (e->flags & EDGE_TRUE_VALUE)
		gimple_cond_make_false(cond);
	else
		gimple_cond_make_true(cond);
	update_stmt(cond);
	gimple_stmt_iterator gsi = gsi_for_stmt(cond);
	for (gsi_prev(&gsi); !gsi_end_p(gsi);) {
		gimple *stmt = gsi_stmt(gsi);
		if (sc_is_bounds_load(stmt)) {
			// (its use, the compare, is dead now)
			tree lhs = gimple_assign_lhs(stmt);
			gimple_assign_set_rhs_from_tree(
				&gsi, build_zero_cst(TREE_TYPE(lhs)));
			gimple_set_vuse(gsi_stmt(gsi), NULL_TREE);
			update_stmt(gsi_stmt(gsi));
		} else if (gimple_call_builtin_p(
				   stmt, BUILT_IN_ATOMIC_SIGNAL_FENCE)) {
			sc_remove_stmt(stmt);
			return;
		} else if (gimple_has_side_effects(stmt) ||
			   is_a<gcall *>(stmt)) {
			return; // not the check's own statements
		}
		gsi_prev(&gsi);
	}
}

namespace {
class sc_alias_pass : public gimple_opt_pass {
      public:
	sc_alias_pass(gcc::context *ctx)
		: gimple_opt_pass(sc_alias_pass_data, ctx)
	{
	}
	opt_pass *clone() final override { return new sc_alias_pass(m_ctxt); }
	bool gate(function *) final override
	{
		return optimize && flag_tree_pta && sc_unit_has_field_keys;
	}
	unsigned int execute(function *fun) final override
	{
		tree begin_fn = sc_store_range_begin_fndecl(),
		     range_fn = sc_store_range_fndecl();
		auto_vec<gcall *> calls;
		basic_block bb;
		FOR_EACH_BB_FN(bb, fun)
			for (gimple_stmt_iterator gsi = gsi_start_bb(bb);
			     !gsi_end_p(gsi); gsi_next(&gsi)) {
				gcall *c = dyn_cast<gcall *>(gsi_stmt(gsi));
				tree fn = c ? gimple_call_fndecl(c) : NULL_TREE;
				if (fn && (fn == begin_fn || fn == range_fn) &&
				    gimple_call_num_args(c) >= 2)
					calls.safe_push(c);
			}
		if (calls.is_empty())
			return 0;
		sc_gather_key_globals();
		bool changed = false;
		for (gcall *c : calls) {
			if (!sc_points_to_no_key(gimple_call_arg(c, 0)))
				continue;
			// One begin call per routed store: count it once.
			if (gimple_call_fndecl(c) == begin_fn &&
			    sc_stores_checked) {
				sc_stores_checked--;
				sc_stores_key_free++;
			}
			basic_block then_bb = gimple_bb(c);
			sc_remove_stmt(c);
			sc_remove_bounds_check(then_bb);
			changed = true;
		}
		if (!changed)
			return 0;
		cgraph_edge::rebuild_edges();
		return TODO_cleanup_cfg | TODO_update_ssa_only_virtuals;
	}
};
} // namespace

void sc_register_alias_pass(const char *plugin_name)
{
	struct register_pass_info info;
	info.pass = new sc_alias_pass(g);
	info.reference_pass_name = "ealias";
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_AFTER;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
}
