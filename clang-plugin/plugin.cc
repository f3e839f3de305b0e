// plugin.cc - the Clang side of the plugin:
//  - __attribute__((static_call)) (a ParsedAttrInfo): accepted on
//    file-scope pointer-to-function variables and on pointer-to-function
//    members of structures (field keys, docs/FIELD_KEYS.md: a marked member
//    also gets an AnnotateAttr, SC_FIELD_ANNOTATION, so that the code
//    generator tags every access of it for the IR pass), an error anywhere
//    else; packed layouts that leave a marked member unaligned are errors
//    when the structure is complete;
//  - a PluginASTAction run before the main action (no -plugin flag needed):
//    predefines __STATICCALL_PLUGIN__, rejects -flto, reads the plugin
//    arguments, hands the IR pass (ir_pass.cc) to the code generator, and
//    checks the AST (static_call_update/_null/_ret0 on a non-key or a
//    ret0 key of the wrong return type; strict mode: plain stores are
//    errors; report mode: a remark per call site and per key load that is
//    not a callee).
#include <dlfcn.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/GlobalDecl.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecordLayout.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/ADT/DenseSet.h"

#include "clang_compat.h"
#include "keys.h"
#include "staticcall_abi.h"

using namespace clang;

sc_state &sc_global()
{
	static sc_state s;
	return s;
}

// Canonical declarations of the keys seen by the attribute handler.
static llvm::DenseSet<const VarDecl *> &sc_key_decls()
{
	static llvm::DenseSet<const VarDecl *> s;
	return s;
}

// Marked members (field keys) seen by the attribute handler.
static llvm::DenseSet<const FieldDecl *> &sc_key_fields()
{
	static llvm::DenseSet<const FieldDecl *> s;
	return s;
}

static bool sc_is_key_field(const ValueDecl *d)
{
	const auto *fd = dyn_cast_or_null<FieldDecl>(d);
	return fd && sc_key_fields().count(fd);
}

// Does a (complete) object of type T hold marked members, at any depth of
// nesting, through arrays?
static bool sc_type_has_key(ASTContext &ctx, QualType t)
{
	static llvm::DenseMap<const RecordDecl *, bool> memo;
	if (sc_key_fields().empty() || t.isNull())
		return false;
	t = ctx.getBaseElementType(t);
	const auto *rt = t->getAs<RecordType>();
	const RecordDecl *rd = rt ? rt->getDecl()->getDefinition() : nullptr;
	if (!rd)
		return false;
	auto it = memo.find(rd);
	if (it != memo.end())
		return it->second;
	memo[rd] = false; // (a structure cannot contain itself)
	bool has = false;
	for (const FieldDecl *f : rd->fields())
		if (sc_is_key_field(f) || sc_type_has_key(ctx, f->getType())) {
			has = true;
			break;
		}
	memo[rd] = has;
	return has;
}

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

static bool sc_is_key(const ValueDecl *d)
{
	const auto *vd = dyn_cast_or_null<VarDecl>(d);
	return vd && sc_key_decls().count(vd->getCanonicalDecl());
}

// The key variable E names (through parentheses), or null.
static const VarDecl *sc_key_ref(const Expr *e)
{
	const auto *dre = dyn_cast<DeclRefExpr>(e->IgnoreParens());
	if (!dre || !sc_is_key(dre->getDecl()))
		return nullptr;
	return cast<VarDecl>(dre->getDecl());
}

// ---------------------------------------------------------------------------
// The attribute
// ---------------------------------------------------------------------------

