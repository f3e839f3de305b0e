// promote.cc - promotable indirect-call sites (issue 16, docs/ABI.md
// "Promotable sites"), with -fplugin-arg-staticcall_gcc-promote. In a
// function GCC compiles with -mindirect-branch=thunk-extern (the option or
// the function's indirect_branch("thunk-extern") attribute) every
// indirect call and tail call is `call/jmp __x86_indirect_thunk_<reg>`,
// and so is every indirect jump that is no call (a computed goto, a
// table jump: a jump site, recorded as a tail call with SC_PROMOTE_JUMP);
// on arm64, in a function compiled with -mharden-sls=blr, this pass turns
// every indirect call into `bl __staticcall_call_indirect_x<N>` itself
// (the shape of GCC's own SLS thunk calls; tail calls stay `br`);
// just before "shorten" this pass puts a record (an ASM_INPUT insn, as
// rtl_sites.cc does for static-call sites) right before each, so its
// label is the call instruction, and at the end of the unit defines the
// thunks those sites call, hidden and comdat (plugin-common/
// promote_text.cc). A function marked __attribute__((staticcall_no_promote))
// keeps its indirect calls unrecorded and unsampled: GCC's inline
// retpoline (x86-64) or its own SLS thunk (arm64), not the unit's thunks.
//
// -flto: compiling a unit to IR, each function it defines is marked (an
// attribute no source can name); lto1, which generates the code and
// loads the plugin from the link's gcc_ldflags without the promote
// argument, records the sites of marked functions only (their
// -mindirect-branch=thunk-extern travels in the IR as a function option).
// A unit compiled with promote-inline marks its functions a second time:
// lto1 gives their call sites the inline form.
#include "keys.h"
#include "promote_text.h"
#ifdef SC_TARGET_AARCH64
#include "insn-config.h"
#include "recog.h"
#include "tm_p.h"
#else
#include "config/i386/i386-opts.h"
#include "df.h"
#endif

bool sc_opt_promote;
bool sc_opt_promote_plain;
bool sc_opt_promote_inline;

#define SC_NO_PROMOTE_ATTR "staticcall_no_promote"
// Not C identifiers: no source can name them.
#define SC_LTO_PROMOTE_ATTR "staticcall promote"
#define SC_LTO_INLINE_ATTR "staticcall promote inline"

static unsigned sc_promote_counter; // per unit: labels are local
static unsigned sc_promote_regs;    // bit N: the unit calls thunk N
// bit N: the unit may jump through thunk N's notrack twin (x86-64: a
// table jump under -fcf-protection=branch)
static unsigned sc_promote_nt_regs;

static tree sc_handle_no_promote(tree *node, tree name, tree, int, bool *no_add)
{
	if (TREE_CODE(*node) != FUNCTION_DECL) {
		warning(OPT_Wattributes, "%qE applies to functions only", name);
		*no_add = true;
	}
	return NULL_TREE;
}

static struct attribute_spec sc_no_promote_spec = {
	SC_NO_PROMOTE_ATTR,   0,   0, true, false, false, false,
	sc_handle_no_promote, NULL
};

static void sc_on_promote_attributes(void *, void *)
{
	register_attribute(&sc_no_promote_spec);
}

// The location of an asm placed before insn. final prints an asm's file
// and line, reading the file name unchecked: a jump GCC made (a table
// jump) may have a location that names no file, which crashed cc1
// (CPython's bytesobject.c with -fjump-tables). Else the function's;
// else BUILTINS_LOCATION ("<built-in>", line 0: nothing printed).
static location_t sc_asm_location(rtx_insn *insn)
{
	location_t loc = INSN_LOCATION(insn);
	if (loc != UNKNOWN_LOCATION && LOCATION_FILE(loc))
		return loc;
	loc = DECL_SOURCE_LOCATION(current_function_decl);
	return loc != UNKNOWN_LOCATION && LOCATION_FILE(loc) ?
		       loc :
		       BUILTINS_LOCATION;
}

#ifdef SC_TARGET_AARCH64
// The register x<N> an indirect call (`blr`, under -mharden-sls=blr GCC's
// `bl` to its thunk) goes through, if a thunk takes it; -1 otherwise.
static int sc_thunk_call_reg(rtx_insn *insn)
{
	rtx call = get_call_rtx_from(insn);
	if (!call || !MEM_P(XEXP(call, 0)))
		return -1;
	rtx addr = XEXP(XEXP(call, 0), 0);
	if (!REG_P(addr) || !HARD_REGISTER_P(addr))
		return -1;
	return sc_promote_reg_number_a64(reg_names[REGNO(addr)]);
}

