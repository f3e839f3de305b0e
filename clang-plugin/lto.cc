// lto.cc - -flto on the Clang side (gcc-plugin/lto.cc is GCC's, which
// works): refused for now. The site and key tables are module asm written
// by the IR pass at compile time; a full or thin LTO link would merge the
// modules' asm (two units' tables and `static` keys of one name in one
// text) and rename the globals it names, so the plugin would have to run
// in the linker's LTO pipeline instead (docs/GUIDE.md, "Link-time
// optimisation").
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"

#include "keys.h"

void sc_check_lto(clang::CompilerInstance &ci)
{
	clang::DiagnosticsEngine &de = ci.getDiagnostics();
	const clang::CodeGenOptions &cg = ci.getCodeGenOpts();
	if (cg.PrepareForLTO || cg.PrepareForThinLTO)
		de.Report(de.getCustomDiagID(clang::DiagnosticsEngine::Error,
					     SC_DIAG_LTO));
}
