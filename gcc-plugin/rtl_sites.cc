// rtl_sites.cc - runs just before "shorten" (after it, final crashes): in
// front of every call/sibcall to a trampoline put the site record (an
// ASM_INPUT insn; text from emit_asm.cc), so the label is the exact address
// of the call instruction, and its source file and line for the runtime's
// reports. A trampoline symbol anywhere else is a bug.
#include "keys.h"

static unsigned sc_site_counter; // per unit: labels are local

static const pass_data sc_rtl_pass_data = {
	RTL_PASS,
	"staticcall_sites", // name
	OPTGROUP_NONE,	    TV_NONE, 0, 0, 0, 0, 0,
};

// The key whose trampoline INSN calls (or jumps to), or NULL.
static sc_key *sc_call_target_key(rtx_insn *insn)
{
	rtx call = get_call_rtx_from(insn);
	if (!call)
		return NULL;
	rtx mem = XEXP(call, 0);
	if (!MEM_P(mem))
		return NULL;
	return sc_key_for_symbol(XEXP(mem, 0));
}

// Does INSN call the key's NULL-safe trampoline (a guarded site)?
static bool sc_call_is_cond(rtx_insn *insn)
{
	rtx call = get_call_rtx_from(insn);
	return call && MEM_P(XEXP(call, 0)) &&
	       sc_symbol_is_cond(XEXP(XEXP(call, 0), 0));
}

// Number of trampoline symbols referenced by X.
static unsigned sc_count_tramp_refs(rtx x)
{
	unsigned n = 0;
	subrtx_iterator::array_type array;
	FOR_EACH_SUBRTX(iter, array, x, ALL) {
		if (GET_CODE(*iter) == SYMBOL_REF && sc_key_for_symbol(*iter))
			n++;
	}
	return n;
}

// The empty asm naming a key and its trampoline that lto.cc puts at the
// entry of functions compiled for -flto: a reference, not a call.
static bool sc_is_lto_reference(rtx_insn *insn)
{
	if (!in_lto_p && !flag_generate_lto)
		return false;
	if (asm_noperands(PATTERN(insn)) < 0)
		return false;
	const char *templ = decode_asm_operands(PATTERN(insn), NULL, NULL, NULL,
						NULL, NULL);
	return templ && !templ[0];
}

namespace {
class sc_rtl_pass : public rtl_opt_pass {
      public:
	sc_rtl_pass(gcc::context *ctx)
		: rtl_opt_pass(sc_rtl_pass_data, ctx)
	{
	}
	bool gate(function *) final override { return !sc_keys_all().empty(); }
	unsigned int execute(function *) final override
	{
		for (rtx_insn *insn = get_insns(); insn;
		     insn = NEXT_INSN(insn)) {
			if (!INSN_P(insn) || sc_is_lto_reference(insn))
				continue;
			sc_key *k = CALL_P(insn) ? sc_call_target_key(insn) :
						   NULL;
			unsigned refs = sc_count_tramp_refs(PATTERN(insn));
			if (refs != (k ? 1u : 0u)) {
				error_at(INSN_LOCATION(insn),
					 "staticcall: internal error: a "
					 "trampoline is referenced other than "
					 "as a call target");
				continue;
			}
			if (!k)
				continue;
			bool tail = SIBLING_CALL_P(insn);
			bool cond = sc_call_is_cond(insn);
			// The call's source location: GCC tracks it
			// with or without -g.
			expanded_location loc =
				expand_location(INSN_LOCATION(insn));
			const char *text = sc_asm_site_record(sc_site_counter++,
							      k->name, tail,
							      cond, loc.file,
							      loc.line);
			rtx body = gen_rtx_ASM_INPUT_loc(VOIDmode,
							 ggc_strdup(text),
							 INSN_LOCATION(insn));
			// volatile: nothing may move or drop the record
			MEM_VOLATILE_P(body) = 1;
			emit_insn_before(body, insn);
			if (cond)
				k->has_cond_site = true;
			else
				k->has_site = true;
		}
		return 0;
	}
};
} // namespace

void sc_register_rtl_pass(const char *plugin_name)
{
	struct register_pass_info info;
	info.pass = new sc_rtl_pass(g);
	info.reference_pass_name = "shorten";
	info.ref_pass_instance_number = 1;
	info.pos_op = PASS_POS_INSERT_BEFORE;
	register_callback(plugin_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &info);
}
