// promote.cc - promotable indirect-call sites with Clang (issue 16,
// docs/ABI.md "Promotable sites"), with -fplugin-arg-staticcall_clang-promote
// and -mretpoline-external-thunk: the code generator then emits every
// indirect call and tail call as `call/jmp __x86_indirect_thunk_r11`.
// LLVM lowers calls after the last IR pass, so (as site_anchors.cc does for
// static calls) the record is an anchor: an inline asm right before each
// indirect call, at the end of the optimizer (OptimizerLastEP, after
// inlining), that the runtime decodes forward from to the first control
// transfer, the call or tail jump. The assembler aligns every call and jmp
// so its 5 bytes lie in one aligned quadword (LLVM's branch alignment,
// -x86-align-branch-boundary=8, set here), and the module defines the
// thunk, hidden and comdat (plugin-common/promote_text.cc, as GCC's
// promote.cc). __attribute__((staticcall_no_promote)) on a function leaves
// its calls unrecorded and unsampled: they keep LLVM's own retpoline.
//
// arm64, with -mharden-sls=blr: the code generator emits every indirect
// call as `bl __llvm_slsblr_thunk_xN`, a thunk of its own it defines in
// the module (hidden, comdat), whose register it picks after this pass.
// The anchors are the same, their records say so (SC_PROMOTE_SLS): the
// runtime checks that thunk word for word, learns the register from it
// and points the `bl` at a sampling entry of its own (docs/PATCHING.md).
// Tail calls stay `br` (not hardened by -mharden-sls=blr): no anchor.
#include <set>
#include <string>
#include <vector>

#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/TargetOptions.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"

#include "annotations.h"
#include "clang_compat.h"
#include "ir_pass.h"
#include "promote_text.h"

using namespace clang;

#define SC_NO_PROMOTE_ATTR "staticcall_no_promote"
#define SC_NO_PROMOTE_ANNOTATION "staticcall.no_promote"
// The register LLVM's external retpoline thunks take (X86 backend: r11 in
// 64-bit code for every call it lowers through them).
#define SC_CLANG_THUNK_REG 11

namespace {

struct SCNoPromoteAttrInfo : public ParsedAttrInfo {
	SCNoPromoteAttrInfo()
	{
		static const Spelling S[] = {
			{ ParsedAttr::AS_GNU, SC_NO_PROMOTE_ATTR },
		};
		Spellings = S;
	}

	bool diagAppertainsToDecl(Sema &S, const ParsedAttr &attr,
				  const Decl *d) const override
	{
		if (isa<FunctionDecl>(d))
			return true;
		DiagnosticsEngine &de = S.getDiagnostics();
		de.Report(attr.getLoc(),
			  de.getCustomDiagID(DiagnosticsEngine::Warning,
					     "'" SC_NO_PROMOTE_ATTR
					     "' applies to functions only"));
		return false;
	}

