// ir_pass.cc - the IR side (new pass manager, at PipelineStartEP, so before
// any optimisation and also at -O0):
//   %f = load ptr, ptr @K          call void asm sideeffect "<anchor record>"
//   call %f(args)            ->    call @__staticcall_tramp.K(args)
//   store ptr %v, ptr @K     ->    call void @__staticcall_store(ptr @K, ptr %v)
// plus, as module asm, the trampoline and descriptor of every key used and
// the per-object header (plugin-common/asm_text.cc, docs/ABI.md).
//
// Field keys (docs/FIELD_KEYS.md): the front end (plugin.cc) annotates every
// marked member, so each access of one arrives here wrapped in
//   %a = call ptr @llvm.ptr.annotation(ptr ADDR, ptr @"staticcall.key", ...)
// (sc_take_member_accesses removes those). A load through it whose ADDR is
// a constant offset into a global variable (not constant, not thread-local)
// reads the key (object, offset), id OBJ..OFFSET, and is converted like a
// load of @K; a store through it (not into an alloca) becomes
// __staticcall_store(ADDR, v). memcpy/memmove/memset (intrinsics and libc
// calls) and aggregate stores into memory that may hold keys are followed
// by __staticcall_store_range(dst, len).
//
// A guarded call `if (K) K(args);` (sc_find_guarded_calls) loses its test
// and becomes one site calling the NULL-safe __staticcall_tramp_cond.K,
// flagged SC_SITE_COND, as the GCC plugin does (docs/ABI.md).
//
// The anchor is a side-effecting inline asm placed immediately before the
// call: the runtime decodes forward from it to the first control transfer,
// which is the call or tail jump to the trampoline (docs/ABI.md, anchors).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
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
			  bool debug, bool cond, const DebugLoc &loc)
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

// One key of this unit: a key variable (offset -1) or the marked member at
// byte `offset` of the global object `gv` (a field key), with the loads of
// it the pass found (plain, non-volatile loads of the key's address).
struct sc_key {
	GlobalVariable *gv = nullptr;
	long offset = -1;
	std::string id; // sc_key_id: trampoline and descriptor names
	std::vector<LoadInst *> loads;
	bool used = false, used_cond = false;
};

// Which key each load found reads.
using sc_load_map = std::map<const Value *, sc_key *>;

// Is `v` a load of the key `k`?
LoadInst *sc_key_load(const sc_load_map &loads, Value *v, const sc_key *k)
{
	auto it = loads.find(v);
	if (it == loads.end() || it->second != k)
		return nullptr;
	return cast<LoadInst>(const_cast<Value *>(it->first));
}

// `if (K) K(args);` with K the key k (a variable @K, or a field key: the
// loads then read its constant address):
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
CallInst *sc_match_guarded(BranchInst *br, const sc_load_map &loads,
			   const sc_key *k)
{
	if (!br->isConditional())
		return nullptr;
	auto *cmp = dyn_cast<ICmpInst>(br->getCondition());
	if (!cmp || !cmp->isEquality())
		return nullptr;
	Value *a = cmp->getOperand(0), *b = cmp->getOperand(1);
	if (isa<ConstantPointerNull>(a))
		std::swap(a, b);
	LoadInst *tested = sc_key_load(loads, a, k);
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
			    !sc_key_load(loads, ci->getCalledOperand(), k))
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
		if (sc_key_load(loads, &i, k))
			continue;
		if (!isSafeToSpeculativelyExecute(&i))
			return nullptr;
	}
	return call;
}

