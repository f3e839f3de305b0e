// ast_checks.cc - the checks of the parsed unit, at the source line (the
// GCC plugin makes them in gimple_pass.cc): static_call_update/_null/_ret0
// on a non-key or a ret0 key of the wrong return type; strict mode: plain
// stores are errors; report mode: a remark per call site and per key load
// that is not a callee. Also records the IR names of the keys and of the
// global objects holding marked members, for the IR pass (keys.h).
#include <map>
#include <memory>
#include <set>
#include <string>

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/GlobalDecl.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Path.h"

#include "clang_compat.h"
#include "keys.h"
#include "staticcall_abi.h"

using namespace clang;

// The marked member the member access E (through parentheses) names, or
// null.
static const FieldDecl *sc_field_ref(const Expr *e)
{
	const auto *me = dyn_cast<MemberExpr>(e->IgnoreParens());
	if (!me)
		return nullptr;
	const auto *fd = dyn_cast<FieldDecl>(me->getMemberDecl());
	return sc_is_key_field(fd) ? fd : nullptr;
}

// The variable holding the object the member access E is part of
// (x.f, x.a.f, x[2].f, (&x)->f, x->f with x an array), or null (a pointer
// dereference). *constant: every array index on the way is a constant.
static const VarDecl *sc_access_base(ASTContext &ctx, const Expr *e,
				     bool *constant)
{
	*constant = true;
	for (;;) {
		e = e->IgnoreParens();
		if (const auto *me = dyn_cast<MemberExpr>(e)) {
			e = me->getBase();
			if (!me->isArrow())
				continue;
			e = e->IgnoreParenImpCasts();
			if (const auto *uo = dyn_cast<UnaryOperator>(e))
				if (uo->getOpcode() == UO_AddrOf) {
					e = uo->getSubExpr();
					continue;
				}
			if (e->getType()->isArrayType())
				continue; // x->f with x an array: x[0].f
			return nullptr;
		}
		if (const auto *ase = dyn_cast<ArraySubscriptExpr>(e)) {
			const Expr *b = ase->getBase()->IgnoreParens();
			const auto *ic = dyn_cast<ImplicitCastExpr>(b);
			if (!ic || ic->getCastKind() != CK_ArrayToPointerDecay)
				return nullptr; // p[i].f: through a pointer
			if (!ase->getIdx()->isIntegerConstantExpr(ctx))
				*constant = false;
			e = ic->getSubExpr();
			continue;
		}
		if (const auto *dre = dyn_cast<DeclRefExpr>(e))
			return dyn_cast<VarDecl>(dre->getDecl());
		return nullptr;
	}
}

// Is the marked-member access E a field key: a member of a global object
// (not thread-local, not const) at a constant offset?
static bool sc_field_is_key(ASTContext &ctx, const Expr *e)
{
	bool constant;
	const VarDecl *vd = sc_access_base(ctx, e, &constant);
	return vd && constant && vd->hasGlobalStorage() &&
	       vd->getTLSKind() == VarDecl::TLS_None &&
	       !ctx.getBaseElementType(vd->getType()).isConstQualified();
}

// Does the marked-member access E write an automatic object?
static bool sc_field_is_local(ASTContext &ctx, const Expr *e)
{
	bool constant;
	const VarDecl *vd = sc_access_base(ctx, e, &constant);
	return vd && vd->hasLocalStorage();
}

// The key variable E names (through parentheses; C++: also a static data
// member named as `obj.key`), or null.
static const VarDecl *sc_key_ref(const Expr *e)
{
	const ValueDecl *d = nullptr;
	if (const auto *dre = dyn_cast<DeclRefExpr>(e->IgnoreParens()))
		d = dre->getDecl();
	else if (const auto *me = dyn_cast<MemberExpr>(e->IgnoreParens()))
		d = me->getMemberDecl();
	if (!d || !sc_is_key(d))
		return nullptr;
	return cast<VarDecl>(d);
}