	AttrHandling handleDeclAttribute(Sema &S, Decl *d,
					 const ParsedAttr &attr) const override
	{
		auto *fd = dyn_cast<FunctionDecl>(d);
		if (!fd)
			return AttributeNotApplied;
		// (rides to the IR in llvm.global.annotations)
		fd->addAttr(sc_compat::annotate_attr(S.getASTContext(),
						     SC_NO_PROMOTE_ANNOTATION,
						     attr.getLoc()));
		return AttributeApplied;
	}
};

// Set an LLVM command-line option as -mllvm would, unless the command
// line set it already (the user's wins). False if there is no such option.
bool sc_set_llvm_option(const char *name, const std::string &value)
{
	auto &opts = llvm::cl::getRegisteredOptions();
	auto it = opts.find(name);
	if (it == opts.end())
		return false;
	llvm::cl::Option *o = it->second;
	if (o->getNumOccurrences())
		return true;
	return !o->addOccurrence(0, name, value);
}

bool sc_option_given(const char *name)
{
	auto &opts = llvm::cl::getRegisteredOptions();
	auto it = opts.find(name);
	return it != opts.end() && it->second->getNumOccurrences();
}

// Functions marked staticcall_no_promote (their annotation).
std::set<const llvm::Function *> sc_opted_out(llvm::Module &m)
{
	std::set<const llvm::Function *> out;
	sc_each_annotation(m, [&out](llvm::Function *f, llvm::StringRef a) {
		if (a == SC_NO_PROMOTE_ANNOTATION)
			out.insert(f);
	});
	return out;
}

// Is `feature` on in F's target features?
bool sc_has_feature(const llvm::Function &f, const char *feature)
{
	llvm::Attribute a = f.getFnAttribute("target-features");
	return a.isValid() && a.isStringAttribute() &&
	       a.getValueAsString().contains(feature);
}

// Does the code generator lower F's indirect calls to the external thunks
// (x86-64), to its SLS thunks (arm64)?
bool sc_uses_external_thunk(const llvm::Function &f, sc_target target)
{
	return sc_has_feature(f, target == sc_target::aarch64 ?
					 "+harden-sls-blr" :
					 "+retpoline-external-thunk");
}

// (arm64) Will the code generator likely make cb a tail call (`br`, no
// thunk: no site)? A call marked tail right before the return of its
// value: what it considers for a sibling call.
bool sc_tail_position(const llvm::CallBase *cb)
{
	auto *ci = llvm::dyn_cast<llvm::CallInst>(cb);
	if (!ci || !ci->isTailCall())
		return false;
	const llvm::Instruction *next = ci->getNextNonDebugInstruction();
	auto *ret = llvm::dyn_cast_or_null<llvm::ReturnInst>(next);
	return ret && (!ret->getReturnValue() || ret->getReturnValue() == ci);
}

// Opted out: F calls LLVM's own retpoline thunk (__llvm_retpoline_r11,
// which the code generator adds, comdat), not the unit's sampling one.
void sc_use_llvm_retpoline(llvm::Function &f)
{
	std::string fs =
		f.getFnAttribute("target-features").getValueAsString().str();
	const std::string ext = "+retpoline-external-thunk";
	size_t at = fs.find(ext);
	if (at == std::string::npos)
		return;
	fs[at] = '-';
	f.addFnAttr("target-features", fs);
}

// The anchor of one site; ${:uid}: a label unique to each copy the code
// generator makes of the asm. A `nop` first with a line table (see
// site_anchors.cc: a pending `.loc` must not give its row to the record).
void sc_insert_promote_anchor(llvm::CallBase *cb, bool debug, sc_target target)
{
	llvm::LLVMContext &ctx = cb->getContext();
	const bool a64 = target == sc_target::aarch64;
	const std::string label = ".Lsc_pranchor_${:uid}";
	std::string text =
		a64 ? sc_text_promote_anchor_sls_a64(label) :
		      sc_text_promote_anchor(label, SC_CLANG_THUNK_REG);
	if (debug)
		text = "\tnop\n" + text;
	llvm::InlineAsm *ia = llvm::InlineAsm::get(
		llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
		text, a64 ? "" : "~{dirflag},~{fpsr},~{flags}",
		/*hasSideEffects=*/true);
	llvm::IRBuilder<> b(cb);
	llvm::CallInst *anchor = b.CreateCall(ia);
	anchor->setDoesNotThrow();
	anchor->addFnAttr(llvm::Attribute::NoMerge);
	anchor->setDebugLoc(llvm::DebugLoc());
	// Two calls merged into one would leave two anchors for one site.
	cb->addFnAttr(llvm::Attribute::NoMerge);
}

bool sc_emits_line_table(const llvm::Function &f)
{
	const llvm::DISubprogram *sp = f.getSubprogram();
	return sp && sp->getUnit() &&
	       sp->getUnit()->getEmissionKind() != llvm::DICompileUnit::NoDebug;
}

} // namespace

static ParsedAttrInfoRegistry::Add<SCNoPromoteAttrInfo>
	sc_no_promote_reg(SC_NO_PROMOTE_ATTR,
			  "staticcall: keep a function's indirect calls "
			  "on the retpoline");

