// call_rewrite.cc - the rewriting of the module's accesses of keys (the GCC
// plugin's gimple_pass.cc does the same on GIMPLE):
//   %f = load ptr, ptr @K          call void asm sideeffect "<anchor record>"
//   call %f(args)            ->    call @__staticcall_tramp.K(args)
//   store ptr %v, ptr @K     ->    call void @__staticcall_store(ptr @K, ptr %v)
// A guarded call `if (K) K(args);` (sc_find_guarded_calls) loses its test
// and becomes one site calling the NULL-safe __staticcall_tramp_cond.K,
// flagged SC_SITE_COND, as the GCC plugin does (docs/ABI.md).
// memcpy/memmove/memset (intrinsics and libc calls) and aggregate stores
// into memory that may hold keys are preceded by
// __staticcall_store_range_begin(dst, src or null, len) and followed by
// __staticcall_store_range(dst, len).
#include <functional>
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
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

#include "clang_compat.h"
#include "ir_pass.h"
#include "staticcall_abi.h"

using namespace llvm;

namespace {

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
				    ci->paramHasAttr(n,
						     Attribute::Preallocated))
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

// What an IR type says (plugin-common/policy.h): a structure CodeGen named
// after a C type that holds no marked member, whose members hold none
// either, holds no key; bytes, scalars and opaque types may be anything.
// A C name is the part of "struct.NAME.N" before any '.' (C++:
// "class.NS::NAME", its qualified name, ast_checks.cc).
sc_dest_type sc_ir_type_fact(const sc_state &st, Type *t, int depth = 0)
{
	while (auto *at = dyn_cast<ArrayType>(t))
		t = at->getElementType();
	auto *stt = dyn_cast<StructType>(t);
	if (!stt || stt->isOpaque() || depth > 16)
		return sc_dest_type::opaque;
	if (stt->hasName()) {
		StringRef n = stt->getName();
		if (!sc_compat::starts_with(n, "struct.") &&
		    !sc_compat::starts_with(n, "union.") &&
		    !sc_compat::starts_with(n, "class."))
			return sc_dest_type::opaque;
		n = n.substr(n.find('.') + 1);
		n = n.substr(0, n.find('.'));
		if (st.keyed_types.count(n.str()))
			return sc_dest_type::with_keys;
	}
	for (Type *e : stt->elements()) {
		Type *inner = e;
		while (auto *at = dyn_cast<ArrayType>(inner))
			inner = at->getElementType();
		if (!isa<StructType>(inner))
			continue;
		sc_dest_type f = sc_ir_type_fact(st, inner, depth + 1);
		if (f != sc_dest_type::without_keys)
			return f == sc_dest_type::with_keys ?
				       f :
				       sc_dest_type::opaque;
	}
	// An unnamed (literal) structure is no C type: bytes.
	return stt->hasName() ? sc_dest_type::without_keys :
				sc_dest_type::opaque;
}

sc_dest_object
sc_ir_object_fact(const sc_state &st, const Value *dst,
		  const std::set<const GlobalVariable *> &key_objects,
		  int depth = 0);

// llvm.lifetime.start/end of a variable, maybe through a bitcast (typed
// pointers, Clang 14).
bool sc_is_lifetime_marker(const User *u)
{
	if (const auto *bc = dyn_cast<BitCastInst>(u)) {
		for (const User *bu : bc->users())
			if (!sc_is_lifetime_marker(bu))
				return false;
		return true;
	}
	const auto *ii = dyn_cast<IntrinsicInst>(u);
	return ii && ii->isLifetimeStartOrEnd();
}

// A pointer loaded from a local variable (what -O0 makes of `p` in
// `memcpy(p, ...)`): the fact all the values stored into that variable
// share, when it is only ever loaded and stored (its address never
// escapes), else unknown.
sc_dest_object
sc_ir_local_ptr_fact(const sc_state &st, const AllocaInst *var,
		     const std::set<const GlobalVariable *> &key_objects,
		     int depth)
{
	bool first = true;
	sc_dest_object common = sc_dest_object::unknown;
	for (const User *u : var->users()) {
		if (isa<LoadInst>(u) || sc_is_lifetime_marker(u))
			continue;
		const auto *si = dyn_cast<StoreInst>(u);
		if (!si || si->getValueOperand() == var)
			return sc_dest_object::unknown;
		sc_dest_object f = sc_ir_object_fact(st, si->getValueOperand(),
						     key_objects, depth + 1);
		if (!first && f != common)
			return sc_dest_object::unknown;
		common = f;
		first = false;
	}
	return common;
}

