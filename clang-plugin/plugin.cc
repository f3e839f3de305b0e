// plugin.cc - entry point of the Clang side: a PluginASTAction run before
// the main action (no -plugin flag needed) that predefines
// __STATICCALL_PLUGIN__, checks -flto (lto.cc), reads the plugin arguments, hands
// the IR pass (ir_pass.cc) to the code generator, and gives the parsed unit
// to the attribute's layout check (attribute.cc) and the AST checks
// (ast_checks.cc).
#include <dlfcn.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"

#include "clang_compat.h"
#include "keys.h"

using namespace clang;

namespace {
// The unit as the parser hands it over: the layout check of each finished
// structure (attribute.cc), then the checks of the whole unit
// (ast_checks.cc).
class SCConsumer : public ASTConsumer {
      public:
	void HandleTranslationUnit(ASTContext &ctx) override
	{
		sc_check_unit(ctx);
		sc_check_fragments(ctx);
	}

	void HandleTagDeclDefinition(TagDecl *td) override
	{
		sc_check_finished_record(td);
	}
};

#if !SC_HAVE_PASS_BUILDER_CALLBACKS
// Path of this shared object (for CodeGenOptions::PassPlugins).
static std::string sc_self_path()
{
	Dl_info info;
	if (dladdr(reinterpret_cast<void *>(&sc_global), &info) &&
	    info.dli_fname)
		return info.dli_fname;
	return std::string();
}
#endif

class SCAction : public PluginASTAction {
      protected:
	std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &CI,
						       llvm::StringRef) override
	{
		CodeGenOptions &cg = CI.getCodeGenOpts();
		sc_check_lto(CI);
		sc_promote_setup(CI);

		// staticcall.h turns STATIC_CALL on when this is defined. The
		// predefines buffer is entered when parsing starts, after this.
		if (CI.hasPreprocessor()) {
			Preprocessor &pp = CI.getPreprocessor();
			pp.setPredefines(pp.getPredefines() +
					 "#ifndef __STATICCALL_PLUGIN__\n"
					 "#define __STATICCALL_PLUGIN__ 1\n"
					 "#endif\n");
		}

		// Site records carry the call's file:line (the runtime's
		// reports): have Clang keep locations even without -g. Code
		// generation reads the option after this, and it emits no
		// debug info and changes no code.
		sc_compat::track_locations(cg);
		// (A prefix map may rename files in the locations, which the
		// type fact of struct copies matches: ast_checks.cc.)
		sc_global().debug_prefix_map = !cg.DebugPrefixMap.empty();

		// The code generator reads its options when it emits the
		// module, after this: add the IR pass now.
#if SC_HAVE_PASS_BUILDER_CALLBACKS
		cg.PassBuilderCallbacks.push_back(sc_register_pass_callbacks);
#else
		DiagnosticsEngine &de = CI.getDiagnostics();
		std::string self = sc_self_path();
		if (self.empty())
			de.Report(de.getCustomDiagID(
				DiagnosticsEngine::Error,
				"staticcall: cannot find the plugin's own path; "
				"add -fpass-plugin=<path to staticcall_clang.so>"));
		else if (std::find(cg.PassPlugins.begin(), cg.PassPlugins.end(),
				   self) == cg.PassPlugins.end())
			cg.PassPlugins.push_back(self);
#endif
		return std::make_unique<SCConsumer>();
	}

	bool ParseArgs(const CompilerInstance &CI,
		       const std::vector<std::string> &args) override
	{
		sc_state &st = sc_global();
		DiagnosticsEngine &de = CI.getDiagnostics();
		for (const std::string &a : args) {
			if (a == SC_OPT_STRICT)
				st.strict = true;
			else if (a == SC_OPT_REPORT)
				st.report = true;
			else if (a == SC_OPT_PROMOTE)
				st.promote = true;
			else
				de.Report(de.getCustomDiagID(
					DiagnosticsEngine::Error,
					SC_DIAG_UNKNOWN_ARG(SC_PLUGIN_NAME,
							    "%0")))
					<< a;
		}
		return true;
	}

	ActionType getActionType() override
	{
		return AddBeforeMainAction;
	}
};
} // namespace

static FrontendPluginRegistry::Add<SCAction>
	sc_action_reg(SC_PLUGIN_NAME,
		      "staticcall: patchable direct calls through "
		      "__attribute__((static_call)) function pointers");