void sc_promote_setup(CompilerInstance &ci)
{
	if (!sc_global().promote)
		return;
	DiagnosticsEngine &de = ci.getDiagnostics();
	auto err = [&de](const std::string &msg) {
		de.Report(de.getCustomDiagID(DiagnosticsEngine::Error, "%0"))
			<< "staticcall: -fplugin-arg-" SC_PLUGIN_NAME
			   "-" SC_OPT_PROMOTE
			   " " + msg;
	};
	const clang::TargetOptions &to = ci.getTargetOpts();
	const llvm::Triple::ArchType arch = llvm::Triple(to.Triple).getArch();
	if (arch != llvm::Triple::x86_64 && arch != llvm::Triple::aarch64) {
		err("is x86-64 and arm64 only");
		return;
	}
	// Under -flto the link generates the code, without this plugin's
	// pass and options: the sites would be unaligned and the thunk
	// undefined.
	const CodeGenOptions &cg = ci.getCodeGenOpts();
	if (cg.PrepareForLTO || cg.PrepareForThinLTO) {
		err("does not support -flto yet");
		return;
	}
	if (arch == llvm::Triple::aarch64) {
		// every indirect call `bl` to an SLS thunk (any instruction
		// lies in one aligned word: nothing to align)
		bool sls = false;
		for (const std::string &f : to.Features)
			sls |= f == "+harden-sls-blr";
		if (!sls)
			err("needs -mharden-sls=blr on arm64 (pkg-config "
			    "--variable=clang_promote_cflags staticcall)");
		return;
	}
	bool thunk = false;
	for (const std::string &f : to.Features)
		thunk |= f == "+retpoline-external-thunk";
	if (!thunk) {
		err("needs -mretpoline-external-thunk (pkg-config "
		    "--variable=clang_promote_cflags staticcall)");
		return;
	}
	// Every call and jmp the code generator emits lies in one aligned
	// quadword (8-byte boundary, never crossed nor ended at: it starts
	// at 0, 1 or 2 of it), so the runtime re-targets a site with one
	// word. (With -mbranches-within-32B-boundaries, whose branches this
	// keeps within 32 bytes too, its kinds stay aligned.)
	std::string kinds = "call+jmp";
	if (sc_option_given("x86-branches-within-32B-boundaries"))
		kinds += "+fused+jcc";
	if (!sc_set_llvm_option("x86-align-branch-boundary", "8") ||
	    !sc_set_llvm_option("x86-align-branch", kinds))
		err("cannot set the code generator's branch alignment "
		    "(-x86-align-branch)");
}

bool sc_promote_module(llvm::Module &m)
{
	sc_target target;
	if (!sc_global().promote || !sc_module_target(m, &target) ||
	    (target != sc_target::x86_64 && target != sc_target::aarch64))
		return false;
	const bool a64 = target == sc_target::aarch64;
	// A CS prefix makes the call 6 bytes: not a site shape the runtime
	// patches (yet); as GCC's promote.cc.
	if (auto *c = llvm::mdconst::extract_or_null<llvm::ConstantInt>(
		    m.getModuleFlag("indirect_branch_cs_prefix")))
		if (!c->isZero())
			return false;
	std::set<const llvm::Function *> out = sc_opted_out(m);
	bool thunk = false;
	for (llvm::Function &f : m) {
		if (f.isDeclaration() || !sc_uses_external_thunk(f, target))
			continue;
		// (the static-call trampolines' slow path calls the thunk
		// too, whatever F is)
		thunk = true;
		if (out.count(&f)) {
			sc_use_llvm_retpoline(f);
			continue;
		}
		std::vector<llvm::CallBase *> calls;
		for (llvm::BasicBlock &bb : f)
			for (llvm::Instruction &i : bb) {
				auto *cb = llvm::dyn_cast<llvm::CallBase>(&i);
				if (cb && cb->isIndirectCall() &&
				    !llvm::isa<llvm::CallBrInst>(cb) &&
				    !(a64 && sc_tail_position(cb)))
					calls.push_back(cb);
			}
		bool debug = sc_emits_line_table(f);
		for (llvm::CallBase *cb : calls)
			sc_insert_promote_anchor(cb, debug, target);
	}
	if (!thunk)
		return false;
	if (a64) { // the thunks are the code generator's
		m.appendModuleInlineAsm("\t.pushsection .text\n"
					"\t// staticcall: promotable sites' "
					"table (docs/ABI.md)\n" +
					sc_text_promote_object_a64() +
					"\t.popsection\n");
		return true;
	}
	m.appendModuleInlineAsm(
		"\t.pushsection .text\n"
		"\t# staticcall: promotable sites' thunk and table "
		"(docs/ABI.md)\n" +
		sc_text_promote_thunk(SC_CLANG_THUNK_REG) +
		sc_text_promote_object() + "\t.popsection\n");
	return true;
}