// What DST's underlying object is (plugin-common/policy.h).
sc_dest_object
sc_ir_object_fact(const sc_state &st, const Value *dst,
		  const std::set<const GlobalVariable *> &key_objects,
		  int depth)
{
	const Value *obj = getUnderlyingObject(dst, 0);
	if (const auto *ld = dyn_cast<LoadInst>(obj)) {
		const auto *var = dyn_cast<AllocaInst>(
			ld->getPointerOperand()->stripPointerCasts());
		if (!var || depth > 4 || ld->isVolatile())
			return sc_dest_object::unknown;
		return sc_ir_local_ptr_fact(st, var, key_objects, depth);
	}
	if (isa<AllocaInst>(obj))
		return sc_dest_object::automatic;
	if (const auto *a = dyn_cast<Argument>(obj))
		return a->hasByValAttr() ? sc_dest_object::automatic :
					   sc_dest_object::unknown;
	if (const auto *gv = dyn_cast<GlobalVariable>(obj)) {
		if (gv->isConstant() || gv->isThreadLocal())
			return sc_dest_object::read_only;
		// (An object of an incomplete type may hold anything.)
		return key_objects.count(gv) ||
				       !gv->getValueType()->isSized() ||
				       sc_is_keyed_object(st, sc_symbol(*gv)) ?
			       sc_dest_object::global_with_keys :
			       sc_dest_object::global_without_keys;
	}
	if (const auto *cb = dyn_cast<CallBase>(obj)) {
		const Function *f = cb->getCalledFunction();
		if (cb->returnDoesNotAlias() ||
		    (f &&
		     sc_is_allocator(f->getName().data(), f->getName().size())))
			return sc_dest_object::heap;
	}
	return sc_dest_object::unknown;
}

// Alias facts (policy.h's alias_excludes_keys): LLVM's underlying objects
// of DST through phis and selects (a pointer chosen at run time among
// places the compiler knows: `p = c ? &a : &b`, `p++` over a local array),
// and for a pointer loaded from a local variable whose address never
// escapes, the objects of every value stored into it. True when each of
// them is key-free by the policy (a local, a heap block, a constant, a
// global without marked members). At the start of the pipeline LLVM's
// alias queries (BasicAA) know no more than these objects.
// Each local pointer variable is followed once (VARS): a value stored
// into it that was loaded from it (`p++`) adds no object.
bool sc_ir_objects_key_free(const sc_state &st, const Value *dst,
			    const std::set<const GlobalVariable *> &key_objects,
			    int depth, std::set<const AllocaInst *> &vars)
{
	SmallVector<const Value *, 8> objs;
	getUnderlyingObjects(dst, objs);
	if (objs.empty() || objs.size() > 16 || depth > 4)
		return false;
	for (const Value *obj : objs) {
		const auto *ld = dyn_cast<LoadInst>(obj);
		const auto *var = ld ? dyn_cast<AllocaInst>(
					       ld->getPointerOperand()
						       ->stripPointerCasts()) :
				       nullptr;
		if (ld && (!var || ld->isVolatile()))
			return false;
		if (var) {
			if (!vars.insert(var).second)
				continue; // (being followed)
			for (const User *u : var->users()) {
				if (isa<LoadInst>(u) ||
				    sc_is_lifetime_marker(u))
					continue;
				const auto *si = dyn_cast<StoreInst>(u);
				if (!si || si->getValueOperand() == var ||
				    !sc_ir_objects_key_free(
					    st, si->getValueOperand(),
					    key_objects, depth + 1, vars))
					return false;
			}
			continue;
		}
		sc_store_facts f;
		f.object = sc_ir_object_fact(st, obj, key_objects, depth);
		if (sc_store_route_for(f) != sc_store_route::key_free)
			return false;
	}
	return true;
}

} // namespace

bool sc_ir_objects_exclude_keys(
	const sc_state &st, const Value *dst,
	const std::set<const GlobalVariable *> &key_objects, int depth)
{
	std::set<const AllocaInst *> vars;
	return sc_ir_objects_key_free(st, dst, key_objects, depth, vars);
}