// Find and un-test the guarded calls through k (see sc_match_guarded).
void sc_find_guarded_calls(const sc_load_map &loads, const sc_key *k,
			   std::set<CallBase *> &out)
{
	SmallVector<BranchInst *, 8> brs;
	for (LoadInst *ld : k->loads)
			for (User *lu : ld->users())
				if (auto *cmp = dyn_cast<ICmpInst>(lu))
					for (User *cu : cmp->users())
						if (auto *br = dyn_cast<BranchInst>(cu))
							brs.push_back(br);
	std::set<BranchInst *> done;
	for (BranchInst *br : brs) {
		if (!done.insert(br).second)
			continue;
		CallInst *call = sc_match_guarded(br, loads, k);
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
			cmp->eraseFromParent();
			// (The tested load, if now unused, goes with the
			// other loads of the key.)
		}
		out.insert(call);
	}
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
			SmallVector<Value *, 4> work{ci};
			while (!work.empty()) {
				Value *v = work.pop_back_val();
				for (User *vu : v->users()) {
					if (auto *bc = dyn_cast<BitCastInst>(vu)) {
						work.push_back(bc);
					} else if (auto *ld = dyn_cast<LoadInst>(vu)) {
						if (ld->getPointerOperand() == v &&
						    ld->isSimple() &&
						    ld->getType()->isPointerTy())
							a.loads.push_back(ld);
					} else if (auto *st = dyn_cast<StoreInst>(vu)) {
						if (st->getPointerOperand() == v &&
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
					    ci->getArgOperand(i)->stripPointerCasts()))
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

// Is `name` (an IR name, maybe with LLVM's ".N" uniquing suffixes) one of
// the global objects whose type holds marked members?
bool sc_is_keyed_object(const sc_state &st, std::string name)
{
	for (;;) {
		if (st.keyed_objects.count(name))
			return true;
		size_t dot = name.rfind('.');
		if (dot == std::string::npos || dot + 1 == name.size() ||
		    name.find_first_not_of("0123456789", dot + 1) !=
			    std::string::npos)
			return false;
		name.erase(dot);
	}
}

// Can a write at DST change a key: DST is not provably (in) an automatic
// object, nor a global object whose type holds no marked member?
bool sc_may_hold_keys(const sc_state &st, Value *dst,
		      const std::set<const GlobalVariable *> &key_objects)
{
	const Value *obj = getUnderlyingObject(dst, 0);
	if (isa<AllocaInst>(obj))
		return false;
	if (const auto *a = dyn_cast<Argument>(obj))
		return !a->hasByValAttr();
	if (const auto *gv = dyn_cast<GlobalVariable>(obj)) {
		if (gv->isConstant() || gv->isThreadLocal())
			return false;
		// (An object of an incomplete type may hold anything.)
		return key_objects.count(gv) || !gv->getValueType()->isSized() ||
		       sc_is_keyed_object(st, sc_symbol(*gv));
	}
	return true;
}

// The argument holding the length if N names a function that writes memory
// from its first argument on (plugin-common/policy.cc), or -1.
int sc_mem_fn_len_arg(StringRef n)
{
	return sc_mem_writer_len_arg(n.data(), n.size());
}

// memcpy, memmove, memset (the intrinsics, which is what Clang makes of
// the builtins, and calls), bzero, mempcpy and the _chk forms: the
// destination and the length, or false.
bool sc_mem_write(CallInst *ci, Value **dst, Value **len)
{
	if (auto *mi = dyn_cast<MemIntrinsic>(ci)) {
		*dst = mi->getRawDest();
		*len = mi->getLength();
		return true;
	}
	const auto *f = dyn_cast<Function>(
		ci->getCalledOperand()->stripPointerCasts());
	int li = f ? sc_mem_fn_len_arg(f->getName()) : -1;
	if (li < 0 || ci->arg_size() <= (unsigned)li)
		return false;
	*dst = ci->getArgOperand(0);
	*len = ci->getArgOperand(li);
	return (*dst)->getType()->isPointerTy() &&
	       (*len)->getType()->isIntegerTy();
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
	switch (Triple(m.getTargetTriple()).getArch()) {
	case Triple::x86_64:
		target = sc_target::x86_64;
		break;
	case Triple::aarch64:
		target = sc_target::aarch64;
		break;
	default: // calls stay indirect
		return changed ? PreservedAnalyses::none()
			       : PreservedAnalyses::all();
	}

	const sc_state &st = sc_global();
	const DataLayout &dl = m.getDataLayout();
	LLVMContext &ctx = m.getContext();
	PointerType *ptr = sc_compat::ptr_type(ctx);
	Type *intptr = dl.getIntPtrType(ctx);
	std::string text;

	// The keys, by id, and which key each load reads.
	std::map<std::string, sc_key> keys;
	sc_load_map loads;
	std::set<const GlobalVariable *> key_objects;
	std::vector<std::pair<StoreInst *, sc_key *>> key_stores;

	for (const std::string &name : st.key_names) {
		GlobalVariable *gv = sc_find_key(m, name);
		if (!gv)
			continue;
		sc_key &k = keys[sc_symbol(*gv)];
		if (k.gv)
			continue; // (named twice)
		k.gv = gv;
		k.id = sc_symbol(*gv);
		for (User *u : gv->users()) {
			if (auto *ld = dyn_cast<LoadInst>(u)) {
				if (ld->getPointerOperand() == gv &&
				    ld->isSimple()) {
					k.loads.push_back(ld);
					loads[ld] = &k;
				}
			} else if (auto *si = dyn_cast<StoreInst>(u)) {
				if (si->getPointerOperand() == gv &&
				    !si->isAtomic() &&
				    si->getValueOperand()->getType()->isPointerTy())
					key_stores.push_back({si, &k});
			}
		}
	}

	// Field keys: a marked member at a constant offset in a global
	// object that is neither constant nor thread-local.
	std::vector<std::pair<StoreInst *, Value *>> member_stores;
	for (sc_member_access &a : accesses) {
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
			k = &keys[id];
			k->gv = gv;
			k->offset = o;
			k->id = id;
			key_objects.insert(gv);
			for (LoadInst *ld : a.loads) {
				k->loads.push_back(ld);
				loads[ld] = k;
			}
		}
		// A store of the member, but not into an automatic object.
		for (StoreInst *si : a.stores) {
			const Value *obj = getUnderlyingObject(a.addr, 0);
			const auto *arg = dyn_cast<Argument>(obj);
			if (isa<AllocaInst>(obj) || (arg && arg->hasByValAttr()))
				continue;
			if (k)
				key_stores.push_back({si, k});
			else
				member_stores.push_back({si, a.addr});
		}
	}

	for (auto &kv : keys) {
		sc_key &k = kv.second;
		const std::string &K = k.id;
		std::map<Function *, std::vector<CallBase *>> sites;
		std::set<CallBase *> guarded;
		sc_find_guarded_calls(loads, &k, guarded);
		if (!guarded.empty())
			changed = true;

		for (LoadInst *ld : k.loads) {
			SmallVector<User *, 4> lusers(ld->user_begin(),
						      ld->user_end());
			for (User *lu : lusers) {
				auto *cb = dyn_cast<CallBase>(lu);
				if (!cb || cb->getCalledOperand() != ld ||
				    cb->isInlineAsm() || cb->isMustTailCall())
					continue;
				// The trampoline has the call's own type, so
				// the call keeps its ABI.
				FunctionType *fty = cb->getFunctionType();
				bool cond = guarded.count(cb) != 0;
				std::string tname = (cond ? SC_ABI_TRAMP_COND_PREFIX
							  : SC_ABI_TRAMP_PREFIX) +
						    K;
				FunctionCallee tr = m.getOrInsertFunction(tname, fty);
				if (Function *f = m.getFunction(tname)) {
					f->setVisibility(GlobalValue::HiddenVisibility);
					f->setDSOLocal(true);
				}
				cb->setCalledOperand(tr.getCallee());
				// Never merge two sites into one call that one
				// anchor would not precede.
				cb->addFnAttr(Attribute::NoMerge);
				sites[cb->getFunction()].push_back(cb);

				InlineAsm *ia = InlineAsm::get(
					FunctionType::get(Type::getVoidTy(ctx), false),
					sc_anchor_asm(K, target,
						      sc_emits_debug_info(*cb->getFunction()),
						      cond, cb->getDebugLoc()),
					"~{dirflag},~{fpsr},~{flags}",
					/*hasSideEffects=*/true);
				IRBuilder<> b(cb);
				CallInst *anchor = b.CreateCall(ia);
				anchor->setDoesNotThrow();
				anchor->addFnAttr(Attribute::NoMerge);
				// No debug location (IRBuilder copied the
				// call's): a `.loc` before the asm would give
				// its row to the record's data in
				// __staticcall_sites and leave the call without
				// a line of its own.
				anchor->setDebugLoc(DebugLoc());
				(cond ? k.used_cond : k.used) = true;
				changed = true;
			}
			// No DCE at -O0: drop a load that only fed converted
			// calls (or a guard that went).
			if (ld->use_empty()) {
				loads.erase(ld);
				ld->eraseFromParent();
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
	}

	// Stores of keys and of marked members: __staticcall_store(&K, v),
	// which stores, then re-targets the sites if &K is a registered key.
	// (Strict mode: the AST check already stopped the compilation.)
	// void NAME(ptr, SECOND): a runtime entry point; the runtime is C,
	// it never throws.
	auto runtime_fn = [&](const char *name, Type *second) {
		FunctionCallee fn = m.getOrInsertFunction(
			name, FunctionType::get(Type::getVoidTy(ctx), {ptr, second},
						false));
		if (Function *f = m.getFunction(name))
			f->setDoesNotThrow();
		return fn;
	};
	auto route_store = [&](StoreInst *si, Value *addr) {
		FunctionCallee store = runtime_fn(SC_ABI_STORE_FN, ptr);
		IRBuilder<> b(si);
		CallInst *c = b.CreateCall(
			store, {b.CreatePointerCast(addr, ptr),
				b.CreatePointerCast(si->getValueOperand(), ptr)});
		c->setDebugLoc(si->getDebugLoc());
		si->eraseFromParent();
		changed = true;
	};
	for (auto &ks : key_stores) {
		route_store(ks.first, ks.second->offset < 0
					      ? (Value *)ks.second->gv
					      : ks.first->getPointerOperand());
		// This unit's descriptor registers the key.
		ks.second->used = true;
	}
	for (auto &ms : member_stores)
		route_store(ms.first, ms.first->getPointerOperand());

	// Writes that may change keys without naming a member: memcpy,
	// memset... (struct assignment is a memcpy to Clang), and stores of a
	// whole aggregate: __staticcall_store_range(dst, len) after them.
	std::vector<std::pair<Instruction *, std::pair<Value *, Value *>>> writes;
	for (Function &f : m) {
		if (!st.has_field_keys) // no marked member: nothing to route
			break;
		// The body of a memcpy wrapper (glibc's _FORTIFY_SOURCE
		// `memcpy` calling __builtin___memcpy_chk, available
		// externally for inlining): its callers route the call.
		if (sc_mem_fn_len_arg(f.getName()) >= 0)
			continue;
		for (BasicBlock &bb : f)
			for (Instruction &i : bb) {
				Value *dst = nullptr, *len = nullptr;
				if (auto *ci = dyn_cast<CallInst>(&i)) {
					if (ci->isMustTailCall() ||
					    !sc_mem_write(ci, &dst, &len))
						continue;
				} else if (auto *si = dyn_cast<StoreInst>(&i)) {
					Type *t = si->getValueOperand()->getType();
					if (!t->isAggregateType())
						continue;
					dst = si->getPointerOperand();
					len = ConstantInt::get(
						intptr, dl.getTypeStoreSize(t));
				} else {
					continue;
				}
				if (dst->getType()->getPointerAddressSpace() != 0 ||
				    !sc_may_hold_keys(st, dst, key_objects))
					continue;
				writes.push_back({&i, {dst, len}});
			}
	}
	for (auto &w : writes) {
		FunctionCallee range = runtime_fn(SC_ABI_STORE_RANGE_FN, intptr);
		IRBuilder<> b(w.first->getNextNode());
		CallInst *c = b.CreateCall(
			range, {b.CreatePointerCast(w.second.first, ptr),
				b.CreateZExtOrTrunc(w.second.second, intptr)});
		c->setDebugLoc(w.first->getDebugLoc());
		changed = true;
	}

	for (auto &kv : keys) {
		sc_key &k = kv.second;
		if (!k.used && !k.used_cond)
			continue;
		GlobalVariable *gv = k.gv;
		// The module asm below names the key: keep it, even static.
		if (!gv->isDeclaration() && !sc_in_used_list(m, gv))
			appendToCompilerUsed(m, {gv});

		sc_key_text kt;
		kt.name = sc_symbol(*gv);
		kt.offset = k.offset;
		kt.global = !gv->hasLocalLinkage();
		kt.pic = m.getPICLevel() != PICLevel::NotPIC;
		kt.retpoline = target == sc_target::x86_64
				       ? sc_module_retpoline(m)
				       : sc_retpoline::none;
		kt.ibt = sc_module_ibt(m, target);
		kt.target = target;
		if (k.used)
			text += sc_text_key(kt);
		if (k.used_cond) {
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
	return {LLVM_PLUGIN_API_VERSION, SC_PLUGIN_NAME, SC_PLUGIN_VERSION,
		sc_register_pass_callbacks};
}