// The call through x<reg> becomes a direct call to the unit's thunk for
// it (`bl __staticcall_call_indirect_x<reg>`, which GCC prints for a
// symbol); the register stays a use of the call. GCC's own SLS thunk is
// then never asked for.
static void sc_call_thunk(rtx_insn *insn, int reg)
{
	rtx call = get_call_rtx_from(insn);
	rtx addr = XEXP(XEXP(call, 0), 0);
	std::string name = sc_promote_thunk_name_a64(reg);
	XEXP(XEXP(call, 0), 0) =
		gen_rtx_SYMBOL_REF(Pmode, ggc_strdup(name.c_str()));
	CALL_INSN_FUNCTION_USAGE(insn) =
		gen_rtx_EXPR_LIST(VOIDmode, gen_rtx_USE(VOIDmode, addr),
				  CALL_INSN_FUNCTION_USAGE(insn));
	INSN_CODE(insn) = -1; // its alternative is the symbol's now
	recog_data.insn = NULL;
}

static bool sc_promote_gate_target(function *)
{
	return aarch64_harden_sls_blr_p();
}

static std::string sc_promote_site_text(const std::string &label, int reg,
					bool, bool)
{
	return sc_text_promote_site_a64(label, reg);
}
#define SC_PROMOTE_NREGS 30
// arm64: an indirect jump is `br`, never a thunk call
static int sc_thunk_jump_reg(rtx_insn *)
{
	return -1;
}
static void sc_inline_jump(rtx_insn *, int)
{
}
static bool sc_jump_notrack(rtx_insn *)
{
	return false;
}
static bool sc_call_notrack(rtx_insn *)
{
	return false;
}
static void sc_find_flags_live_jumps(function *)
{
}
static bool sc_flags_live_jump(rtx_insn *)
{
	return false;
}
static std::string sc_text_thunk(int reg, bool)
{
	return sc_text_promote_thunk_a64(reg);
}
#define sc_text_object sc_text_promote_object_a64
// Opted out: its calls stay on GCC's own SLS thunk (never redirected).
static void sc_keep_own_retpoline(function *)
{
}
// (promote-inline is x86-64 only: refused at start)
static bool sc_inline_ok(rtx_insn *, int)
{
	return false;
}
static std::string sc_inline_text(const std::string &, int, int)
{
	return "";
}
#else
// The thunk number of x, a hard register an indirect call or jump goes
// through; -1 if x is none a thunk takes.
static int sc_x86_thunk_reg(rtx x)
{
	if (!REG_P(x) || !HARD_REGISTER_P(x))
		return -1;
	const char *n = reg_names[REGNO(x)];
	// GCC names the 64-bit GPRs "ax", "r8"...; the thunks "rax", "r8".
	std::string name = n[0] == 'r' ? n : std::string("r") + n;
	return sc_promote_reg_number(name);
}

// The x86 register an indirect call goes through, if GCC prints it as a
// call to its external thunk; -1 otherwise.
static int sc_thunk_call_reg(rtx_insn *insn)
{
	rtx call = get_call_rtx_from(insn);
	if (!call || !MEM_P(XEXP(call, 0)))
		return -1;
	return sc_x86_thunk_reg(XEXP(XEXP(call, 0), 0));
}

static void sc_call_thunk(rtx_insn *, int)
{
	// GCC prints it as `call __x86_indirect_thunk_<reg>` already
}

static bool sc_promote_gate_target(function *fn)
{
	if (!TARGET_64BIT || !fn->machine ||
	    fn->machine->indirect_branch_type != indirect_branch_thunk_extern)
		return false;
#ifdef ix86_indirect_branch_cs_prefix
	// A CS prefix makes the call 6 bytes: not a site shape
	// the runtime patches (yet).
	if (ix86_indirect_branch_cs_prefix)
		return false;
#endif
	return true;
}