namespace {

// (C) Is I the llvm.memcpy CodeGen made of an assignment of a structure
// type without marked members (`*p = *q;`): its debug location and size
// are those of one the frontend found (sc_state's key_free_copies)?
bool sc_ir_key_free_copy(const sc_state &st, const Instruction *i)
{
	const auto *mt = dyn_cast_or_null<MemTransferInst>(i);
	if (!mt || !mt->getDebugLoc() || st.key_free_copies.empty())
		return false;
	const DebugLoc &dl = mt->getDebugLoc();
	const auto *len = dyn_cast<ConstantInt>(mt->getLength());
	const auto *loc = dyn_cast<DILocation>(dl.getAsMDNode());
	if (!loc)
		return false;
	auto it = st.key_free_copies.find(
		sc_copy_place(sys::path::filename(loc->getFilename()).str(),
			      dl.getLine(), dl.getCol()));
	return len && it != st.key_free_copies.end() &&
	       len->getZExtValue() == it->second;
}

// Typed pointers (Clang 14, which keeps no locations without -g): a
// memcpy/memset's DST is a bitcast to i8* of a pointer to the type it
// designates as written (`*p = *q`: %struct.T* from p), as GCC reads the
// pointee type; only for a write of exactly that type's size.
sc_dest_type sc_ir_typed_dest_fact(const sc_state &st, const Instruction *i,
				   const Value *dst)
{
	const auto *mi = dyn_cast_or_null<MemIntrinsic>(i);
	const auto *bc = dyn_cast<BitCastOperator>(dst);
	Type *t = bc ? sc_compat::typed_pointee(bc->getSrcTy()) : nullptr;
	const auto *len = mi ? dyn_cast<ConstantInt>(mi->getLength()) : nullptr;
	if (!t || !len || !t->isSized() ||
	    len->getZExtValue() !=
		    i->getModule()->getDataLayout().getTypeAllocSize(t))
		return sc_dest_type::opaque;
	return sc_ir_type_fact(st, t);
}

// The facts about the write I at DST of a value of type STORED (an
// aggregate store), or of bytes (STORED null: memcpy, memset).
sc_store_facts
sc_ir_store_facts(const sc_state &st, const Instruction *i, Value *dst,
		  Type *stored,
		  const std::set<const GlobalVariable *> &key_objects)
{
	sc_store_facts f;
	f.object = sc_ir_object_fact(st, dst, key_objects);
	if (stored)
		f.type = sc_ir_type_fact(st, stored);
	else if (auto *gep = dyn_cast<GEPOperator>(dst->stripPointerCasts()))
		f.type = sc_ir_type_fact(st, gep->getResultElementType());
	if (f.type == sc_dest_type::opaque && sc_ir_key_free_copy(st, i))
		f.type = sc_dest_type::without_keys;
	if (!stored && f.type == sc_dest_type::opaque)
		f.type = sc_ir_typed_dest_fact(st, i, dst);
	if (f.object == sc_dest_object::unknown)
		f.alias_excludes_keys =
			sc_ir_objects_exclude_keys(st, dst, key_objects, 0);
	return f;
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
	const auto *f =
		dyn_cast<Function>(ci->getCalledOperand()->stripPointerCasts());
	int li = f ? sc_mem_fn_len_arg(f->getName()) : -1;
	if (li < 0 || ci->arg_size() <= (unsigned)li)
		return false;
	*dst = ci->getArgOperand(0);
	*len = ci->getArgOperand(li);
	return (*dst)->getType()->isPointerTy() &&
	       (*len)->getType()->isIntegerTy();
}

// void NAME(ptr, SECOND): a runtime entry point; the runtime is C, it never
// throws.
FunctionCallee sc_runtime_fn(Module &m, const char *name, Type *second)
{
	LLVMContext &ctx = m.getContext();
	PointerType *ptr = sc_compat::ptr_type(ctx);
	FunctionCallee fn = m.getOrInsertFunction(
		name, FunctionType::get(Type::getVoidTy(ctx), { ptr, second },
					false));
	if (Function *f = m.getFunction(name))
		f->setDoesNotThrow();
	return fn;
}

// __staticcall_store(ADDR, v) in place of the store SI of v; under -flto,
// a store of the key K carries K's bundle (its unit then has K's
// descriptor, as without -flto).
void sc_route_store(Module &m, StoreInst *si, Value *addr, sc_key *k)
{
	PointerType *ptr = sc_compat::ptr_type(m.getContext());
	FunctionCallee store = sc_runtime_fn(m, SC_ABI_STORE_FN, ptr);
	IRBuilder<> b(si);
	SmallVector<OperandBundleDef, 1> bundles;
	if (k && sc_global().lto)
		bundles.push_back(sc_lto_bundle(*k));
	CallInst *c = b.CreateCall(
		store,
		{ b.CreatePointerCast(addr, ptr),
		  b.CreatePointerCast(si->getValueOperand(), ptr) },
		bundles);
	c->setDebugLoc(si->getDebugLoc());
	si->eraseFromParent();
}

} // namespace