// The IR name of VD (a variable or a function): its asm label, its C++
// mangled name, or its name (the IR pass also tries it with LLVM's '\1'
// asm-label prefix).
template <typename D>
static std::string sc_ir_name(MangleContext &mc, const D *vd)
{
	for (const D *r : vd->redecls())
		if (const auto *l = r->template getAttr<AsmLabelAttr>())
			return l->getLabel().str();
	if (!mc.shouldMangleDeclName(vd))
		return vd->getName().str();
	std::string out;
	llvm::raw_string_ostream os(out);
	mc.mangleName(GlobalDecl(vd), os);
	os.flush();
	if (!out.empty() && out[0] == '\1')
		out.erase(0, 1);
	return out;
}

namespace {
// (C) Which aggregate copies have a key-free type (sc_state's
// key_free_copies). Clang lowers `*p = *q;` to an llvm.memcpy of bytes
// whose only link to the assignment is its debug location (kept without
// -g, sc_compat::track_locations): the file name (its directories
// dropped), line and column of the source expression, macro expansions
// at the expansion. A place is trusted only
// when no other expression that may make a copy (an aggregate, an array,
// a call, ...), statement or declaration starts or sits there, and every
// copy there has the same size.
class sc_copy_facts {
      public:
	explicit sc_copy_facts(ASTContext &ctx)
		: ctx(ctx)
		, sm(ctx.getSourceManager())
	{
	}

	// Every statement and expression, before its children.
	void visit_stmt(const Stmt *s)
	{
		if (const auto *bo = dyn_cast<BinaryOperator>(s))
			note_assignment(bo);
		// `(*(d) = *(s))`: parentheses around a key-free copy (a
		// macro's) copy nothing themselves.
		if (const auto *pe = dyn_cast<ParenExpr>(s)) {
			const Expr *in = pe->getSubExpr()->IgnoreParens();
			if (const auto *bo = dyn_cast<BinaryOperator>(in)) {
				note_assignment(bo); // (again: the same)
				if (exempt.count(bo))
					exempt.insert(pe);
			}
		}
		if (exempt.count(s))
			return;
		const auto *e = dyn_cast<Expr>(s);
		if (e && !may_copy(e))
			return;
		mark_unsafe(s->getBeginLoc());
		if (e)
			mark_unsafe(e->getExprLoc());
	}

	void visit_decl(const Decl *d)
	{
		mark_unsafe(d->getLocation());
		mark_unsafe(d->getBeginLoc());
	}

	void finish(sc_state &st)
	{
		for (const auto &c : copies)
			if (c.second && !unsafe.count(c.first))
				st.key_free_copies.insert(c);
	}

      private:
	using place = sc_copy_place;

	bool where(SourceLocation loc, place *out)
	{
		if (loc.isInvalid())
			return false;
		PresumedLoc pl = sm.getPresumedLoc(sm.getExpansionLoc(loc));
		if (pl.isInvalid() || !pl.getLine() || !pl.getColumn())
			return false;
		*out = place(llvm::sys::path::filename(pl.getFilename()).str(),
			     pl.getLine(), pl.getColumn());
		return true;
	}

	void mark_unsafe(SourceLocation loc)
	{
		place p;
		if (where(loc, &p))
			unsafe.insert(p);
	}

	// Can evaluating E make a copy of memory or a call (an aggregate
	// or array value, a call, a statement expression, ...)? Integers,
	// floating-point numbers and pointers cannot.
	static bool may_copy(const Expr *e)
	{
		if (isa<CallExpr>(e) || isa<StmtExpr>(e) || isa<BlockExpr>(e) ||
		    isa<AtomicExpr>(e) || isa<VAArgExpr>(e))
			return true;
		QualType t = e->getType();
		if (t.isNull() || t->isAtomicType() || t->isBlockPointerType())
			return true;
		return !(t->isIntegralOrEnumerationType() ||
			 t->isRealFloatingType() || t->isPointerType());
	}

	// A glvalue that names memory and copies nothing itself: x, p->m,
	// x.m, *p, a[i] (their operands are visited on their own).
	static const Expr *plain_lvalue(const Expr *e)
	{
		while (const auto *pe = dyn_cast<ParenExpr>(e))
			e = pe->getSubExpr();
		if (!e->isGLValue())
			return nullptr;
		if (isa<DeclRefExpr>(e) || isa<MemberExpr>(e) ||
		    isa<ArraySubscriptExpr>(e))
			return e;
		const auto *uo = dyn_cast<UnaryOperator>(e);
		return uo && uo->getOpcode() == UO_Deref ? e : nullptr;
	}

