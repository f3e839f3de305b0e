// plugin.cc - entry point: version check, arguments, and the callbacks of
// the other files (attribute, GIMPLE pass, RTL pass, end-of-unit asm).
#include "keys.h"
#include "plugin-version.h"

int plugin_is_GPL_compatible;

// The C and C++ front ends define parse_in; lto1 (the link-time compiler,
// which loads the plugin under -flto) has no preprocessor and no such
// symbol: a weak reference lets the plugin load there.
#pragma weak parse_in

static struct plugin_info sc_info = {
	SC_PLUGIN_VERSION,
	"staticcall: patchable direct calls through "
	"__attribute__((" SC_ATTR_NAME ")) function pointers.\n"
	"  -fplugin-arg-staticcall_gcc-" SC_OPT_STRICT
	"  reject plain stores to keys\n"
	"  -fplugin-arg-staticcall_gcc-" SC_OPT_REPORT
	"  note every converted site\n"
	"  -fplugin-arg-staticcall_gcc-" SC_OPT_PROMOTE
	"  record indirect calls for promotion (docs/GUIDE.md)\n"
	"  -fplugin-arg-staticcall_gcc-" SC_OPT_PROMOTE_PLAIN
	"  the same, slow path `jmp *%reg` (no retpolines)",
};

// Predefine __STATICCALL_PLUGIN__ so staticcall.h turns STATIC_CALL on.
// PLUGIN_PRAGMAS runs before the main file is lexed, also with -E. It runs
// before debug info is initialised, so the define callback (which records
// macros for -g3) is switched off around the define: it would crash.
// Preprocessed input (a .i, -save-temps, ccache) has no macros to define:
// the define, done when it was preprocessed, crashed the lexer there.
static void sc_on_pragmas(void *, void *)
{
	if (!&parse_in || !parse_in || cpp_get_options(parse_in)->preprocessed)
		return;
	cpp_callbacks *cb = cpp_get_callbacks(parse_in);
	auto saved = cb->define;
	cb->define = NULL;
	cpp_define(parse_in, "__STATICCALL_PLUGIN__=1");
	cb->define = saved;
}

static void sc_on_finish_unit(void *, void *)
{
	// Under -flto the code, and so the tables, come from lto1 (lto.cc).
	if (asm_out_file && !seen_error() && sc_unit_emits_code())
		sc_asm_emit_unit(asm_out_file);
	if (sc_opt_report &&
	    (sc_stores_to_key || sc_stores_checked || sc_stores_key_free))
		inform(UNKNOWN_LOCATION, SC_DIAG_STORE_COUNTS("%u", "%u", "%u"),
		       sc_stores_to_key, sc_stores_checked, sc_stores_key_free);
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *ver)
{
	if (!plugin_default_version_check(ver, &gcc_version)) {
		error("staticcall: plugin built for GCC %s, not %s",
		      gcc_version.basever, ver->basever);
		return 1;
	}
	sc_plugin_name = info->base_name;
	for (int i = 0; i < info->argc; i++) {
		const char *key = info->argv[i].key;
		if (!strcmp(key, SC_OPT_STRICT))
			sc_opt_strict = true;
		else if (!strcmp(key, SC_OPT_REPORT))
			sc_opt_report = true;
		else if (!strcmp(key, SC_OPT_PROMOTE))
			sc_opt_promote = true;
		else if (!strcmp(key, SC_OPT_PROMOTE_PLAIN))
			sc_opt_promote = sc_opt_promote_plain = true;
		else if (!strcmp(key, SC_OPT_PROMOTE_INLINE))
			sc_opt_promote = sc_opt_promote_inline = true;
		else
			error(SC_DIAG_UNKNOWN_ARG("%s", "%s"), info->base_name,
			      key);
	}
	register_callback(info->base_name, PLUGIN_INFO, NULL, &sc_info);
	sc_keys_register_gc_roots(info->base_name);
	register_callback(info->base_name, PLUGIN_PRAGMAS, sc_on_pragmas, NULL);
	sc_register_attribute(info->base_name);
	sc_register_gimple_pass(info->base_name);
	sc_register_alias_pass(info->base_name);
	sc_register_rtl_pass(info->base_name);
	sc_register_fragments(info->base_name);
	if (sc_opt_promote)
		sc_register_promote(info->base_name);
	else
		sc_register_promote_link(info->base_name);
	register_callback(info->base_name, PLUGIN_FINISH_UNIT,
			  sc_on_finish_unit, NULL);
	return 0;
}