// -flto: the bundle naming key K: the variable (or the object holding the
// field) and the field's offset (-1: a plain key).
OperandBundleDef sc_lto_bundle(const sc_key &k)
{
	LLVMContext &ctx = k.gv->getContext();
	std::vector<Value *> in{ k.gv, ConstantInt::get(Type::getInt64Ty(ctx),
							k.offset) };
	return OperandBundleDef(SC_LTO_BUNDLE, in);
}

// -flto: CB again, with the bundle OB (which the link follows through any
// renaming of the key, lto_pass.cc).
CallBase *sc_lto_tag(CallBase *cb, const OperandBundleDef &ob)
{
	CallBase *tagged = CallBase::Create(cb, { ob }, cb);
	tagged->copyMetadata(*cb);
	tagged->takeName(cb);
	cb->replaceAllUsesWith(tagged);
	cb->eraseFromParent();
	return tagged;
}

// Per key: un-test its guarded calls, then every call through a load of it
// calls its trampoline, anchored (site_anchors.cc).
bool sc_rewrite_calls(Module &m, sc_target target, sc_module_keys &mk)
{
	bool changed = false;
	sc_load_map &loads = mk.loads;
	for (auto &kv : mk.keys) {
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
				std::string tname =
					(cond ? SC_ABI_TRAMP_COND_PREFIX :
						SC_ABI_TRAMP_PREFIX) +
					K;
				FunctionCallee tr =
					m.getOrInsertFunction(tname, fty);
				if (Function *f = m.getFunction(tname)) {
					f->setVisibility(
						GlobalValue::HiddenVisibility);
					f->setDSOLocal(true);
				}
				cb->setCalledOperand(tr.getCallee());
				// Never merge two sites into one call that one
				// anchor would not precede.
				cb->addFnAttr(Attribute::NoMerge);
				(cond ? k.used_cond : k.used) = true;
				changed = true;
				// -flto: the link anchors it (lto_pass.cc).
				if (sc_global().lto) {
					sc_lto_tag(cb, sc_lto_bundle(k));
					continue;
				}
				sites[cb->getFunction()].push_back(cb);
				sc_insert_anchor(cb, K, target, cond);
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
					ci->setTailCallKind(
						CallInst::TCK_NoTail);
		}
	}
	return changed;
}

// Stores of keys and of marked members: __staticcall_store(&K, v), which
// stores, then re-targets the sites if &K is a registered key. (Strict
// mode: the AST check already stopped the compilation.)
bool sc_route_stores(Module &m, sc_module_keys &mk, sc_store_counts &counts)
{
	counts.to_key += mk.key_stores.size() + mk.member_stores.size();
	for (auto &ks : mk.key_stores) {
		sc_route_store(m, ks.first,
			       ks.second->offset < 0 ?
				       (Value *)ks.second->gv :
				       ks.first->getPointerOperand(),
			       ks.second);
		// This unit's descriptor registers the key.
		ks.second->used = true;
	}
	for (auto &ms : mk.member_stores)
		sc_route_store(m, ms.first, ms.first->getPointerOperand(),
			       nullptr);
	return !mk.key_stores.empty() || !mk.member_stores.empty();
}

// Before AT, for the write I of [DST, DST+LEN):
//	fence syncscope("singlethread") seq_cst	; the store before the loads
//	%lo, %hi = volatile loads of __staticcall_key_bounds[0], [1]
//	if (DST < %hi && DST + LEN > %lo)	; unlikely
//		CALL (made by EMIT)
// A compare, not a call, for the writes that meet no key (the ordering is
// runtime/key_ranges.c's).
static void
sc_insert_bounds_check(Module &m, Instruction *at, Instruction *i, Value *dst,
		       Value *len,
		       const std::function<CallInst *(IRBuilder<> &)> &emit)
{
	LLVMContext &ctx = m.getContext();
	const DataLayout &dl = m.getDataLayout();
	Type *intptr = dl.getIntPtrType(ctx);
	ArrayType *bty = ArrayType::get(intptr, 2);
	auto *bounds = dyn_cast<GlobalVariable>(
		m.getOrInsertGlobal(SC_ABI_KEY_BOUNDS_VAR, bty));
	IRBuilder<> b(at);
	b.SetCurrentDebugLocation(i->getDebugLoc());
	b.CreateFence(AtomicOrdering::SequentiallyConsistent,
		      SyncScope::SingleThread);
	Value *lo_p = b.CreateConstInBoundsGEP2_32(bty, bounds, 0, 0);
	Value *hi_p = b.CreateConstInBoundsGEP2_32(bty, bounds, 0, 1);
	LoadInst *lo = b.CreateAlignedLoad(intptr, lo_p,
					   dl.getABITypeAlign(intptr), true);
	LoadInst *hi = b.CreateAlignedLoad(intptr, hi_p,
					   dl.getABITypeAlign(intptr), true);
	Value *a = b.CreatePtrToInt(dst, intptr);
	Value *n = b.CreateZExtOrTrunc(len, intptr);
	Value *meets = b.CreateAnd(b.CreateICmpULT(a, hi),
				   b.CreateICmpUGT(b.CreateAdd(a, n), lo));
	MDNode *unlikely = MDBuilder(ctx).createBranchWeights(1, 1000);
	Instruction *then = SplitBlockAndInsertIfThen(
		meets, cast<Instruction>(meets)->getNextNode(), false,
		unlikely);
	IRBuilder<> tb(then);
	tb.SetCurrentDebugLocation(i->getDebugLoc());
	emit(tb);
}

