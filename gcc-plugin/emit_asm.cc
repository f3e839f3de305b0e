// emit_asm.cc - hands GCC's view of the unit (key linkage, PIC, retpoline
// and IBT options) to the assembly text shared with the Clang plugin
// (plugin-common/asm_text.cc, docs/ABI.md).
#include "keys.h"
#include "asm_text.h"
#include "staticcall_abi.h"
#include "config/i386/i386-opts.h"

// Site record placed right before the call/jump: an exact site.
const char *sc_asm_site_record(unsigned n, const char *key_name, bool tail)
{
	static std::string text;
	text = sc_text_site_record(".Lsc_site_" + std::to_string(n), key_name,
				   tail, /*exact=*/true);
	return text.c_str();
}

// The unit's hardening decides the trampoline's slow path.
static sc_retpoline sc_unit_retpoline()
{
	switch (ix86_indirect_branch) {
	case indirect_branch_thunk:
	case indirect_branch_thunk_inline:
		return sc_retpoline::inline_thunk;
	case indirect_branch_thunk_extern:
		return sc_retpoline::extern_thunk;
	default:
		return sc_retpoline::none;
	}
}

static void sc_emit_key(FILE *out, const sc_key *k)
{
	sc_key_text t;
	t.name = k->name;
	t.global = TREE_PUBLIC(k->decl);
	t.pic = flag_pic;
	t.retpoline = sc_unit_retpoline();
	t.ibt = flag_cf_protection & CF_BRANCH;
	fputs(sc_text_key(t).c_str(), out);
}

void sc_asm_emit_unit(FILE *out)
{
	bool any = false;
	for (const sc_key *k : sc_keys_all()) {
		if (!k->has_site && !k->has_store)
			continue;
		if (!any)
			fprintf(out, "\t# staticcall: trampolines, key "
				     "descriptors, object table (docs/ABI.md)\n");
		sc_emit_key(out, k);
		any = true;
	}
	if (any)
		fputs(sc_text_object().c_str(), out);
	// GCC must re-emit its own section directive for whatever follows.
	in_section = NULL;
}