static std::string sc_promote_site_text(const std::string &label, int reg,
					bool tail, bool jump)
{
	return sc_text_promote_site(label, reg, tail, jump);
}
// Opted out: the function's indirect calls and jumps become GCC's inline
// retpoline, as under indirect_branch("thunk-inline") (promote-plain:
// plain `call *%reg`, as "keep"), so they never reach the unit's sampling
// thunk. Same operand shapes as thunk-extern: changed just before final
// prints them. Not the attribute itself: GCC refuses it with
// -fcf-protection=return (a ret-based retpoline under a shadow stack),
// which the unit's own thunk is as well.
static void sc_keep_own_retpoline(function *fn)
{
	fn->machine->indirect_branch_type =
		sc_opt_promote_plain ? indirect_branch_keep :
				       indirect_branch_thunk_inline;
}
#define SC_PROMOTE_NREGS 16
// promote-plain: the thunk's slow path is `jmp *%reg`, not a retpoline
static std::string sc_text_thunk(int reg, bool notrack)
{
	return sc_text_promote_thunk(reg, sc_opt_promote_plain, notrack);
}
// Under -fcf-protection=branch GCC marks a table jump `notrack` and, with
// thunks, prints it as `jmp __x86_indirect_thunk_nt_<reg>` (unless
// -mcet-switch): the unit defines that twin too, the same bytes (a
// retpoline ends in `ret`, which IBT does not check; a stub's branches
// are direct). Any table jump counts: an unused comdat twin costs only
// its bytes, a missing one fails the link.
static bool sc_jump_notrack(rtx_insn *insn)
{
	return (flag_cf_protection & CF_BRANCH) && tablejump_p(insn, NULL, NULL);
}
// And a call (or tail call) through a `nocf_check` function pointer:
// `call __x86_indirect_thunk_nt_<reg>`.
static bool sc_call_notrack(rtx_insn *insn)
{
	return (flag_cf_protection & CF_BRANCH) &&
	       find_reg_note(insn, REG_CALL_NOCF_CHECK, NULL_RTX);
}

// The thunk jumps of the function whose block has the flags live out
// (INSN_UIDs), found while the CFG is still there: a jump site's stubs
// and slow stub write the flags (a call's may: no call keeps them), so
// such a jump stays the retpoline inline. GCC on x86 is not known to
// keep them live across an indirect jump; this makes sure.
static vec<int> sc_flags_live_jumps;
static int sc_thunk_jump_reg(rtx_insn *insn);

static void sc_find_flags_live_jumps(function *fn)
{
	sc_flags_live_jumps.truncate(0);
	if (!df)
		return;
	basic_block bb;
	FOR_EACH_BB_FN (bb, fn) {
		rtx_insn *end = BB_END(bb);
		if (end && JUMP_P(end) && sc_thunk_jump_reg(end) >= 0 &&
		    REGNO_REG_SET_P(df_get_live_out(bb), FLAGS_REG))
			sc_flags_live_jumps.safe_push(INSN_UID(end));
	}
}

static bool sc_flags_live_jump(rtx_insn *insn)
{
	for (unsigned i = 0; i < sc_flags_live_jumps.length(); i++)
		if (sc_flags_live_jumps[i] == INSN_UID(insn))
			return true;
	return false;
}
#define sc_text_object sc_text_promote_object

// Can the call insn through register reg take the inline form? It uses
// %r11 before the call: it may not be the target, nor carry anything
// into the call, nor be a global register variable. Not where an
// exception may unwind through it: its slow path's call is one GCC does
// not see, with no entry in the function's call-site table.
static bool sc_inline_ok(rtx_insn *insn, int reg)
{
	// lto1: what the function's unit asked for (and flag_exceptions is
	// the function's own there: an optimization option)
	const bool wanted =
		in_lto_p ? lookup_attribute(SC_LTO_INLINE_ATTR,
					    DECL_ATTRIBUTES(current_function_decl)) !=
				   NULL_TREE :
			   sc_opt_promote_inline;
	if (!wanted || reg == 11 || flag_exceptions ||
	    flag_non_call_exceptions || global_regs[R11_REG])
		return false;
	for (rtx u = CALL_INSN_FUNCTION_USAGE(insn); u; u = XEXP(u, 1)) {
		rtx x = XEXP(XEXP(u, 0), 0);
		if (REG_P(x) && HARD_REGISTER_P(x) && REGNO(x) == R11_REG)
			return false;
	}
	return true;
}

