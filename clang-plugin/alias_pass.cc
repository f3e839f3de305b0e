// alias_pass.cc - LLVM's facts after optimisation for store routing
// (docs/FIELD_KEYS.md, "Which stores are routed"), the counterpart of the
// GCC plugin's pass after "ealias". The IR pass runs at the start of the
// pipeline and puts the inline range check around every write it cannot
// prove key-free. At -O1 and up this pass runs at the end of each
// function's simplification (ScalarOptimizerLateEP: after inlining into
// it, SROA and mem2reg; SimplifyCFG and InstCombine follow): a check whose
// destination's underlying objects (sc_ir_objects_exclude_keys: through
// phis and selects) are all key-free is taken out again, runtime call,
// bounds loads and fence. At -O0 every check stays.
#include <vector>

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/Utils/Local.h"

#include "ir_pass.h"
#include "staticcall_abi.h"

using namespace llvm;

namespace {

bool sc_is_range_call(const CallInst *ci)
{
	const Function *f = ci->getCalledFunction();
	return f && ci->arg_size() >= 2 &&
	       (f->getName() == SC_ABI_STORE_RANGE_FN ||
		f->getName() == SC_ABI_STORE_RANGE_BEGIN_FN);
}

// The block THEN held only the removed runtime call of a bounds check
// (sc_insert_bounds_check): its branch is made constant, and the volatile
// loads of the bounds and the fence before it (back to the fence) go;
// SimplifyCFG and InstCombine remove the rest.
void sc_remove_bounds_check(BasicBlock *then)
{
	BasicBlock *pred = then->getSinglePredecessor();
	auto *br = pred ? dyn_cast<BranchInst>(pred->getTerminator()) : nullptr;
	if (!br || !br->isConditional() || then->size() != 1)
		return;
	LLVMContext &ctx = then->getContext();
	br->setCondition(br->getSuccessor(0) == then ?
				 ConstantInt::getFalse(ctx) :
				 ConstantInt::getTrue(ctx));
	std::vector<Instruction *> gone;
	for (Instruction *i = br->getPrevNode(); i; i = i->getPrevNode()) {
		if (auto *ld = dyn_cast<LoadInst>(i)) {
			auto *gv = dyn_cast<GlobalVariable>(
				getUnderlyingObject(ld->getPointerOperand()));
			if (ld->isVolatile() && gv &&
			    gv->getName() == SC_ABI_KEY_BOUNDS_VAR) {
				ld->replaceAllUsesWith(
					Constant::getNullValue(ld->getType()));
				gone.push_back(ld);
				continue;
			}
		}
		if (auto *fe = dyn_cast<FenceInst>(i)) {
			if (fe->getSyncScopeID() == SyncScope::SingleThread)
				gone.push_back(fe);
			break;
		}
		if (i->mayHaveSideEffects())
			break; // not the check's own instructions
	}
	for (Instruction *i : gone)
		i->eraseFromParent();
}

struct SCAliasPass : PassInfoMixin<SCAliasPass> {
	PreservedAnalyses run(Function &f, FunctionAnalysisManager &)
	{
		const sc_state &st = sc_global();
		if (!st.has_field_keys)
			return PreservedAnalyses::all();
		std::vector<CallInst *> calls;
		for (BasicBlock &bb : f)
			for (Instruction &i : bb)
				if (auto *ci = dyn_cast<CallInst>(&i))
					if (sc_is_range_call(ci))
						calls.push_back(ci);
		const std::set<const GlobalVariable *> none;
		bool changed = false;
		for (CallInst *ci : calls) {
			if (!sc_ir_objects_exclude_keys(
				    st, ci->getArgOperand(0), none, 0))
				continue;
			BasicBlock *then = ci->getParent();
			ci->eraseFromParent();
			sc_remove_bounds_check(then);
			changed = true;
		}
		return changed ? PreservedAnalyses::none() :
				 PreservedAnalyses::all();
	}
};

} // namespace

void sc_register_alias_pass(PassBuilder &pb)
{
	pb.registerScalarOptimizerLateEPCallback([](FunctionPassManager &fpm,
						    auto level) {
		if (level.getSpeedupLevel() > 0 || level.getSizeLevel() > 0)
			fpm.addPass(SCAliasPass());
	});
}