// Why D cannot be a key (or a member holding field keys), or null when it
// can: plugin-common/policy.cc decides, for both plugins.
static const char *sc_decl_problem(const Decl *d)
{
	sc_decl_facts f;
	if (isa<FunctionDecl>(d)) {
		f.kind = sc_decl_kind::function;
	} else if (const auto *fd = dyn_cast<FieldDecl>(d)) {
		f.kind = sc_decl_kind::field;
		f.function_pointer = fd->getType()->isFunctionPointerType();
		f.const_qualified = fd->getType().isConstQualified();
		if (const char *why = sc_key_problem(f))
			return why;
		// (Layout, packed structures: when the structure is
		// complete, SCConsumer::HandleTagDeclDefinition.)
		return sc_field_layout_problem(fd->getParent()->isUnion(), true);
	} else if (isa<IndirectFieldDecl>(d)) {
		f.kind = sc_decl_kind::indirect_field;
	} else if (isa<ParmVarDecl>(d)) {
		f.kind = sc_decl_kind::parameter;
	} else if (isa<TypedefNameDecl>(d)) {
		f.kind = sc_decl_kind::type_name;
	} else if (const auto *vd = dyn_cast<VarDecl>(d)) {
		f.kind = sc_decl_kind::variable;
		f.file_scope = vd->getDeclContext()
				       ->getRedeclContext()
				       ->isFileContext() &&
			       !sc_compat::is_local_extern(vd);
		f.thread_local_var = vd->getTLSKind() != VarDecl::TLS_None ||
				     vd->getTSCSpec() != TSCS_unspecified;
		f.function_pointer = vd->getType()->isFunctionPointerType();
		f.const_qualified = vd->getType().isConstQualified();
	}
	return sc_key_problem(f);
}

namespace {
struct SCAttrInfo : public ParsedAttrInfo {
	SCAttrInfo()
	{
		static const Spelling S[] = {
			{ParsedAttr::AS_GNU, SC_ATTR_NAME},
		};
		Spellings = S;
	}

	bool diagAppertainsToDecl(Sema &S, const ParsedAttr &attr,
				  const Decl *d) const override
	{
		const char *why = sc_decl_problem(d);
		if (!why)
			return true;
		DiagnosticsEngine &de = S.getDiagnostics();
		const auto *nd = dyn_cast<NamedDecl>(d);
		SourceLocation loc = d->getLocation().isValid() ? d->getLocation()
								 : attr.getLoc();
		if (nd && nd->getDeclName()) {
			unsigned id = de.getCustomDiagID(
				DiagnosticsEngine::Error,
				SC_DIAG_ATTR_NAMED("%0", "%1"));
			S.Diag(loc, id) << why << nd;
		} else {
			unsigned id = de.getCustomDiagID(
				DiagnosticsEngine::Error, SC_DIAG_ATTR("%0"));
			S.Diag(loc, id) << why;
		}
		return false;
	}

	AttrHandling handleDeclAttribute(Sema &S, Decl *d,
					 const ParsedAttr &attr) const override
	{
		auto *vd = dyn_cast<VarDecl>(d);
		auto *fd = dyn_cast<FieldDecl>(d);
		if ((!vd && !fd) || sc_decl_problem(d))
			return AttributeNotApplied; // diagnosed above
		if (attr.getNumArgs()) {
			unsigned id = S.getDiagnostics().getCustomDiagID(
				DiagnosticsEngine::Error, SC_DIAG_ATTR_NO_ARGS);
			S.Diag(attr.getLoc(), id);
			return AttributeNotApplied;
		}
		if (fd) {
			// Every access of the member (obj.f, p->f, a[i].f)
			// becomes @llvm.ptr.annotation(address, "staticcall.key")
			// in the IR: the pass finds field keys and member stores
			// by it, whatever the optimizer would make of the
			// address computation, and removes the calls.
			fd->addAttr(sc_compat::annotate_attr(
				S.getASTContext(), SC_FIELD_ANNOTATION,
				attr.getLoc()));
			sc_key_fields().insert(fd);
			sc_global().has_field_keys = true;
			return AttributeApplied;
		}
		// (The IR pass marks every key it uses compiler-used, so the
		// optimizer keeps a static key the module asm refers to.)
		sc_key_decls().insert(vd->getCanonicalDecl());
		return AttributeApplied;
	}
};
} // namespace

static ParsedAttrInfoRegistry::Add<SCAttrInfo>
	sc_attr_reg(SC_ATTR_NAME, "staticcall: patchable direct calls");

