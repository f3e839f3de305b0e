// lto_pass.cc - the link-time half of Clang -flto / -flto=thin (lto.cc is
// the compile-time half): the pass of staticcall_clang_lto.so, which lld
// loads (`clang_ldflags`: -fuse-ld=lld -Wl,--load-pass-plugin=...) and runs
// at the end of the LTO optimisation of each module it generates code for:
// the one merged module of full LTO (before any --lto-partitions split,
// which copies the module asm into every part), each ThinLTO backend module
// (with the functions it imported). A separate shared object: the frontend
// plugin needs libclang-cpp, which lld does not have.
//
// At compile time every rewritten call (to a trampoline) and every
// __staticcall_store of a key carries the bundle "staticcall"(ptr @K, i64
// offset) (call_rewrite.cc). Here, on the final IR, where the IR linker may
// have renamed a `static` key (two units' s_hook: s_hook and s_hook.1),
// ThinLTO promoted one (s_hook.llvm.NNN), inlined sites into other units'
// functions and dropped dead ones, each bundle names the key as it now is:
// its call gets the trampoline of that name and its anchor, and each key
// used gets its trampolines and descriptors as module asm, as the IR pass
// writes them without -flto (emit_asm.cc), but: in a ThinLTO backend every
// module has its own (local) copies, since lld keeps the comdat sections of
// every object LTO generates (comdat would leave two descriptors of one
// trampoline); full LTO writes them all as comdat under the id NAME.lto,
// because the module asm goes to one of the --lto-partitions parts and the
// others must reach it. Then no bundle is left for the code
// generator.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/TargetParser/Triple.h" // (LLVM >= 17: built for 19 only)

#include "ir_pass.h"
#include "staticcall_abi.h"

using namespace llvm;

