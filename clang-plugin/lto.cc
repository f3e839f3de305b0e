// lto.cc - -flto and -flto=thin on the Clang side (docs/GUIDE.md,
// "Link-time optimisation"; gcc-plugin/lto.cc is GCC's). With LLVM >= 19
// the IR pass then rewrites calls and stores as always but tags each with
// an operand bundle naming its key and writes neither anchors nor tables:
// lld runs the plugin's link-time pass (staticcall_clang_lto.so,
// lto_pass.cc, `clang_ldflags`) on the final, merged IR, which writes them
// under the names the link gave. Older Clang (whose lld has no
// --load-pass-plugin, or no full-LTO extension point) refuses -flto.
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"
#include "llvm/Config/llvm-config.h"

#include "keys.h"

void sc_check_lto(clang::CompilerInstance &ci)
{
	const clang::CodeGenOptions &cg = ci.getCodeGenOpts();
	if (!cg.PrepareForLTO && !cg.PrepareForThinLTO)
		return;
	clang::DiagnosticsEngine &de = ci.getDiagnostics();
#if LLVM_VERSION_MAJOR >= 19
	sc_global().lto = true;
	// A fat object's code is generated here, from IR whose sites only
	// the link-time pass completes.
	if (cg.FatLTO)
		de.Report(de.getCustomDiagID(
			clang::DiagnosticsEngine::Error,
			"staticcall: -ffat-lto-objects is not supported with "
			"Clang (link the IR with -flto and clang_ldflags)"));
#else
	de.Report(de.getCustomDiagID(clang::DiagnosticsEngine::Error,
				     SC_DIAG_LTO));
#endif
}
