// ir_pass.cc - the IR side (new pass manager, at PipelineStartEP, so before
// any optimisation and also at -O0):
//   %f = load ptr, ptr @K          call void asm sideeffect "<anchor record>"
//   call %f(args)            ->    call @__staticcall_tramp.K(args)
//   store ptr %v, ptr @K     ->    call void @__staticcall_store(ptr @K, ptr %v)
// plus, as module asm, the trampoline and descriptor of every key used and
// the per-object header (plugin-common/asm_text.cc, docs/ABI.md).
//
// The anchor is a side-effecting inline asm placed immediately before the
// call: the runtime decodes forward from it to the first control transfer,
// which is the call or tail jump to the trampoline (docs/ABI.md, DESIGN §4).
#include <map>
#include <string>
#include <vector>

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include "asm_text.h"
#include "clang_compat.h"
#include "keys.h"
#include "staticcall_abi.h"

using namespace llvm;

namespace {

// The anchor text for key K. `$` is the operand marker of inline asm
// templates: escape every literal one, then give the label a number unique
// to each emitted copy of the asm (the optimizer may duplicate it).
std::string sc_anchor_asm(const std::string &key, sc_target target,
			  bool debug)
{
	const std::string mark = "@SC_LABEL@";
	std::string text = sc_text_site_record(mark, key, false, false, target),
		    out;
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

// The global's symbol name (an asm label may carry LLVM's '\1' prefix).
std::string sc_symbol(const GlobalValue &gv)
{
	StringRef n = gv.getName();
	if (!n.empty() && n[0] == '\1')
		n = n.drop_front();
	return n.str();
}

GlobalVariable *sc_find_key(Module &m, const std::string &name)
{
	if (GlobalVariable *gv = m.getNamedGlobal(name))
		return gv;
	return m.getNamedGlobal("\1" + name);
}

bool sc_in_used_list(Module &m, const GlobalValue *gv)
{
	for (const char *list : {"llvm.used", "llvm.compiler.used"}) {
		GlobalVariable *u = m.getNamedGlobal(list);
		if (!u || !u->hasInitializer())
			continue;
		auto *arr = dyn_cast<ConstantArray>(u->getInitializer());
		if (!arr)
			continue;
		for (const Use &op : arr->operands())
			if (op.get()->stripPointerCasts() == gv)
				return true;
	}
	return false;
}

sc_retpoline sc_module_retpoline(const Module &m)
{
	sc_retpoline r = sc_retpoline::none;
	for (const Function &f : m) {
		if (f.isDeclaration())
			continue;
		Attribute a = f.getFnAttribute("target-features");
		if (!a.isValid() || !a.isStringAttribute())
			continue;
		StringRef fs = a.getValueAsString();
		if (fs.contains("+retpoline-external-thunk"))
			return sc_retpoline::extern_thunk;
		if (fs.contains("+retpoline-indirect-calls"))
			r = sc_retpoline::inline_thunk;
	}
	return r;
}

// IBT (x86-64, -fcf-protection=branch) or BTI (AArch64,
// -mbranch-protection=bti|standard).
bool sc_module_ibt(const Module &m, sc_target target)
{
	const char *flag = target == sc_target::aarch64
				   ? "branch-target-enforcement"
				   : "cf-protection-branch";
	if (auto *c = mdconst::extract_or_null<ConstantInt>(
		    m.getModuleFlag(flag)))
		return !c->isZero();
	return false;
}

struct SCPass : PassInfoMixin<SCPass> {
	PreservedAnalyses run(Module &m, ModuleAnalysisManager &);
	static bool isRequired() { return true; }
};

PreservedAnalyses SCPass::run(Module &m, ModuleAnalysisManager &)
{
	// The pass may be registered twice (PassBuilderCallbacks and an
	// explicit -fpass-plugin): run once per module.
	if (m.getNamedMetadata("staticcall.done"))
		return PreservedAnalyses::all();
	m.getOrInsertNamedMetadata("staticcall.done");

	sc_target target;
	switch (Triple(m.getTargetTriple()).getArch()) {
	case Triple::x86_64:
		target = sc_target::x86_64;
		break;
	case Triple::aarch64:
		target = sc_target::aarch64;
		break;
	default:
		return PreservedAnalyses::all(); // calls stay indirect
	}

	const sc_state &st = sc_global();
	LLVMContext &ctx = m.getContext();
	PointerType *ptr = sc_compat::ptr_type(ctx);
	bool changed = false;
	std::string text;

	for (const std::string &name : st.key_names) {
		GlobalVariable *gv = sc_find_key(m, name);
		if (!gv)
			continue;
		std::string K = sc_symbol(*gv);
		bool used = false;
		std::map<Function *, std::vector<CallBase *>> sites;

		// Snapshot the users: we rewrite while walking.
		SmallVector<User *, 16> users(gv->user_begin(), gv->user_end());
		for (User *u : users) {
			if (auto *ld = dyn_cast<LoadInst>(u)) {
				if (ld->getPointerOperand() != gv)
					continue;
				SmallVector<User *, 4> lusers(ld->user_begin(),
							      ld->user_end());
				for (User *lu : lusers) {
					auto *cb = dyn_cast<CallBase>(lu);
					if (!cb || cb->getCalledOperand() != ld ||
					    cb->isInlineAsm() ||
					    cb->isMustTailCall())
						continue;
					// The trampoline has the call's own
					// type, so the call keeps its ABI.
					FunctionType *fty = cb->getFunctionType();
					std::string tname =
						SC_ABI_TRAMP_PREFIX + K;
					FunctionCallee tr =
						m.getOrInsertFunction(tname, fty);
					if (Function *f = m.getFunction(tname)) {
						f->setVisibility(
							GlobalValue::HiddenVisibility);
						f->setDSOLocal(true);
					}
					cb->setCalledOperand(tr.getCallee());
					// Never merge two sites into one call
					// that one anchor would not precede.
					cb->addFnAttr(Attribute::NoMerge);
					sites[cb->getFunction()].push_back(cb);

					InlineAsm *ia = InlineAsm::get(
						FunctionType::get(
							Type::getVoidTy(ctx),
							false),
						sc_anchor_asm(
						K, target,
						cb->getFunction()->getSubprogram() !=
							nullptr),
						"~{dirflag},~{fpsr},~{flags}",
						/*hasSideEffects=*/true);
					IRBuilder<> b(cb);
					CallInst *anchor = b.CreateCall(ia);
					anchor->setDoesNotThrow();
					anchor->addFnAttr(Attribute::NoMerge);
					// No debug location (IRBuilder copied the
					// call's): a `.loc` before the asm would
					// give its row to the record's data in
					// __staticcall_sites and leave the call
					// without a line of its own.
					anchor->setDebugLoc(DebugLoc());
					used = changed = true;
				}
				// No DCE at -O0: drop a load that only fed
				// converted calls.
				if (ld->use_empty())
					ld->eraseFromParent();
			} else if (auto *si = dyn_cast<StoreInst>(u)) {
				if (si->getPointerOperand() != gv ||
				    si->isAtomic() ||
				    !si->getValueOperand()
					     ->getType()
					     ->isPointerTy())
					continue;
				// (strict mode: the AST check already
				// stopped the compilation.)
				FunctionCallee store = m.getOrInsertFunction(
					SC_ABI_STORE_FN,
					FunctionType::get(Type::getVoidTy(ctx),
							  {ptr, ptr}, false));
				if (Function *f = m.getFunction(SC_ABI_STORE_FN))
					f->setDoesNotThrow();
				IRBuilder<> b(si);
				CallInst *c = b.CreateCall(
					store,
					{b.CreatePointerCast(gv, ptr),
					 b.CreatePointerCast(
						 si->getValueOperand(), ptr)});
				c->setDebugLoc(si->getDebugLoc());
				si->eraseFromParent();
				used = changed = true;
			}
		}
		// The back end merges identical tail jumps of one function
		// (nomerge does not reach them), which would leave an anchor
		// before a jump to the shared `jmp trampoline`: with two sites
		// of one key in a function, those sites are plain calls.
		for (auto &fs : sites) {
			if (fs.second.size() < 2)
				continue;
			for (CallBase *cb : fs.second)
				if (auto *ci = dyn_cast<CallInst>(cb))
					ci->setTailCallKind(CallInst::TCK_NoTail);
		}
		if (!used)
			continue;

		// The module asm below names the key: keep it, even static.
		if (!gv->isDeclaration() && !sc_in_used_list(m, gv))
			appendToCompilerUsed(m, {gv});

		sc_key_text kt;
		kt.name = K;
		kt.global = !gv->hasLocalLinkage();
		kt.pic = m.getPICLevel() != PICLevel::NotPIC;
		kt.retpoline = target == sc_target::x86_64
				       ? sc_module_retpoline(m)
				       : sc_retpoline::none;
		kt.ibt = sc_module_ibt(m, target);
		kt.target = target;
		text += sc_text_key(kt);
	}

	if (!text.empty()) {
		text += sc_text_object(target);
		// Leave the section stack as the code generator expects it.
		m.appendModuleInlineAsm("\t.pushsection .text\n" + text +
					"\t.popsection\n");
	}
	return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace

void sc_register_pass_callbacks(PassBuilder &pb)
{
	pb.registerPipelineStartEPCallback(
		[](ModulePassManager &mpm, auto) { mpm.addPass(SCPass()); });
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return {LLVM_PLUGIN_API_VERSION, SC_PLUGIN_NAME, "0.1.0",
		sc_register_pass_callbacks};
}