// ---------------------------------------------------------------------------
// AST checks: strict stores, report remarks
// ---------------------------------------------------------------------------

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
class SCVisitor : public RecursiveASTVisitor<SCVisitor> {
      public:
	SCVisitor(ASTContext &ctx, MangleContext &mc)
		: ctx(ctx), mc(mc), de(ctx.getDiagnostics()),
		  sm(ctx.getSourceManager())
	{
		id_not_key = de.getCustomDiagID(DiagnosticsEngine::Error,
						SC_DIAG_NOT_KEY("%0"));
		id_not_key_member = de.getCustomDiagID(
			DiagnosticsEngine::Error, SC_DIAG_NOT_KEY_MEMBER("%0"));
		id_ret0 = de.getCustomDiagID(DiagnosticsEngine::Error,
					     SC_DIAG_RET0_TYPE("%0", "%1"));
		id_store = de.getCustomDiagID(DiagnosticsEngine::Error,
					      SC_DIAG_STRICT_STORE("%0"));
		id_site = de.getCustomDiagID(DiagnosticsEngine::Remark,
					     SC_DIAG_SITE("%0"));
		id_load = de.getCustomDiagID(DiagnosticsEngine::Remark,
					     SC_DIAG_LOAD_NOT_CALLEE("%0"));
	}