// Its parts (promote_text.cc): 0 before the call, 1 after, 2 the slow
// path out of line.
static std::string sc_inline_text(const std::string &label, int reg,
				  int part)
{
	return part == 0 ? sc_text_promote_inline_head(label, reg) :
	       part == 1 ? sc_text_promote_inline_end(label) :
			   sc_text_promote_inline_slow(label, reg);
}
// The register of an indirect jump that is not a call (a computed goto,
// a jump table), which GCC would print as `jmp __x86_indirect_thunk_<reg>`;
// -1 otherwise.
static int sc_thunk_jump_reg(rtx_insn *insn)
{
	if (!JUMP_P(insn))
		return -1;
	rtx pat = PATTERN(insn);
	if (GET_CODE(pat) == PARALLEL) // tablejump: (set pc reg) (use label)
		pat = XVECEXP(pat, 0, 0);
	if (GET_CODE(pat) != SET || SET_DEST(pat) != pc_rtx)
		return -1;
	return sc_x86_thunk_reg(SET_SRC(pat));
}

// Such a jump that is no site (an opted-out function's, or any in a
// promote-plain unit, whose `jmp *%reg` is predicted and costs nothing to
// give up on): through the thunk it would pay the thunk's sampling on
// every pass, unrecorded (CPython's dispatch: most of its samples named
// no site). The retpoline itself, inline (promote-plain: `jmp *%reg`),
// goes right before it, as hardened and never sampled. The jump insn
// stays as it was (the CFG and the unwind info read it: a computed jump,
// a table jump), printed after the inline one and never reached.
static void sc_inline_jump(rtx_insn *insn, int reg)
{
	std::string text = sc_text_promote_jump(reg, sc_opt_promote_plain,
						sc_jump_notrack(insn));
	rtx body = gen_rtx_ASM_INPUT_loc(VOIDmode, ggc_strdup(sc_att(text).c_str()),
					 sc_asm_location(insn));
	MEM_VOLATILE_P(body) = 1; // never moved or dropped
	emit_insn_before(body, insn);
}
#endif

// Does the promote pass run on fn?
static bool sc_promote_gate(function *fn)
{
	if (!sc_promote_gate_target(fn))
		return false;
	// lto1: only what a unit compiled in promote mode defined
	if (in_lto_p)
		return lookup_attribute(SC_LTO_PROMOTE_ATTR,
					DECL_ATTRIBUTES(fn->decl));
	return sc_opt_promote;
}

static const pass_data sc_flags_pass_data = {
	RTL_PASS,
	"staticcall_promote_flags", // name
	OPTGROUP_NONE,
	TV_NONE,
	0,
	0,
	0,
	0,
	0,
};

static const pass_data sc_promote_pass_data = {
	RTL_PASS,
	"staticcall_promote", // name
	OPTGROUP_NONE,
	TV_NONE,
	0,
	0,
	0,
	0,
	0,
};

// An inline site's slow path, placed after the function's last insn.
struct sc_slow_path {
	rtx_code_label *label;
	rtx text;
};

namespace {
// Before the CFG goes: which thunk jumps have the flags live out.
class sc_flags_pass : public rtl_opt_pass {
      public:
	sc_flags_pass(gcc::context *ctx) : rtl_opt_pass(sc_flags_pass_data, ctx)
	{
	}
	bool gate(function *fn) final override
	{
		return sc_promote_gate(fn);
	}
	unsigned int execute(function *fn) final override
	{
		sc_find_flags_live_jumps(fn);
		return 0;
	}
};

class sc_promote_pass : public rtl_opt_pass {
      public:
	sc_promote_pass(gcc::context *ctx)
		: rtl_opt_pass(sc_promote_pass_data, ctx)
	{
	}
	bool gate(function *fn) final override
	{
		return sc_promote_gate(fn);
	}
	unsigned int execute(function *fn) final override
	{
		// opted out: unrecorded, and never sampled
		if (lookup_attribute(SC_NO_PROMOTE_ATTR,
				     DECL_ATTRIBUTES(fn->decl))) {
			sc_keep_own_retpoline(fn);
			return 0;
		}
		auto_vec<sc_slow_path> slow; // inline sites' slow paths
		for (rtx_insn *insn = get_insns(); insn;
		     insn = NEXT_INSN(insn)) {
			if (!CALL_P(insn)) {
				// A computed goto or a table jump: GCC prints
				// `jmp __x86_indirect_thunk_<reg>`, a site of
				// the tail-call shape (a jump site);
				// promote-plain, or flags live across it: the
				// retpoline (plain: the jump) inline.
				int jreg = sc_thunk_jump_reg(insn);
				if (jreg < 0)
					continue;
				sc_promote_regs |= 1u << jreg;
				if (sc_jump_notrack(insn))
					sc_promote_nt_regs |= 1u << jreg;
				if (!sc_opt_promote_plain &&
				    !sc_flags_live_jump(insn))
					record_site(insn, jreg, true, true);
				else
					sc_inline_jump(insn, jreg);
				continue;
			}
			int reg = sc_thunk_call_reg(insn);
			// arm64: a tail call is `br`, not hardened: no site
			if (reg < 0 || (SC_PROMOTE_NREGS > 16 &&
					SIBLING_CALL_P(insn)))
				continue;
			sc_promote_regs |= 1u << reg;
			// a call through a `nocf_check` pointer under
			// -fcf-protection: GCC prints the thunk's `_nt_` twin
			// (no inline form: its B would not be the slow
			// site's thunk)
			bool notrack = sc_call_notrack(insn);
			if (notrack)
				sc_promote_nt_regs |= 1u << reg;
			sc_call_thunk(insn, reg);
			if (!SIBLING_CALL_P(insn) && !notrack &&
			    sc_inline_ok(insn, reg))
				inline_site(insn, reg, slow);
			else
				record_site(insn, reg, SIBLING_CALL_P(insn),
					    false);
		}
		place_slow_paths(slow);
		return 0;
	}