	// `lhs = rhs` of a complete structure or union type without marked
	// members, from a plain lvalue: the copy is made at rhs's place.
	void note_assignment(const BinaryOperator *bo)
	{
		if (bo->getOpcode() != BO_Assign)
			return;
		QualType t = bo->getLHS()->getType();
		const auto *rt = t->getAs<RecordType>();
		const RecordDecl *rd = rt ? rt->getDecl()->getDefinition() :
					    nullptr;
		if (!rd || rd->isInvalidDecl() || t->isAtomicType() ||
		    t.isVolatileQualified() || sc_type_has_key(ctx, t))
			return;
		const Expr *lhs = plain_lvalue(bo->getLHS());
		for (const Expr *l = bo->getLHS(); lhs && l != lhs;
		     l = cast<ParenExpr>(l)->getSubExpr())
			exempt_later.push_back(l); // (parentheses)
		const Expr *rhs = bo->getRHS();
		// (the rvalue conversion, parentheses, qualifier casts)
		llvm::SmallVector<const Expr *, 4> chain;
		for (;;) {
			chain.push_back(rhs);
			if (const auto *pe = dyn_cast<ParenExpr>(rhs)) {
				rhs = pe->getSubExpr();
				continue;
			}
			const auto *ic = dyn_cast<ImplicitCastExpr>(rhs);
			if (ic && (ic->getCastKind() == CK_LValueToRValue ||
				   ic->getCastKind() == CK_NoOp)) {
				rhs = ic->getSubExpr();
				continue;
			}
			break;
		}
		const Expr *src = plain_lvalue(rhs);
		place p;
		if (!lhs || !src || !where(src->getExprLoc(), &p)) {
			exempt_later.clear();
			return;
		}
		unsigned long long size =
			ctx.getTypeSizeInChars(t).getQuantity();
		auto it = copies.find(p);
		if (it == copies.end())
			copies[p] = size;
		else if (it->second != size)
			it->second = 0; // (two sizes at one place: neither)
		exempt.insert(bo);
		exempt.insert(lhs);
		exempt.insert(src);
		for (const Expr *l : exempt_later)
			exempt.insert(l);
		exempt_later.clear();
		for (const Expr *c : chain)
			exempt.insert(c);
	}

	ASTContext &ctx;
	SourceManager &sm;
	std::map<place, unsigned long long> copies; // size, 0: conflict
	std::set<place> unsafe;
	llvm::DenseSet<const Stmt *> exempt;
	llvm::SmallVector<const Expr *, 4> exempt_later;
};

class SCVisitor : public RecursiveASTVisitor<SCVisitor> {
      public:
	SCVisitor(ASTContext &ctx, MangleContext &mc)
		: ctx(ctx)
		, mc(mc)
		, de(ctx.getDiagnostics())
		, sm(ctx.getSourceManager())
	{
		// (qualified, as GCC names a variable: 'app::hook')
		id_not_key = de.getCustomDiagID(DiagnosticsEngine::Error,
						SC_DIAG_NOT_KEY("%q0"));
		id_not_key_member = de.getCustomDiagID(
			DiagnosticsEngine::Error, SC_DIAG_NOT_KEY_MEMBER("%0"));
		id_ret0 = de.getCustomDiagID(DiagnosticsEngine::Error,
					     SC_DIAG_RET0_TYPE("%0", "%1"));
		id_const = de.getCustomDiagID(DiagnosticsEngine::Error,
					      SC_DIAG_CONST_TYPE("%0", "%1"));
		id_ret_arg =
			de.getCustomDiagID(DiagnosticsEngine::Error,
					   SC_DIAG_RET_ARG_TYPE("%0", "%1"));
		id_ret_arg_n =
			de.getCustomDiagID(DiagnosticsEngine::Error,
					   SC_DIAG_RET_ARG_N("%0", "%1"));
		id_store = de.getCustomDiagID(DiagnosticsEngine::Error,
					      SC_DIAG_STRICT_STORE("%0"));
		id_boot_store = de.getCustomDiagID(DiagnosticsEngine::Error,
						   SC_DIAG_BOOT_STORE("%0"));
		id_site = de.getCustomDiagID(DiagnosticsEngine::Remark,
					     SC_DIAG_SITE("%0"));
		id_load = de.getCustomDiagID(DiagnosticsEngine::Remark,
					     SC_DIAG_LOAD_NOT_CALLEE("%0"));
	}

