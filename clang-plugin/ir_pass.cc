// ir_pass.cc - the IR side (new pass manager, at PipelineStartEP, so before
// any optimisation and also at -O0): SCPass::run finds the module's keys,
// then runs the phases of the other files in turn (ir_pass.h): call and
// store rewriting (call_rewrite.cc), whose sites get their anchors
// (site_anchors.cc), then the module asm (emit_asm.cc). Under -flto
// (lto.cc) the calls and stores carry their key's operand bundle instead of
// anchors, and the module asm waits for the link (lto_pass.cc).
//
// Field keys (docs/FIELD_KEYS.md): the front end (attribute.cc) annotates
// every marked member, so each access of one arrives here wrapped in
//   %a = call ptr @llvm.ptr.annotation(ptr ADDR, ptr @"staticcall.key", ...)
// (sc_take_member_accesses removes those). A load through it whose ADDR is
// a constant offset into a global variable (not constant, not thread-local)
// reads the key (object, offset), id OBJ..OFFSET, and is converted like a
// load of @K; a store through it (not into an alloca) becomes
// __staticcall_store(ADDR, v).
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/raw_ostream.h"

#include "clang_compat.h"
#include "ir_pass.h"
#include "staticcall_abi.h"

using namespace llvm;

namespace {

GlobalVariable *sc_find_key(Module &m, const std::string &name)
{
	if (GlobalVariable *gv = m.getNamedGlobal(name))
		return gv;
	return m.getNamedGlobal("\1" + name);
}

// One access of a marked member, as Clang's code generator tags it:
//   %a = call ptr @llvm.ptr.annotation(ptr ADDR, ptr @"staticcall.key", ...)
//   load/store ... %a                   (typed pointers: through bitcasts)
// with the loads and stores of the member through it.
struct sc_member_access {
	Value *addr;
	std::vector<LoadInst *> loads;
	std::vector<StoreInst *> stores;
};

bool sc_is_field_annotation(const CallInst *ci)
{
	if (ci->arg_size() < 2)
		return false;
	const auto *g = dyn_cast<GlobalVariable>(
		ci->getArgOperand(1)->stripPointerCasts());
	if (!g || !g->hasInitializer())
		return false;
	const auto *str = dyn_cast<ConstantDataSequential>(g->getInitializer());
	return str && str->isCString() &&
	       str->getAsCString() == SC_FIELD_ANNOTATION;
}

// Every access of a marked member in the module; the annotation calls are
// removed (each replaced by its address), and so are their strings when
// nothing else uses them.
std::vector<sc_member_access> sc_take_member_accesses(Module &m)
{
	std::vector<sc_member_access> out;
	std::vector<Function *> fns;
	std::set<GlobalVariable *> strings;
	for (Function &f : m)
		if (f.getIntrinsicID() == Intrinsic::ptr_annotation)
			fns.push_back(&f);
	for (Function *f : fns) {
		SmallVector<User *, 16> users(f->user_begin(), f->user_end());
		for (User *u : users) {
			auto *ci = dyn_cast<CallInst>(u);
			if (!ci || ci->getCalledFunction() != f ||
			    !sc_is_field_annotation(ci))
				continue;
			sc_member_access a;
			a.addr = ci->getArgOperand(0);
			SmallVector<Value *, 4> work{ ci };
			while (!work.empty()) {
				Value *v = work.pop_back_val();
				for (User *vu : v->users()) {
					if (auto *bc =
						    dyn_cast<BitCastInst>(vu)) {
						work.push_back(bc);
					} else if (auto *ld =
							   dyn_cast<LoadInst>(
								   vu)) {
						if (ld->getPointerOperand() ==
							    v &&
						    ld->isSimple() &&
						    ld->getType()->isPointerTy())
							a.loads.push_back(ld);
					} else if (auto *st =
							   dyn_cast<StoreInst>(
								   vu)) {
						if (st->getPointerOperand() ==
							    v &&
						    !st->isAtomic() &&
						    st->getValueOperand()
							    ->getType()
							    ->isPointerTy())
							a.stores.push_back(st);
					}
				}
			}
			for (unsigned i = 1; i < ci->arg_size() && i < 3; i++)
				if (auto *g = dyn_cast<GlobalVariable>(
					    ci->getArgOperand(i)
						    ->stripPointerCasts()))
					strings.insert(g);
			ci->replaceAllUsesWith(a.addr);
			ci->eraseFromParent();
			out.push_back(std::move(a));
		}
		if (f->use_empty())
			f->eraseFromParent();
	}
	for (GlobalVariable *g : strings) {
		g->removeDeadConstantUsers();
		if (g->use_empty() && g->hasLocalLinkage())
			g->eraseFromParent();
	}
	return out;
}

// The key variables the front end named, with their loads and stores.
void sc_find_key_vars(Module &m, sc_module_keys &mk)
{
	for (const std::string &name : sc_global().key_names) {
		GlobalVariable *gv = sc_find_key(m, name);
		if (!gv)
			continue;
		sc_key &k = mk.keys[sc_symbol(*gv)];
		if (k.gv)
			continue; // (named twice)
		k.gv = gv;
		k.id = sc_symbol(*gv);
		// STATIC_CALL_BOOT rides with the variable to the link
		// (-flto: lto_pass.cc writes the descriptor there)
		if (sc_global().boot_key_names.count(name))
			gv->setMetadata(SC_BOOT_METADATA,
					MDNode::get(m.getContext(), {}));
		for (User *u : gv->users()) {
			if (auto *ld = dyn_cast<LoadInst>(u)) {
				if (ld->getPointerOperand() == gv &&
				    ld->isSimple()) {
					k.loads.push_back(ld);
					mk.loads[ld] = &k;
				}
			} else if (auto *si = dyn_cast<StoreInst>(u)) {
				if (si->getPointerOperand() == gv &&
				    !si->isAtomic() &&
				    si->getValueOperand()
					    ->getType()
					    ->isPointerTy())
					mk.key_stores.push_back({ si, &k });
			}
		}
	}
}

// Field keys: a marked member at a constant offset in a global object that
// is neither constant nor thread-local. Other stores of a marked member,
// but not into an automatic object, are routed too (member_stores).
void sc_find_field_keys(Module &m,
			const std::vector<sc_member_access> &accesses,
			sc_module_keys &mk)
{
	const DataLayout &dl = m.getDataLayout();
	for (const sc_member_access &a : accesses) {
		APInt off(dl.getIndexTypeSizeInBits(a.addr->getType()), 0);
		Value *base = a.addr->stripAndAccumulateConstantOffsets(
			dl, off, /*AllowNonInbounds=*/true);
		auto *gv = dyn_cast<GlobalVariable>(base);
		sc_key *k = nullptr;
		if (gv && !gv->isConstant() && !gv->isThreadLocal() &&
		    !off.isNegative() &&
		    off.getZExtValue() % dl.getPointerSize() == 0) {
			long o = (long)off.getZExtValue();
			std::string id = sc_key_id(sc_symbol(*gv), o);
			k = &mk.keys[id];
			k->gv = gv;
			k->offset = o;
			k->id = id;
			mk.key_objects.insert(gv);
			for (LoadInst *ld : a.loads) {
				k->loads.push_back(ld);
				mk.loads[ld] = k;
			}
		}
		// A store of the member, but not into an automatic object.
		for (StoreInst *si : a.stores) {
			const Value *obj = getUnderlyingObject(a.addr, 0);
			const auto *arg = dyn_cast<Argument>(obj);
			if (isa<AllocaInst>(obj) ||
			    (arg && arg->hasByValAttr()))
				continue;
			if (k)
				mk.key_stores.push_back({ si, k });
			else
				mk.member_stores.push_back({ si, a.addr });
		}
	}
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

	// Accesses of marked members, with their annotations removed (also
	// for a target without static calls: they would only hinder the
	// optimizer).
	std::vector<sc_member_access> accesses = sc_take_member_accesses(m);
	bool changed = !accesses.empty();

	sc_target target;
	if (!sc_module_target(m, &target)) // calls stay indirect
		return changed ? PreservedAnalyses::none() :
				 PreservedAnalyses::all();

	bool fragments = sc_lower_fragments(m, target);
	changed |= fragments;
	sc_module_keys mk;
	sc_find_key_vars(m, mk);
	sc_find_field_keys(m, accesses, mk);
	changed |= sc_rewrite_calls(m, target, mk);
	sc_store_counts counts;
	changed |= sc_route_stores(m, mk, counts);
	changed |= sc_route_mem_writes(m, mk, counts);
	if (sc_global().report &&
	    (counts.to_key || counts.checked || counts.key_free)) {
		// (plain text: a backend remark is off unless -R enables it)
		char buf[256];
		snprintf(buf, sizeof buf,
			 SC_DIAG_STORE_COUNTS("%lu", "%lu", "%lu"),
			 counts.to_key, counts.checked, counts.key_free);
		errs() << m.getSourceFileName() << ": note: " << buf << "\n";
	}
	// -flto: the link writes the anchors and tables (lto_pass.cc); a
	// fragment's record is in its body, the link's header (written with
	// any key) registers it.
	if (!sc_global().lto)
		sc_emit_module_asm(m, target, mk, sc_tables::by_linkage,
				   fragments);
	return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

struct SCPromotePass : PassInfoMixin<SCPromotePass> {
	PreservedAnalyses run(Module &m, ModuleAnalysisManager &)
	{
		// (registered twice, as SCPass may be: once per module)
		if (m.getNamedMetadata("staticcall.promoted"))
			return PreservedAnalyses::all();
		m.getOrInsertNamedMetadata("staticcall.promoted");
		return sc_promote_module(m) ? PreservedAnalyses::none() :
					      PreservedAnalyses::all();
	}
	static bool isRequired() { return true; }
};

} // namespace

void sc_register_pass_callbacks(PassBuilder &pb)
{
	pb.registerPipelineStartEPCallback(
		[](ModulePassManager &mpm, auto) { mpm.addPass(SCPass()); });
	// Promote mode: after inlining and every other IR change, so each
	// indirect call left is one site (promote.cc).
	if (sc_global().promote)
		pb.registerOptimizerLastEPCallback(
			[](ModulePassManager &mpm, auto) {
				mpm.addPass(SCPromotePass());
			});
	sc_register_alias_pass(pb);
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo()
{
	return { LLVM_PLUGIN_API_VERSION, SC_PLUGIN_NAME, SC_PLUGIN_VERSION,
		 sc_register_pass_callbacks };
}
