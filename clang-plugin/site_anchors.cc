// site_anchors.cc - the site record of each rewritten call (the GCC
// plugin's rtl_sites.cc puts its records at the call instruction itself):
// a side-effecting inline asm placed immediately before the call. The
// runtime decodes forward from it to the first control transfer, which is
// the call or tail jump to the trampoline (docs/ABI.md, anchors).
#include <string>

#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"

#include "ir_pass.h"

using namespace llvm;

namespace {

// The anchor text for key K. `$` is the operand marker of inline asm
// templates: escape every literal one, then give the label a number unique
// to each emitted copy of the asm (the optimizer may duplicate it).
std::string sc_anchor_asm(const std::string &key, sc_target target, bool debug,
			  bool cond, const DebugLoc &loc)
{
	const std::string mark = "@SC_LABEL@";
	std::string text = sc_text_site_record(mark, key, false, false, target,
					       cond),
		    out;
	// The call's source location, for the runtime's reports: present
	// without -g too (plugin.cc turns on location tracking).
	if (loc)
		text += sc_text_site_line(mark, loc->getFilename().str(),
					  loc.getLine(), target);
	for (char c : text) {
		if (c == '$')
			out += "$$";
		else
			out += c;
	}
	std::string label = ".Lsc_anchor_${:uid}";
	for (size_t p; (p = out.find(mark)) != std::string::npos;)
		out.replace(p, mark.size(), label);
	// With debug info the code generator may have a `.loc` pending when
	// the asm starts (the function's opening line, when the asm is its
	// first instruction). The record's data would take that line-table
	// row into __staticcall_sites: one instruction in the code section
	// takes it first. (The asm itself has no debug location, so the
	// call's own `.loc` comes after it.)
	if (debug)
		out = "\tnop\n" + out;
	return out;
}

// Will the code generator emit a line table for F (`.loc`)? Not with
// location tracking alone (plugin.cc): its compile unit says NoDebug.
bool sc_emits_debug_info(const Function &f)
{
	const DISubprogram *sp = f.getSubprogram();
	return sp && sp->getUnit() &&
	       sp->getUnit()->getEmissionKind() != DICompileUnit::NoDebug;
}

} // namespace

void sc_insert_anchor(CallBase *cb, const std::string &K, sc_target target,
		      bool cond)
{
	LLVMContext &ctx = cb->getContext();
	InlineAsm *ia = InlineAsm::get(
		FunctionType::get(Type::getVoidTy(ctx), false),
		sc_anchor_asm(K, target,
			      sc_emits_debug_info(*cb->getFunction()), cond,
			      cb->getDebugLoc()),
		"~{dirflag},~{fpsr},~{flags}",
		/*hasSideEffects=*/true);
	IRBuilder<> b(cb);
	CallInst *anchor = b.CreateCall(ia);
	anchor->setDoesNotThrow();
	anchor->addFnAttr(Attribute::NoMerge);
	// No debug location (IRBuilder copied the call's): a `.loc` before
	// the asm would give its row to the record's data in
	// __staticcall_sites and leave the call without a line of its own.
	anchor->setDebugLoc(DebugLoc());
}