	bool VisitBinaryOperator(BinaryOperator *e)
	{
		if (!e->isAssignmentOp() || !sc_global().strict)
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

	// Global objects whose type holds marked members, by IR name.
	bool VisitVarDecl(VarDecl *vd)
	{
		if (!vd->hasGlobalStorage() || isa<ParmVarDecl>(vd) ||
		    !sc_type_has_key(ctx, vd->getType()))
			return true;
		sc_state &st = sc_global();
		if (vd->isStaticLocal() && !mc.shouldMangleDeclName(vd)) {
			// C: CodeGen names it FUNCTION.NAME.
			const auto *fd = dyn_cast<FunctionDecl>(
				vd->getParentFunctionOrMethod());
			if (fd)
				st.keyed_objects.insert(sc_ir_name(mc, fd) + "." +
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
		if (!ret0 && name != SC_ABI_UPDATE_FN &&
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
			const auto *fd = dyn_cast<FieldDecl>(me->getMemberDecl());
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
		if (!ret0)
			return;
		const auto *pt = var->getType()->getAs<PointerType>();
		const auto *ft =
			pt ? pt->getPointeeType()->getAs<FunctionType>() : nullptr;
		if (!ft)
			return;
		QualType rt = ft->getReturnType();
		bool ok = (rt->isIntegralOrEnumerationType() ||
			   rt->isPointerType()) &&
			  ctx.getTypeSize(rt) <= 64;
		if (!ok)
			de.Report(loc, id_ret0) << var << rt;
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
	unsigned id_store, id_site, id_load, id_not_key, id_not_key_member,
		id_ret0;
	llvm::DenseSet<const Expr *> callee_loads;
};

class SCConsumer : public ASTConsumer {
      public:
	void HandleTranslationUnit(ASTContext &ctx) override
	{
		sc_state &st = sc_global();
		std::unique_ptr<MangleContext> mc(ctx.createMangleContext());
		for (const VarDecl *vd : sc_key_decls())
			st.key_names.insert(sc_ir_name(*mc, vd));
		SCVisitor(ctx, *mc).TraverseDecl(ctx.getTranslationUnitDecl());
	}

	// A structure is complete: a marked member (or a member holding
	// some) that its layout leaves unaligned to a pointer (packed,
	// #pragma pack) would make unaligned keys, which no 8-byte store
	// updates atomically: an error at the member.
	void HandleTagDeclDefinition(TagDecl *td) override
	{
		auto *rd = dyn_cast<RecordDecl>(td);
		if (!rd || rd->isUnion() || rd->isInvalidDecl() ||
		    rd->isDependentType() || sc_key_fields().empty())
			return;
		ASTContext &ctx = rd->getASTContext();
		const ASTRecordLayout *rl = nullptr;
		uint64_t palign = ctx.getTypeAlign(ctx.VoidPtrTy);
		unsigned i = 0;
		for (FieldDecl *f : rd->fields()) {
			unsigned n = i++;
			bool key = sc_is_key_field(f);
			if (!key && !sc_type_has_key(ctx, f->getType()))
				continue;
			if (!rl)
				rl = &ctx.getASTRecordLayout(rd);
			if (rl->getFieldOffset(n) % palign == 0 &&
			    (uint64_t)ctx.toBits(rl->getAlignment()) >= palign)
				continue;
			DiagnosticsEngine &de = ctx.getDiagnostics();
			de.Report(f->getLocation(),
				  de.getCustomDiagID(
					  DiagnosticsEngine::Error,
					  SC_DIAG_ATTR_NAMED("%0", "%1")))
				<< sc_field_layout_problem(false, false) << f;
			if (key) // no second error, no site
				sc_key_fields().erase(f);
		}
	}
};

#if !SC_HAVE_PASS_BUILDER_CALLBACKS
// Path of this shared object (for CodeGenOptions::PassPlugins).
static std::string sc_self_path()
{
	Dl_info info;
	if (dladdr(reinterpret_cast<void *>(&sc_global), &info) &&
	    info.dli_fname)
		return info.dli_fname;
	return std::string();
}
#endif

class SCAction : public PluginASTAction {
      protected:
	std::unique_ptr<ASTConsumer>
	CreateASTConsumer(CompilerInstance &CI, llvm::StringRef) override
	{
		DiagnosticsEngine &de = CI.getDiagnostics();
		CodeGenOptions &cg = CI.getCodeGenOpts();
		// Site and key tables are module asm written at code
		// generation: an LTO IR object would lose their meaning.
		if (cg.PrepareForLTO || cg.PrepareForThinLTO)
			de.Report(de.getCustomDiagID(DiagnosticsEngine::Error,
						     SC_DIAG_LTO));

		// staticcall.h turns STATIC_CALL on when this is defined. The
		// predefines buffer is entered when parsing starts, after this.
		if (CI.hasPreprocessor()) {
			Preprocessor &pp = CI.getPreprocessor();
			pp.setPredefines(pp.getPredefines() +
					 "#ifndef __STATICCALL_PLUGIN__\n"
					 "#define __STATICCALL_PLUGIN__ 1\n"
					 "#endif\n");
		}

		// Site records carry the call's file:line (the runtime's
		// reports): have Clang keep locations even without -g. Code
		// generation reads the option after this, and it emits no
		// debug info and changes no code.
		sc_compat::track_locations(cg);

		// The code generator reads its options when it emits the
		// module, after this: add the IR pass now.
#if SC_HAVE_PASS_BUILDER_CALLBACKS
		cg.PassBuilderCallbacks.push_back(sc_register_pass_callbacks);
#else
		std::string self = sc_self_path();
		if (self.empty())
			de.Report(de.getCustomDiagID(
				DiagnosticsEngine::Error,
				"staticcall: cannot find the plugin's own path; "
				"add -fpass-plugin=<path to staticcall_clang.so>"));
		else if (std::find(cg.PassPlugins.begin(), cg.PassPlugins.end(),
				   self) == cg.PassPlugins.end())
			cg.PassPlugins.push_back(self);
#endif
		return std::make_unique<SCConsumer>();
	}

	bool ParseArgs(const CompilerInstance &CI,
		       const std::vector<std::string> &args) override
	{
		sc_state &st = sc_global();
		DiagnosticsEngine &de = CI.getDiagnostics();
		for (const std::string &a : args) {
			if (a == SC_OPT_STRICT)
				st.strict = true;
			else if (a == SC_OPT_REPORT)
				st.report = true;
			else
				de.Report(de.getCustomDiagID(
					DiagnosticsEngine::Error,
					SC_DIAG_UNKNOWN_ARG(SC_PLUGIN_NAME,
							    "%0")))
					<< a;
		}
		return true;
	}

	ActionType getActionType() override { return AddBeforeMainAction; }
};
} // namespace

static FrontendPluginRegistry::Add<SCAction>
	sc_action_reg(SC_PLUGIN_NAME,
		      "staticcall: patchable direct calls through "
		      "__attribute__((static_call)) function pointers");
