// fragment.cc - __attribute__((static_call_fragment("insn"))) on a
// function definition (plugin-common/fragment.h), the GCC plugin's
// fragment.cc for Clang: the text is checked when the attribute is seen
// (a ParsedAttrInfo) and rides to the IR as an annotation; the IR pass
// gives the function the instruction, `ret` and the runtime's record as
// its whole body (naked, noinline: no prologue, no copy). The C body stays
// what a build without the plugin compiles.
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Expr.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/TargetInfo.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Metadata.h"

#include "annotations.h"
#include "clang_compat.h"
#include "fragment.h"
#include "ir_pass.h"

using namespace clang;

// The annotation the attribute leaves on the function for the IR pass:
// this prefix, then the instruction's text.
#define SC_FRAGMENT_ANNOTATION "staticcall.fragment:"

namespace {

// Canonical declarations of the marked functions (one cc1: one unit).
llvm::DenseSet<const FunctionDecl *> &sc_frag_decls()
{
	static llvm::DenseSet<const FunctionDecl *> s;
	return s;
}

bool sc_frag_int_type(ASTContext &ctx, QualType t)
{
	return (t->isIntegralOrEnumerationType() || t->isPointerType()) &&
	       ctx.getTypeSize(t) <= 64;
}

sc_fragment_sig sc_frag_sig(const FunctionDecl *fd)
{
	ASTContext &ctx = fd->getASTContext();
	sc_fragment_sig s;
	s.returns_void = fd->getReturnType()->isVoidType();
	s.returns_int = sc_frag_int_type(ctx, fd->getReturnType());
	s.other_params = fd->isVariadic() || !fd->hasPrototype();
	for (const ParmVarDecl *p : fd->parameters()) {
		if (sc_frag_int_type(ctx, p->getType()))
			s.int_params++;
		else
			s.other_params = true;
	}
	return s;
}

sc_target sc_frag_ast_target(const ASTContext &ctx)
{
	return ctx.getTargetInfo().getTriple().isAArch64() ?
		       sc_target::aarch64 :
		       sc_target::x86_64;
}

void sc_frag_error(DiagnosticsEngine &de, const Decl *d, SourceLocation alt,
		   const std::string &why)
{
	const auto *nd = dyn_cast<NamedDecl>(d);
	SourceLocation loc = d->getLocation().isValid() ? d->getLocation() :
							  alt;
	if (nd && nd->getDeclName())
		de.Report(loc, de.getCustomDiagID(
				       DiagnosticsEngine::Error,
				       SC_DIAG_FRAG_NAMED("%0", "%1")))
			<< why << nd;
	else
		de.Report(loc, de.getCustomDiagID(DiagnosticsEngine::Error,
						  SC_DIAG_FRAG("%0")))
			<< why;
}

struct SCFragmentAttrInfo : public ParsedAttrInfo {
	SCFragmentAttrInfo()
	{
		static const Spelling S[] = {
			{ ParsedAttr::AS_GNU, SC_FRAGMENT_ATTR_NAME },
		};
		Spellings = S;
		NumArgs = 1;
	}

	static bool is_plain_function(const Decl *d)
	{
		const auto *md = dyn_cast<CXXMethodDecl>(d);
		return isa<FunctionDecl>(d) && (!md || md->isStatic());
	}

	bool diagAppertainsToDecl(Sema &S, const ParsedAttr &attr,
				  const Decl *d) const override
	{
		if (is_plain_function(d))
			return true;
		sc_frag_error(S.getDiagnostics(), d, attr.getLoc(),
			      "applies to function definitions only");
		return false;
	}

	AttrHandling handleDeclAttribute(Sema &S, Decl *d,
					 const ParsedAttr &attr) const override
	{
		auto *fd = dyn_cast<FunctionDecl>(d);
		if (!fd || !is_plain_function(d))
			return AttributeNotApplied; // diagnosed above
		DiagnosticsEngine &de = S.getDiagnostics();
		const StringLiteral *lit = nullptr;
		if (attr.getNumArgs() == 1 && attr.isArgExpr(0))
			lit = dyn_cast<StringLiteral>(
				attr.getArgAsExpr(0)->IgnoreParenCasts());
		if (!lit) {
			sc_frag_error(de, d, attr.getLoc(),
				      "needs the text of one instruction");
			return AttributeNotApplied;
		}
		std::string text = lit->getString().str();
		std::string why = sc_fragment_problem(
			text, sc_frag_sig(fd),
			sc_frag_ast_target(S.getASTContext()));
		if (!why.empty()) {
			sc_frag_error(de, d, attr.getLoc(), why);
			return AttributeNotApplied;
		}
		fd->addAttr(sc_compat::annotate_attr(
			S.getASTContext(), SC_FRAGMENT_ANNOTATION + text,
			attr.getLoc()));
		sc_frag_decls().insert(fd->getCanonicalDecl());
		return AttributeApplied;
	}
};

} // namespace

static ParsedAttrInfoRegistry::Add<SCFragmentAttrInfo>
	sc_frag_attr_reg(SC_FRAGMENT_ATTR_NAME,
			 "staticcall: one-instruction fragments");

// The whole unit is parsed: a marked function without a definition here
// was marked on a declaration only.
void sc_check_fragments(ASTContext &ctx)
{
	for (const FunctionDecl *fd : sc_frag_decls()) {
		if (fd->isDefined())
			continue;
		sc_fragment_sig s = sc_frag_sig(fd);
		s.definition = false;
		sc_frag_error(ctx.getDiagnostics(), fd, fd->getLocation(),
			      sc_fragment_problem("", s,
						  sc_frag_ast_target(ctx)));
	}
}

// ---- the IR: each annotated function's body --------------------------------

bool sc_lower_fragments(llvm::Module &m, sc_target target)
{
	bool any = false;
	// The unit's IBT / BTI: the code generator puts endbr64 / bti c
	// first in the naked function.
	bool landing_pad = false;
	if (auto *c = llvm::mdconst::extract_or_null<llvm::ConstantInt>(
		    m.getModuleFlag(target == sc_target::aarch64 ?
					    "branch-target-enforcement" :
					    "cf-protection-branch")))
		landing_pad = !c->isZero();
	sc_each_annotation(m, [&](llvm::Function *f, llvm::StringRef a) {
		const size_t np = strlen(SC_FRAGMENT_ANNOTATION);
		if (f->isDeclaration() ||
		    a.substr(0, np) != SC_FRAGMENT_ANNOTATION)
			return;
		std::string body = sc_text_fragment_body(a.substr(np).str(),
							 landing_pad, target);
		// Inline asm text: `$` is LLVM's operand marker.
		std::string esc;
		for (char c : body) {
			esc += c;
			if (c == '$')
				esc += '$';
		}
		// (deleteBody makes it an external declaration)
		llvm::GlobalValue::LinkageTypes linkage = f->getLinkage();
		f->deleteBody();
		f->setLinkage(linkage);
		llvm::BasicBlock *bb = llvm::BasicBlock::Create(m.getContext(), "", f);
		llvm::IRBuilder<> b(bb);
		auto *fty = llvm::FunctionType::get(b.getVoidTy(), false);
		b.CreateCall(llvm::InlineAsm::get(fty, esc, "", true));
		b.CreateUnreachable();
		f->removeFnAttr(llvm::Attribute::AlwaysInline);
		f->addFnAttr(llvm::Attribute::Naked);
		f->addFnAttr(llvm::Attribute::NoInline);
		any = true;
	});
	return any;
}