      private:
	static rtx asm_text(const std::string &text, rtx_insn *insn)
	{
		rtx body = gen_rtx_ASM_INPUT_loc(VOIDmode,
						 ggc_strdup(sc_att(text).c_str()),
						 sc_asm_location(insn));
		MEM_VOLATILE_P(body) = 1; // never moved or dropped
		return body;
	}

	// The inline form around the call insn (GCC's `call
	// __x86_indirect_thunk_<reg>` stays: the sequence's last
	// instruction, B). Its `jne` to the slow path is also told to GCC as
	// a jump (an asm goto printing nothing) to a label before that path,
	// so the unwind information there is the call's (dwarf2cfi follows
	// jumps). The slow path's label and text are queued in `slow`.
	static void inline_site(rtx_insn *insn, int reg,
				auto_vec<sc_slow_path> &slow)
	{
		std::string label =
			".Lsc_promote_" + std::to_string(sc_promote_counter++);
		emit_insn_before(asm_text(sc_inline_text(label, reg, 0), insn),
				 insn);
		rtx_code_label *lab = gen_label_rtx();
		rtvec labels = gen_rtvec(1, gen_rtx_LABEL_REF(Pmode, lab));
		rtx jump = gen_rtx_ASM_OPERANDS(VOIDmode, "", "", 0,
						rtvec_alloc(0), rtvec_alloc(0),
						labels, sc_asm_location(insn));
		MEM_VOLATILE_P(jump) = 1;
		rtx_insn *j = emit_jump_insn_before(jump, insn);
		JUMP_LABEL(j) = lab;
		LABEL_NUSES(lab)++;
		emit_insn_after(asm_text(sc_inline_text(label, reg, 1), insn),
				insn);
		slow.safe_push({ lab, asm_text(sc_inline_text(label, reg, 2),
					       insn) });
	}

	// After the function's last instruction, where nothing falls: each
	// slow path its label (the asm goto's) then its text, then a barrier.
	static void place_slow_paths(auto_vec<sc_slow_path> &slow)
	{
		if (slow.is_empty())
			return;
		rtx_insn *at = emit_barrier_after(get_last_insn());
		for (const sc_slow_path &p : slow) {
			at = emit_label_after(p.label, at);
			at = emit_insn_after(p.text, at);
			at = emit_barrier_after(at);
		}
	}

	// The record right before insn (its label is the call or jump).
	static void record_site(rtx_insn *insn, int reg, bool tail, bool jump)
	{
		std::string label =
			".Lsc_promote_" + std::to_string(sc_promote_counter++);
		std::string text =
			sc_promote_site_text(label, reg, tail, jump);
		rtx body = gen_rtx_ASM_INPUT_loc(VOIDmode,
						 ggc_strdup(sc_att(text).c_str()),
						 sc_asm_location(insn));
		MEM_VOLATILE_P(body) = 1; // never moved or dropped
		emit_insn_before(body, insn);
	}
};
} // namespace

