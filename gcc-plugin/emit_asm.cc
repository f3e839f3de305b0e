// emit_asm.cc - hands GCC's view of the unit (key linkage, PIC, retpoline
// and IBT options) to the assembly text shared with the Clang plugin
// (plugin-common/asm_text.cc, docs/ABI.md).
#include "keys.h"
#include "asm_text.h"
#include "staticcall_abi.h"
#ifndef SC_TARGET_AARCH64
#include "config/i386/i386-opts.h"
#endif

// The target this copy of the plugin was built for: gcc-plugin/meson.build
// builds the same source against each compiler's plugin headers, with
// -DSC_TARGET_AARCH64 for aarch64-linux-gnu-gcc.
#ifdef SC_TARGET_AARCH64
static const sc_target sc_unit_target = sc_target::aarch64;
#else
static const sc_target sc_unit_target = sc_target::x86_64;
#endif

// -masm=intel: GCC announces `.intel_syntax noprefix` at the top of the
// file and writes every instruction so; the plugin's text (x86: AT&T,
// as plugin-common writes it) switches the assembler back for itself.
static bool sc_unit_intel()
{
#ifdef SC_TARGET_AARCH64
	return false;
#else
	return ix86_asm_dialect == ASM_INTEL;
#endif
}

const char *sc_att_begin()
{
	return sc_unit_intel() ? "\t.att_syntax prefix\n" : "";
}

const char *sc_att_end()
{
	return sc_unit_intel() ? "\t.intel_syntax noprefix\n" : "";
}

std::string sc_att(const std::string &text)
{
	return sc_att_begin() + text + sc_att_end();
}

// Site record placed right before the call/jump: an exact site.
const char *sc_asm_site_record(unsigned n, const char *key_name, bool tail,
			       bool cond, const char *file, int line)
{
	static std::string text;
	const std::string label = ".Lsc_site_" + std::to_string(n);
	text = sc_text_site_record(label, key_name, tail, /*exact=*/true,
				   sc_unit_target, cond);
	if (file && line > 0)
		text += sc_text_site_line(label, file, (unsigned)line,
					  sc_unit_target);
	text = sc_att(text);
	return text.c_str();
}

// The unit's hardening decides the trampoline's slow path.
static sc_retpoline sc_unit_retpoline()
{
#ifdef SC_TARGET_AARCH64
	return sc_retpoline::none;
#else
	switch (ix86_indirect_branch) {
	case indirect_branch_thunk:
	case indirect_branch_thunk_inline:
		return sc_retpoline::inline_thunk;
	case indirect_branch_thunk_extern:
		return sc_retpoline::extern_thunk;
	default:
		return sc_retpoline::none;
	}
#endif
}

static void sc_emit_key(FILE *out, const sc_key *k)
{
	sc_key_text t;
	t.name = k->obj_name;
	t.offset = k->offset;
	t.global = TREE_PUBLIC(k->decl);
	t.pic = flag_pic;
	t.retpoline = sc_unit_retpoline();
#ifdef SC_TARGET_AARCH64
	t.ibt = aarch64_enable_bti; // -mbranch-protection=bti / standard
#else
	t.ibt = flag_cf_protection & CF_BRANCH;
#endif
	t.target = sc_unit_target;
	t.id = k->name;
	t.boot = k->offset < 0 && sc_is_boot_key(k->decl);
	if (k->has_site || k->has_store)
		fputs(sc_text_key(t).c_str(), out);
	// The NULL-safe trampoline of guarded sites, beside the plain one.
	if (k->has_cond_site) {
		t.cond = true;
		fputs(sc_text_key(t).c_str(), out);
	}
}

void sc_asm_emit_unit(FILE *out)
{
	fputs(sc_att_begin(), out);
	bool any = false;
	for (const sc_key *k : sc_keys_all()) {
		if (!k->has_site && !k->has_store && !k->has_cond_site)
			continue;
		if (!any)
			fprintf(out,
				"\t%s staticcall: trampolines, key "
				"descriptors, object table (docs/ABI.md)\n",
				sc_unit_target == sc_target::aarch64 ? "//" :
								       "#");
		sc_emit_key(out, k);
		any = true;
	}
	// (A unit defining fragments has their records to register.)
	if (any || sc_fragments_in_unit())
		fputs(sc_text_object(sc_unit_target).c_str(), out);
	fputs(sc_att_end(), out);
	// GCC must re-emit its own section directive for whatever follows.
	in_section = NULL;
}
