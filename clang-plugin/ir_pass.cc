// ir_pass.cc - the IR side (new pass manager, at PipelineStartEP, so before
// any optimisation and also at -O0):
//   %f = load ptr, ptr @K          call void asm sideeffect "<anchor record>"
//   call %f(args)            ->    call @__staticcall_tramp.K(args)
//   store ptr %v, ptr @K     ->    call void @__staticcall_store(ptr @K, ptr %v)
// plus, as module asm, the trampoline and descriptor of every key used and
// the per-object header (plugin-common/asm_text.cc, docs/ABI.md).
//
// A guarded call `if (K) K(args);` (sc_find_guarded_calls) loses its test
// and becomes one site calling the NULL-safe __staticcall_tramp_cond.K,
// flagged SC_SITE_COND, as the GCC plugin does (docs/ABI.md).
//
// The anchor is a side-effecting inline asm placed immediately before the
// call: the runtime decodes forward from it to the first control transfer,
// which is the call or tail jump to the trampoline (docs/ABI.md, DESIGN §4).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/ValueTracking.h"
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
			  bool debug, bool cond)
{
	const std::string mark = "@SC_LABEL@";
	std::string text = sc_text_site_record(mark, key, false, false, target,
					       cond),
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

// Is `v` a plain load of the key `gv`?
LoadInst *sc_key_load(Value *v, GlobalVariable *gv)
{
	auto *ld = dyn_cast<LoadInst>(v);
	if (!ld || ld->getPointerOperand() != gv || !ld->isSimple())
		return nullptr;
	return ld;
}

// `if (K) K(args);` with K the key gv:
//   %k = load ptr, ptr @K                 ; the load tested
//   %c = icmp ne ptr %k, null             ; (or eq, successors swapped)
//   br i1 %c, label %body, label %join
// body:                                   ; only predecessor: the test
//   ...side-effect-free, non-trapping instructions, and
//   %f = load ptr, ptr @K                 ; (or the load tested)
//   call %f(args)                         ; result unused
//   br label %join
// (or `join` an empty block that only branches where `body` goes:
// `if (!K) return; K(args);` at the start of the pipeline.) Evaluating
// the arguments when K is NULL then changes nothing, and nothing stores
// between the two loads, so the key tested is the key called: the test
// goes (branch made unconditional) and the call is returned, to become a
// guarded site. Other guarded calls keep their test.
CallInst *sc_match_guarded(BranchInst *br, GlobalVariable *gv)
{
	if (!br->isConditional())
		return nullptr;
	auto *cmp = dyn_cast<ICmpInst>(br->getCondition());
	if (!cmp || !cmp->isEquality())
		return nullptr;
	Value *a = cmp->getOperand(0), *b = cmp->getOperand(1);
	if (isa<ConstantPointerNull>(a))
		std::swap(a, b);
	LoadInst *tested = sc_key_load(a, gv);
	if (!tested || !isa<ConstantPointerNull>(b) ||
	    tested->getParent() != br->getParent())
		return nullptr;
	bool ne = cmp->getPredicate() == ICmpInst::ICMP_NE;
	BasicBlock *body = br->getSuccessor(ne ? 0 : 1),
		   *skip = br->getSuccessor(ne ? 1 : 0);
	if (body == skip || body->getSinglePredecessor() != br->getParent())
		return nullptr;
	// Nothing writes memory between the load tested and the branch.
	for (Instruction *i = tested->getNextNode(); i && i != br;
	     i = i->getNextNode())
		if (i->mayWriteToMemory())
			return nullptr;
	auto *out = dyn_cast<BranchInst>(body->getTerminator());
	if (!out || out->isConditional())
		return nullptr;
	// No PHI in the join: a value that depends on which way the test
	// went would change meaning without the test.
	BasicBlock *join = out->getSuccessor(0);
	if (!join->phis().empty())
		return nullptr;
	if (join != skip) {
		auto *sb = dyn_cast<BranchInst>(skip->getFirstNonPHIOrDbg());
		if (!sb || sb->isConditional() || sb->getSuccessor(0) != join ||
		    !skip->phis().empty())
			return nullptr;
	}
	CallInst *call = nullptr;
	for (Instruction &i : *body) {
		if (&i == out || isa<DbgInfoIntrinsic>(&i))
			continue;
		if (call)
			return nullptr; // something after the call
		if (auto *ci = dyn_cast<CallInst>(&i)) {
			if (ci->isInlineAsm() || ci->isMustTailCall() ||
			    !ci->use_empty() ||
			    !sc_key_load(ci->getCalledOperand(), gv))
				return nullptr;
			auto *f = cast<LoadInst>(ci->getCalledOperand());
			if (f != tested && f->getParent() != body)
				return nullptr;
			// An aggregate copied at the call would be read
			// even when K is NULL.
			for (unsigned n = 0; n < ci->arg_size(); n++)
				if (ci->isByValArgument(n) ||
				    ci->paramHasAttr(n, Attribute::InAlloca) ||
				    ci->paramHasAttr(n, Attribute::Preallocated))
					return nullptr;
			if (ci->hasOperandBundles())
				return nullptr;
			call = ci;
			continue;
		}
		if (sc_key_load(&i, gv))
			continue;
		if (!isSafeToSpeculativelyExecute(&i))
			return nullptr;
	}
	return call;
}

// Find and un-test the guarded calls through gv (see sc_match_guarded).
void sc_find_guarded_calls(GlobalVariable *gv, std::set<CallBase *> &out)
{
	SmallVector<BranchInst *, 8> brs;
	for (User *u : gv->users())
		if (auto *ld = dyn_cast<LoadInst>(u))
			for (User *lu : ld->users())
				if (auto *cmp = dyn_cast<ICmpInst>(lu))
					for (User *cu : cmp->users())
						if (auto *br = dyn_cast<BranchInst>(cu))
							brs.push_back(br);
	std::set<BranchInst *> done;
	for (BranchInst *br : brs) {
		if (!done.insert(br).second)
			continue;
		CallInst *call = sc_match_guarded(br, gv);
		if (!call)
			continue;
		BasicBlock *bb = br->getParent(), *body = call->getParent();
		auto *cmp = cast<ICmpInst>(br->getCondition());
		for (unsigned i = 0; i < br->getNumSuccessors(); i++)
			if (br->getSuccessor(i) != body)
				br->getSuccessor(i)->removePredecessor(bb);
		BranchInst *nb = BranchInst::Create(body, br);
		nb->setDebugLoc(br->getDebugLoc());
		br->eraseFromParent();
		if (cmp->use_empty()) {
			Instruction *ld = dyn_cast<Instruction>(
				isa<ConstantPointerNull>(cmp->getOperand(0))
					? cmp->getOperand(1)
					: cmp->getOperand(0));
			cmp->eraseFromParent();
			if (ld && ld->use_empty())
				ld->eraseFromParent();
		}
		out.insert(call);
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
		bool used = false, used_cond = false;
		std::map<Function *, std::vector<CallBase *>> sites;
		std::set<CallBase *> guarded;
		sc_find_guarded_calls(gv, guarded);
		if (!guarded.empty())
			changed = true;

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
					bool cond = guarded.count(cb) != 0;
					std::string tname =
						(cond ? SC_ABI_TRAMP_COND_PREFIX
						      : SC_ABI_TRAMP_PREFIX) + K;
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
							nullptr,
						cond),
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
					(cond ? used_cond : used) = true;
					changed = true;
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
		if (!used && !used_cond)
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
		if (used)
			text += sc_text_key(kt);
		if (used_cond) {
			kt.cond = true;
			text += sc_text_key(kt);
		}
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