// Writes that may change keys without naming a member: memcpy, memset...
// (struct assignment is a memcpy to Clang), and stores of a whole
// aggregate: __staticcall_store_range_begin(dst, src or null, len) before
// them, __staticcall_store_range(dst, len) after, each behind the inline
// range check, unless the facts (plugin-common/policy.h) prove them
// key-free.
bool sc_route_mem_writes(Module &m, const sc_module_keys &mk,
			 sc_store_counts &counts)
{
	const sc_state &st = sc_global();
	const DataLayout &dl = m.getDataLayout();
	LLVMContext &ctx = m.getContext();
	PointerType *ptr = sc_compat::ptr_type(ctx);
	Type *intptr = dl.getIntPtrType(ctx);
	std::vector<std::pair<Instruction *, std::pair<Value *, Value *>>>
		writes;
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
				Type *stored = nullptr;
				if (auto *ci = dyn_cast<CallInst>(&i)) {
					if (ci->isMustTailCall() ||
					    !sc_mem_write(ci, &dst, &len))
						continue;
				} else if (auto *si = dyn_cast<StoreInst>(&i)) {
					Type *t =
						si->getValueOperand()->getType();
					if (!t->isAggregateType())
						continue;
					dst = si->getPointerOperand();
					len = ConstantInt::get(
						intptr, dl.getTypeStoreSize(t));
					stored = t;
				} else {
					continue;
				}
				if (dst->getType()->getPointerAddressSpace() !=
				    0)
					continue;
				sc_store_facts facts = sc_ir_store_facts(
					st, &i, dst, stored, mk.key_objects);
				if (sc_store_route_for(facts) ==
				    sc_store_route::key_free) {
					counts.key_free++;
					continue;
				}
				writes.push_back({ &i, { dst, len } });
			}
	}
	FunctionCallee begin = m.getOrInsertFunction(
		SC_ABI_STORE_RANGE_BEGIN_FN,
		FunctionType::get(Type::getVoidTy(ctx), { ptr, ptr, intptr },
				  false));
	if (Function *f = m.getFunction(SC_ABI_STORE_RANGE_BEGIN_FN))
		f->setDoesNotThrow();
	FunctionCallee range = sc_runtime_fn(m, SC_ABI_STORE_RANGE_FN, intptr);
	for (auto &w : writes) {
		Instruction *i = w.first;
		Value *dst = w.second.first, *len = w.second.second;
		// The sites of the keys it changes onto their trampolines
		// first (docs/PATCHING.md, "A key and its data in one
		// struct"); a copy's source lets the runtime skip the keys it
		// keeps (llvm.memcpy/memmove: every struct assignment).
		Value *src = ConstantPointerNull::get(ptr);
		if (auto *mt = dyn_cast<MemTransferInst>(i))
			src = mt->getSource();
		sc_insert_bounds_check(m, i, i, dst, len, [&](IRBuilder<> &b) {
			return b.CreateCall(
				begin, { b.CreatePointerCast(dst, ptr),
					 b.CreatePointerCast(src, ptr),
					 b.CreateZExtOrTrunc(len, intptr) });
		});
		sc_insert_bounds_check(
			m, i->getNextNode(), i, dst, len, [&](IRBuilder<> &b) {
				return b.CreateCall(
					range,
					{ b.CreatePointerCast(dst, ptr),
					  b.CreateZExtOrTrunc(len, intptr) });
			});
	}
	counts.checked += writes.size();
	return !writes.empty();
}
