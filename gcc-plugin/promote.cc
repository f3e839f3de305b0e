// promote.cc - promotable indirect-call sites (issue 16, docs/ABI.md
// "Promotable sites"), with -fplugin-arg-staticcall_gcc-promote. In a
// function GCC compiles with -mindirect-branch=thunk-extern (the option or
// the function's indirect_branch("thunk-extern") attribute) every
// indirect call and tail call is `call/jmp __x86_indirect_thunk_<reg>`;
// just before "shorten" this pass puts a record (an ASM_INPUT insn, as
// rtl_sites.cc does for static-call sites) right before each, so its
// label is the call instruction, and at the end of the unit defines the
// thunks those sites call, hidden and comdat (plugin-common/
// promote_text.cc). A function marked __attribute__((staticcall_no_promote))
// keeps its thunk calls unrecorded: they stay on the retpoline.
#include "keys.h"
#include "promote_text.h"
#ifndef SC_TARGET_AARCH64
#include "config/i386/i386-opts.h"
#endif

bool sc_opt_promote;

#define SC_NO_PROMOTE_ATTR "staticcall_no_promote"

#ifdef SC_TARGET_AARCH64
void sc_register_promote(const char *plugin_name)
{
	error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE
	      " is x86-64 only for now",
	      plugin_name);
}
#else
static unsigned sc_promote_counter; // per unit: labels are local
static unsigned sc_promote_regs;    // bit N: the unit calls thunk N

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

// The x86 register an indirect call goes through, if GCC prints it as a
// call to its external thunk; -1 otherwise.
static int sc_thunk_call_reg(rtx_insn *insn)
{
	rtx call = get_call_rtx_from(insn);
	if (!call || !MEM_P(XEXP(call, 0)))
		return -1;
	rtx addr = XEXP(XEXP(call, 0), 0);
	if (!REG_P(addr) || !HARD_REGISTER_P(addr))
		return -1;
	const char *n = reg_names[REGNO(addr)];
	// GCC names the 64-bit GPRs "ax", "r8"...; the thunks "rax", "r8".
	std::string name = n[0] == 'r' ? n : std::string("r") + n;
	return sc_promote_reg_number(name);
}

// The register of an indirect jump that is not a call (a computed goto,
// a jump table): GCC prints it as `jmp __x86_indirect_thunk_<reg>` too.
// It has no return address to name it, so it is not recorded, but the
// unit must define that thunk. -1 otherwise.
static int sc_thunk_jump_reg(rtx_insn *insn)
{
	if (!JUMP_P(insn))
		return -1;
	rtx pat = PATTERN(insn);
	if (GET_CODE(pat) == PARALLEL) // tablejump: (set pc reg) (use label)
		pat = XVECEXP(pat, 0, 0);
	if (GET_CODE(pat) != SET || SET_DEST(pat) != pc_rtx)
		return -1;
	rtx src = SET_SRC(pat);
	if (!REG_P(src) || !HARD_REGISTER_P(src))
		return -1;
	const char *n = reg_names[REGNO(src)];
	std::string name = n[0] == 'r' ? n : std::string("r") + n;
	return sc_promote_reg_number(name);
}

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

namespace {
class sc_promote_pass : public rtl_opt_pass {
      public:
	sc_promote_pass(gcc::context *ctx)
		: rtl_opt_pass(sc_promote_pass_data, ctx)
	{
	}
	bool gate(function *fn) final override
	{
		if (!TARGET_64BIT || !fn->machine ||
		    fn->machine->indirect_branch_type !=
			    indirect_branch_thunk_extern)
			return false;
#ifdef ix86_indirect_branch_cs_prefix
		// A CS prefix makes the call 6 bytes: not a site shape
		// the runtime patches (yet).
		if (ix86_indirect_branch_cs_prefix)
			return false;
#endif
		return true;
	}
	unsigned int execute(function *fn) final override
	{
		// opted out: its calls stay unrecorded, but on the thunks this
		// unit must define
		bool record = !lookup_attribute(SC_NO_PROMOTE_ATTR,
						DECL_ATTRIBUTES(fn->decl));
		for (rtx_insn *insn = get_insns(); insn;
		     insn = NEXT_INSN(insn)) {
			if (!CALL_P(insn)) {
				int jreg = sc_thunk_jump_reg(insn);
				if (jreg >= 0) // its thunk, no record
					sc_promote_regs |= 1u << jreg;
				continue;
			}
			int reg = sc_thunk_call_reg(insn);
			if (reg < 0)
				continue;
			sc_promote_regs |= 1u << reg;
			if (!record)
				continue;
			std::string label =
				".Lsc_promote_" +
				std::to_string(sc_promote_counter++);
			std::string text = sc_text_promote_site(
				label, reg, SIBLING_CALL_P(insn));
			rtx body = gen_rtx_ASM_INPUT_loc(
				VOIDmode, ggc_strdup(text.c_str()),
				INSN_LOCATION(insn));
			MEM_VOLATILE_P(body) = 1; // never moved or dropped
			emit_insn_before(body, insn);
		}
		return 0;
	}
};
} // namespace

static void sc_promote_finish_unit(void *, void *)
{
	// The unit's static-call trampolines (emit_asm.cc, after this hook)
	// take `jmp __x86_indirect_thunk_r11` under thunk-extern: defined
	// here too, or a unit with static calls and promotion fails to link.
	for (const sc_key *k : sc_keys_all())
		if (k->has_site || k->has_store || k->has_cond_site)
			sc_promote_regs |= 1u << 11;
	if (!asm_out_file || seen_error() || !sc_promote_regs)
		return;
	fputs("\t# staticcall: promotable sites' thunks and table "
	      "(docs/ABI.md)\n",
	      asm_out_file);
	for (int r = 0; r < 16; r++)
		if (sc_promote_regs & (1u << r))
			fputs(sc_text_promote_thunk(r).c_str(), asm_out_file);
	fputs(sc_text_promote_object().c_str(), asm_out_file);
	in_section = NULL; // GCC re-emits its own section directive
}

void sc_register_promote(const char *plugin_name)
{
	// Under -flto lto1 generates the code, and the link does not pass
	// the promote argument: the sites would call thunks nobody defines.
	if (flag_generate_lto || in_lto_p) {
		error("staticcall: -fplugin-arg-%s-" SC_OPT_PROMOTE
		      " does not support -flto yet",
		      plugin_name);
		return;
	}
	register_callback(plugin_name, PLUGIN_ATTRIBUTES,
			  sc_on_promote_attributes, NULL);
	struct register_pass_info info;
	info.pass = new sc_promote_pass(g);
	info.reference_pass_name = "shorten";
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_BEFORE;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
	register_callback(plugin_name, PLUGIN_FINISH_UNIT,
			  sc_promote_finish_unit, NULL);
}
#endif