	bool VisitStmt(Stmt *s)
	{
		if (copy_facts)
			copy_facts->visit_stmt(s);
		return true;
	}

	bool VisitDecl(Decl *d)
	{
		if (copy_facts)
			copy_facts->visit_decl(d);
		return true;
	}

	// (C only: C++ copies run constructors and assignment operators,
	// Objective-C, OpenMP and the GPU languages copy in ways of their
	// own.)
	void find_key_free_copies()
	{
		const LangOptions &lo = ctx.getLangOpts();
		if (!sc_global().has_field_keys ||
		    sc_global().debug_prefix_map || lo.CPlusPlus || lo.ObjC ||
		    lo.OpenMP || lo.OpenCL || lo.CUDA || lo.HIP || lo.Blocks)
			return;
		copy_facts.reset(new sc_copy_facts(ctx));
	}

	void finish()
	{
		if (copy_facts)
			copy_facts->finish(sc_global());
	}

	bool VisitBinaryOperator(BinaryOperator *e)
	{
		if (!e->isAssignmentOp())
			return true;
		// A key declared STATIC_CALL_BOOT: never a plain store.
		if (const VarDecl *k = sc_key_ref(e->getLHS()))
			if (sc_boot_key_decls().count(k->getCanonicalDecl())) {
				de.Report(e->getLHS()->getExprLoc(),
					  id_boot_store)
					<< k;
				return true;
			}
		if (!sc_global().strict)
			return true;
		if (const VarDecl *k = sc_key_ref(e->getLHS()))
			de.Report(e->getLHS()->getExprLoc(), id_store) << k;
		// A marked member of anything but an automatic object, named
		// as written ('cfg.ops[1].fn', like the GCC plugin).
		if (sc_field_ref(e->getLHS()) &&
		    !sc_field_is_local(ctx, e->getLHS()))
			de.Report(e->getLHS()->getExprLoc(), id_store)
				<< sc_expr_text(e->getLHS());
		return true;
	}

	// Structure types holding marked members, by the name CodeGen gives
	// their IR types.
	bool VisitRecordDecl(RecordDecl *rd)
	{
		if (!rd->isCompleteDefinition() ||
		    !sc_type_has_key(ctx, ctx.getRecordType(rd)))
			return true;
		std::set<std::string> &t = sc_global().keyed_types;
		if (ctx.getLangOpts().CPlusPlus && rd->getIdentifier()) {
			// CodeGen names a C++ record type "class.NS::NAME"
			// (or struct., union.) after its qualified name.
			std::string q;
			llvm::raw_string_ostream os(q);
			rd->printQualifiedName(os, ctx.getPrintingPolicy());
			os.flush();
			t.insert(q);
		}
		if (!rd->getName().empty())
			t.insert(rd->getName().str());
		else if (const TypedefNameDecl *td =
				 rd->getTypedefNameForAnonDecl())
			t.insert(td->getName().str());
		else
			t.insert("anon");
		return true;
	}

	// (C++) Visit class template instantiations too: their static data
	// members and members are keys of their own (keys.cc).
	bool shouldVisitTemplateInstantiations() const { return true; }