static void sc_promote_finish_unit(void *, void *)
{
	// The unit's static-call trampolines (emit_asm.cc, after this hook)
	// take `jmp __x86_indirect_thunk_r11` under thunk-extern: defined
	// here too, or a unit with static calls and promotion fails to link.
	// (Only in promote mode: an ordinary lto1 also runs this hook.)
#ifndef SC_TARGET_AARCH64
	if (sc_opt_promote || sc_promote_regs)
		for (const sc_key *k : sc_keys_all())
			if (k->has_site || k->has_store || k->has_cond_site)
				sc_promote_regs |= 1u << 11;
#endif
	if (!asm_out_file || seen_error() || !sc_promote_regs)
		return;
	fputs("\t# staticcall: promotable sites' thunks and table "
	      "(docs/ABI.md)\n",
	      asm_out_file);
	fputs(sc_att_begin(), asm_out_file);
	for (int r = 0; r < SC_PROMOTE_NREGS; r++) {
		if (sc_promote_regs & (1u << r))
			fputs(sc_text_thunk(r, false).c_str(), asm_out_file);
		if (sc_promote_nt_regs & (1u << r))
			fputs(sc_text_thunk(r, true).c_str(), asm_out_file);
	}
	fputs(sc_text_object().c_str(), asm_out_file);
	fputs(sc_att_end(), asm_out_file);
	in_section = NULL; // GCC re-emits its own section directive
}

// cc1 -flto: mark each function the unit defines for lto1 (and for the
// inline form, in a promote-inline unit).
static void sc_promote_mark_for_lto(void *gcc_data, void *)
{
	tree fn = (tree)gcc_data;
	if (!sc_lto_compile() || !fn || TREE_CODE(fn) != FUNCTION_DECL ||
	    lookup_attribute(SC_LTO_PROMOTE_ATTR, DECL_ATTRIBUTES(fn)))
		return;
	DECL_ATTRIBUTES(fn) = tree_cons(get_identifier(SC_LTO_PROMOTE_ATTR),
					NULL_TREE, DECL_ATTRIBUTES(fn));
	if (sc_opt_promote_inline)
		DECL_ATTRIBUTES(fn) =
			tree_cons(get_identifier(SC_LTO_INLINE_ATTR), NULL_TREE,
				  DECL_ATTRIBUTES(fn));
}

// The pass and the thunks (lto1 and units compiling code).
static void sc_register_promote_pass(const char *plugin_name)
{
	struct register_pass_info flags;
	flags.pass = new sc_flags_pass(g);
	flags.reference_pass_name = "vartrack";
	flags.ref_pass_instance_number = 1;
	flags.pos_op = PASS_POS_INSERT_BEFORE;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &flags);
	struct register_pass_info info;
	info.pass = new sc_promote_pass(g);
	info.reference_pass_name = "shorten";
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_BEFORE;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
	register_callback(plugin_name, PLUGIN_FINISH_UNIT,
			  sc_promote_finish_unit, NULL);
}

void sc_register_promote(const char *plugin_name)
{
	// lto1 does not know which functions wanted the plain thunk
	if (sc_opt_promote_plain && (flag_generate_lto || in_lto_p)) {
		error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE_PLAIN
		      " does not support -flto yet",
		      plugin_name);
		return;
	}
	if (sc_opt_promote_inline && sc_opt_promote_plain) {
		error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE_INLINE
		      " does not support -fplugin-arg-...-" SC_OPT_PROMOTE_PLAIN
		      " yet",
		      plugin_name);
		return;
	}
#ifdef SC_TARGET_AARCH64
	if (sc_opt_promote_inline) {
		error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE_INLINE
		      " is x86-64 only",
		      plugin_name);
		return;
	}
	if (sc_opt_promote_plain) {
		error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE_PLAIN
		      " is x86-64 only",
		      plugin_name);
		return;
	}
#endif
	register_callback(plugin_name, PLUGIN_ATTRIBUTES,
			  sc_on_promote_attributes, NULL);
	register_callback(plugin_name, PLUGIN_FINISH_PARSE_FUNCTION,
			  sc_promote_mark_for_lto, NULL);
	sc_register_promote_pass(plugin_name);
}

// Loaded without the promote argument (a link's gcc_ldflags): lto1
// records the sites of the functions units compiled in promote mode
// marked; anywhere else the gate finds nothing to do.
void sc_register_promote_link(const char *plugin_name)
{
	sc_register_promote_pass(plugin_name);
}