namespace {

// One call or store the compiler tagged, with the key it names.
struct sc_tagged {
	CallBase *cb;
	GlobalVariable *gv;
	long offset;
};

// Is F a trampoline, and which kind (by the name the compiler gave it)?
bool sc_is_tramp(const Function *f, bool *cond)
{
	if (!f)
		return false;
	StringRef n = f->getName();
	*cond = n.starts_with(SC_ABI_TRAMP_COND_PREFIX);
	return *cond || n.starts_with(SC_ABI_TRAMP_PREFIX);
}

// CB without the staticcall bundle (others kept), calling CALLEE.
CallBase *sc_untag(CallBase *cb, FunctionCallee callee)
{
	SmallVector<OperandBundleDef, 2> keep;
	cb->getOperandBundlesAsDefs(keep);
	keep.erase(std::remove_if(keep.begin(), keep.end(),
				  [](const OperandBundleDef &ob) {
					  return ob.getTag() == SC_LTO_BUNDLE;
				  }),
		   keep.end());
	CallBase *out = CallBase::Create(cb, keep, cb);
	out->copyMetadata(*cb);
	out->takeName(cb);
	if (callee)
		out->setCalledFunction(callee);
	cb->replaceAllUsesWith(out);
	cb->eraseFromParent();
	return out;
}

// The module's tagged calls and stores get their trampolines of the key's
// final name, anchors and tables. FULL: full LTO's merged module, else a
// ThinLTO backend's. Whether it changed the module.
bool sc_link_module(Module &m, bool full)
{
	// (Registered at two extension points and as a fallback: once.)
	if (m.getNamedMetadata("staticcall.linked"))
		return false;
	m.getOrInsertNamedMetadata("staticcall.linked");

	std::vector<sc_tagged> tagged;
	for (Function &f : m)
		for (BasicBlock &bb : f)
			for (Instruction &i : bb) {
				auto *cb = dyn_cast<CallBase>(&i);
				if (!cb)
					continue;
				auto ob = cb->getOperandBundle(SC_LTO_BUNDLE);
				if (!ob)
					continue;
				sc_tagged t{ cb, nullptr, -1 };
				if (ob->Inputs.size() == 2) {
					Value *key = ob->Inputs[0].get();
					t.gv = dyn_cast<GlobalVariable>(
						key->stripPointerCasts());
					if (auto *c = dyn_cast<ConstantInt>(
						    ob->Inputs[1]))
						t.offset =
							(long)c->getSExtValue();
				}
				tagged.push_back(t);
			}
	if (tagged.empty())
		return false;

	sc_target target = sc_target::x86_64;
	bool have_target = sc_module_target(m, &target);
	sc_module_keys mk;
	// Sites per function and key: two or more of one key in a function
	// are plain calls (the back end would merge their tail jumps, as
	// call_rewrite.cc explains).
	std::map<std::pair<Function *, std::string>, std::vector<CallInst *>>
		per_fn;
	std::vector<Function *> old_tramps;
	for (const sc_tagged &t : tagged) {
		bool cond = false;
		Function *callee = t.cb->getCalledFunction();
		bool site = sc_is_tramp(callee, &cond);
		if (!have_target || !t.gv) {
			// (A key LTO no longer has as a global variable: the
			// trampoline stays undefined and the link fails.)
			if (have_target)
				m.getContext().emitError(
					"staticcall: a key of a call in " +
					t.cb->getFunction()->getName() +
					" is no longer a global variable "
					"after link-time optimisation");
			sc_untag(t.cb, FunctionCallee());
			continue;
		}
		// Full LTO writes every key's tables as comdat (sc_tables)
		// under the id NAME.lto: apart from a key's comdat tables of
		// its own name in a non-LTO object of the link (lld would keep
		// both descriptors, of one trampoline), and from a global key
		// of a static key's name (no C name has a dot).
		std::string name = sc_symbol(*t.gv);
		if (full)
			name += ".lto";
		const std::string id = sc_key_id(name, t.offset);
		sc_key &k = mk.keys[id];
		k.gv = t.gv;
		k.offset = t.offset;
		k.id = id;
		Function *f = t.cb->getFunction();
		// (an imported body ThinLTO does not emit)
		bool emitted = !f->hasAvailableExternallyLinkage();
		if (!site) { // __staticcall_store(&K, v): K's descriptor
			k.used |= emitted;
			sc_untag(t.cb, FunctionCallee());
			continue;
		}
		std::string tname = (cond ? SC_ABI_TRAMP_COND_PREFIX :
					    SC_ABI_TRAMP_PREFIX) +
				    id;
		FunctionCallee tr =
			m.getOrInsertFunction(tname, t.cb->getFunctionType());
		if (Function *tf = m.getFunction(tname)) {
			tf->setVisibility(GlobalValue::HiddenVisibility);
			tf->setDSOLocal(true);
		}
		if (callee->getName() != tname)
			old_tramps.push_back(callee);
		CallBase *cb = sc_untag(t.cb, tr);
		sc_insert_anchor(cb, id, target, cond);
		if (emitted)
			(cond ? k.used_cond : k.used) = true;
		if (auto *ci = dyn_cast<CallInst>(cb))
			per_fn[{ f, id }].push_back(ci);
	}
	for (auto &fs : per_fn)
		if (fs.second.size() >= 2)
			for (CallInst *ci : fs.second)
				ci->setTailCallKind(CallInst::TCK_NoTail);
	// The compile-time names of the trampolines, now unused.
	for (Function *f : old_tramps)
		if (f->getParent() && f->use_empty())
			f->eraseFromParent();
	if (have_target)
		sc_emit_module_asm(m, target, mk,
				   full ? sc_tables::all_shared :
					  sc_tables::own_copies);
	return true;
}

struct SCLinkPass : PassInfoMixin<SCLinkPass> {
	bool full; // full LTO's merged module, else a ThinLTO backend's
	explicit SCLinkPass(bool full)
		: full(full)
	{
	}
	PreservedAnalyses run(Module &m, ModuleAnalysisManager &)
	{
		return sc_link_module(m, full) ? PreservedAnalyses::none() :
						 PreservedAnalyses::all();
	}
	static bool isRequired() { return true; }
};

void sc_register_link_pass(PassBuilder &pb)
{
	// Did the pipeline built with this PassBuilder take the pass?
	auto in_pipeline = std::make_shared<bool>(false);
	// Full LTO: the end of the merged module's optimisation.
	pb.registerFullLinkTimeOptimizationLastEPCallback(
		[in_pipeline](ModulePassManager &mpm, OptimizationLevel) {
			*in_pipeline = true;
			mpm.addPass(SCLinkPass(true));
		});
	// ThinLTO: the end of each backend module's optimisation.
	pb.registerOptimizerLastEPCallback(
		[in_pipeline](ModulePassManager &mpm, OptimizationLevel) {
			*in_pipeline = true;
			mpm.addPass(SCLinkPass(false));
		});
	// ThinLTO at -O0 (lld --lto-O0, which `clang -O0` passes at the
	// link) builds its pipeline without any extension point: there, the
	// end of the pipeline's first module pass runs it (a module that then
	// only loses dead and imported code).
	PassInstrumentationCallbacks *pic =
		pb.getPassInstrumentationCallbacks();
	if (!pic)
		return;
	pic->registerAfterPassCallback(
		[in_pipeline](StringRef, Any ir, const PreservedAnalyses &) {
			if (*in_pipeline)
				return;
			auto *m = any_cast<const Module *>(&ir);
			if (m && *m)
				sc_link_module(const_cast<Module &>(**m),
					       false);
		});
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return { LLVM_PLUGIN_API_VERSION, SC_PLUGIN_NAME "_lto",
		 SC_PLUGIN_VERSION, sc_register_link_pass };
}