	// Global objects whose type holds marked members, by IR name; and
	// (C++) the keys instantiated from a class template's.
	bool VisitVarDecl(VarDecl *vd)
	{
		if (vd->getInstantiatedFromStaticDataMember() &&
		    sc_is_key(vd) &&
		    !vd->getDeclContext()->isDependentContext())
			sc_global().key_names.insert(sc_ir_name(mc, vd));
		if (!vd->hasGlobalStorage() || isa<ParmVarDecl>(vd) ||
		    !sc_type_has_key(ctx, vd->getType()))
			return true;
		sc_state &st = sc_global();
		if (vd->isStaticLocal() && !mc.shouldMangleDeclName(vd)) {
			// C: CodeGen names it FUNCTION.NAME.
			const auto *fd = dyn_cast<FunctionDecl>(
				vd->getParentFunctionOrMethod());
			if (fd)
				st.keyed_objects.insert(sc_ir_name(mc, fd) +
							"." +
							vd->getName().str());
			return true;
		}
		st.keyed_objects.insert(sc_ir_name(mc, vd));
		return true;
	}

	// static_call_update/_null/_ret0 on something that is not a key, and
	// return-zero on a key whose return type is not an integer or a
	// pointer (the same checks as the GCC plugin).
	void check_api_call(const CallExpr *e)
	{
		const FunctionDecl *fd = e->getDirectCallee();
		if (!fd || !fd->getIdentifier() || e->getNumArgs() < 1)
			return;
		llvm::StringRef name = fd->getName();
		bool ret0 = name == SC_ABI_UPDATE_RET0_FN;
		bool cnst = name == SC_ABI_UPDATE_CONST_FN;
		bool ret_arg = name == SC_ABI_UPDATE_RET_ARG_FN;
		if (!ret0 && !cnst && !ret_arg && name != SC_ABI_UPDATE_FN &&
		    name != SC_ABI_UPDATE_NULL_FN)
			return;
		const auto *addr = dyn_cast<UnaryOperator>(
			e->getArg(0)->IgnoreParenCasts());
		if (!addr || addr->getOpcode() != UO_AddrOf)
			return; // computed: nothing to check here
		const Expr *sub = addr->getSubExpr()->IgnoreParens();
		SourceLocation loc = sm.getExpansionLoc(e->getBeginLoc());
		const ValueDecl *var = nullptr;
		if (const auto *me = dyn_cast<MemberExpr>(sub)) {
			// X.f, p->f: f must be a marked member (any object:
			// the runtime reports an address that is no key).
			const auto *fd =
				dyn_cast<FieldDecl>(me->getMemberDecl());
			if (!fd)
				return;
			if (!sc_is_key_field(fd)) {
				de.Report(loc, id_not_key_member) << fd;
				return;
			}
			var = fd;
		} else if (const auto *dre = dyn_cast<DeclRefExpr>(sub)) {
			var = dyn_cast<VarDecl>(dre->getDecl());
			if (!var)
				return;
			if (!sc_is_key(var)) {
				de.Report(loc, id_not_key) << var;
				return;
			}
		} else {
			return;
		}
		if (!ret0 && !cnst && !ret_arg)
			return;
		const auto *pt = var->getType()->getAs<PointerType>();
		const auto *ft =
			pt ? pt->getPointeeType()->getAs<FunctionType>() :
			     nullptr;
		if (!ft)
			return;
		QualType rt = ft->getReturnType();
		bool ok = (rt->isIntegralOrEnumerationType() ||
			   rt->isPointerType()) &&
			  ctx.getTypeSize(rt) <= 64;
		if (!ok) {
			de.Report(loc, ret0 ? id_ret0 :
				       cnst ? id_const :
					      id_ret_arg)
				<< var << rt;
			return;
		}
		if (ret_arg && e->getNumArgs() >= 2)
			check_ret_arg(e->getArg(1), ft, rt, var, loc);
	}

	// static_call_update_ret_arg(key, n) with n a constant: the
	// arguments up to n integers or pointers, argument n of the return
	// type's size (as the GCC plugin checks).
	void check_ret_arg(const Expr *arg, const FunctionType *ft, QualType rt,
			   const ValueDecl *var, SourceLocation loc)
	{
		Expr::EvalResult r;
		if (!arg->EvaluateAsInt(r, ctx))
			return; // computed: the runtime checks what it can
		llvm::APSInt n = r.Val.getInt();
		const auto *fp = dyn_cast<FunctionProtoType>(ft);
		bool ok = false;
		if (fp && !n.isNegative() && n.getZExtValue() < 64)
			for (unsigned i = 0; i < fp->getNumParams(); i++) {
				QualType t = fp->getParamType(i);
				if (!t->isIntegralOrEnumerationType() &&
				    !t->isPointerType())
					break;
				if (i == n.getZExtValue()) {
					ok = ctx.getTypeSize(t) ==
					     ctx.getTypeSize(rt);
					break;
				}
			}
		if (!ok)
			de.Report(loc, id_ret_arg_n)
				<< var << (unsigned)n.getZExtValue();
	}

	// Visited before its children: marks the load that is its callee.
	bool VisitCallExpr(CallExpr *e)
	{
		check_api_call(e);
		const Expr *c = e->getCallee();
		for (;;) {
			c = c->IgnoreParens();
			if (const auto *ic = dyn_cast<ImplicitCastExpr>(c)) {
				if (ic->getCastKind() == CK_LValueToRValue)
					break;
				if (ic->getCastKind() ==
				    CK_FunctionToPointerDecay) {
					c = ic->getSubExpr();
					continue;
				}
				return true;
			}
			if (const auto *uo = dyn_cast<UnaryOperator>(c)) {
				if (uo->getOpcode() != UO_Deref)
					return true;
				c = uo->getSubExpr();
				continue;
			}
			return true;
		}
		const auto *load = cast<ImplicitCastExpr>(c);
		const Expr *ref = load->getSubExpr();
		if (const VarDecl *k = sc_key_ref(ref)) {
			callee_loads.insert(load);
			if (sc_global().report)
				de.Report(e->getExprLoc(), id_site) << k;
		} else if (sc_field_ref(ref) && sc_field_is_key(ctx, ref)) {
			callee_loads.insert(load);
			if (sc_global().report)
				de.Report(e->getExprLoc(), id_site)
					<< sc_expr_text(ref);
		}
		return true;
	}

	// 'cfg.ops[1].fn', for remarks.
	std::string sc_expr_text(const Expr *e)
	{
		std::string out;
		llvm::raw_string_ostream os(out);
		e->IgnoreParens()->printPretty(os, nullptr,
					       ctx.getPrintingPolicy());
		os.flush();
		return "'" + out + "'";
	}

	bool VisitImplicitCastExpr(ImplicitCastExpr *e)
	{
		if (!sc_global().report ||
		    e->getCastKind() != CK_LValueToRValue ||
		    callee_loads.count(e))
			return true;
		if (const VarDecl *k = sc_key_ref(e->getSubExpr()))
			de.Report(e->getExprLoc(), id_load) << k;
		else if (sc_field_ref(e->getSubExpr()) &&
			 sc_field_is_key(ctx, e->getSubExpr()))
			de.Report(e->getExprLoc(), id_load)
				<< sc_expr_text(e->getSubExpr());
		return true;
	}

      private:
	ASTContext &ctx;
	MangleContext &mc;
	DiagnosticsEngine &de;
	SourceManager &sm;
	unsigned id_store, id_boot_store, id_site, id_load, id_not_key, id_not_key_member,
		id_ret0, id_const, id_ret_arg, id_ret_arg_n;
	llvm::DenseSet<const Expr *> callee_loads;
	std::unique_ptr<sc_copy_facts> copy_facts;
};

} // namespace

void sc_check_unit(ASTContext &ctx)
{
	sc_state &st = sc_global();
	std::unique_ptr<MangleContext> mc(ctx.createMangleContext());
	for (const VarDecl *vd : sc_key_decls())
		// (a class template's member has no name of its own: its
		// instantiations are named by the visitor)
		if (!vd->getDeclContext()->isDependentContext())
			st.key_names.insert(sc_ir_name(*mc, vd));
	for (const VarDecl *vd : sc_boot_key_decls())
		if (!vd->getDeclContext()->isDependentContext())
			st.boot_key_names.insert(sc_ir_name(*mc, vd));
	SCVisitor v(ctx, *mc);
	v.find_key_free_copies();
	v.TraverseDecl(ctx.getTranslationUnitDecl());
	v.finish();
}
