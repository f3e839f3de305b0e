// attribute.cc - __attribute__((static_call)) (a ParsedAttrInfo): accepted
// on file-scope pointer-to-function variables and on pointer-to-function
// members of structures (field keys, docs/FIELD_KEYS.md: a marked member
// also gets an AnnotateAttr, SC_FIELD_ANNOTATION, so that the code
// generator tags every access of it for the IR pass), an error anywhere
// else; packed layouts that leave a marked member unaligned are errors
// when the structure is complete. The GCC plugin's attribute.cc does the
// same, with the same texts (plugin-common/policy.cc).
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/RecordLayout.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Sema/ParsedAttr.h"
#include "clang/Sema/Sema.h"

#include "clang_compat.h"
#include "keys.h"

using namespace clang;

// Why D cannot be a key (or a member holding field keys), or null when it
// can: plugin-common/policy.cc decides, for both plugins.
static const char *sc_decl_problem(const Decl *d)
{
	sc_decl_facts f;
	// (C++: references and pointers to member functions are no keys.)
	auto type_facts = [&f](QualType t) {
		f.function_pointer = t->isFunctionPointerType();
		f.member_function_pointer = t->isMemberFunctionPointerType();
		f.reference = t->isReferenceType();
	};
	if (const auto *md = dyn_cast<CXXMethodDecl>(d)) {
		f.kind = md->isStatic() ? sc_decl_kind::function :
					  sc_decl_kind::member_function;
	} else if (isa<FunctionDecl>(d)) {
		f.kind = sc_decl_kind::function;
	} else if (const auto *fd = dyn_cast<FieldDecl>(d)) {
		f.kind = sc_decl_kind::field;
		type_facts(fd->getType());
		f.const_qualified = fd->getType().isConstQualified();
		if (const char *why = sc_key_problem(f))
			return why;
		// (Layout, packed structures: when the structure is
		// complete, SCConsumer::HandleTagDeclDefinition.)
		return sc_field_layout_problem(fd->getParent()->isUnion(),
					       true);
	} else if (isa<IndirectFieldDecl>(d)) {
		f.kind = sc_decl_kind::indirect_field;
	} else if (isa<ParmVarDecl>(d)) {
		f.kind = sc_decl_kind::parameter;
	} else if (isa<TypedefNameDecl>(d)) {
		f.kind = sc_decl_kind::type_name;
	} else if (const auto *vd = dyn_cast<VarDecl>(d)) {
		f.kind = sc_decl_kind::variable;
		// (namespace scope, and C++ static data members)
		f.file_scope = (vd->getDeclContext()
					->getRedeclContext()
					->isFileContext() ||
				vd->isStaticDataMember()) &&
			       !sc_compat::is_local_extern(vd);
		f.thread_local_var = vd->getTLSKind() != VarDecl::TLS_None ||
				     vd->getTSCSpec() != TSCS_unspecified;
		type_facts(vd->getType());
		f.const_qualified = vd->getType().isConstQualified();
	}
	return sc_key_problem(f);
}

namespace {
struct SCAttrInfo : public ParsedAttrInfo {
	SCAttrInfo()
	{
		static const Spelling S[] = {
			{ ParsedAttr::AS_GNU, SC_ATTR_NAME },
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
		SourceLocation loc = d->getLocation().isValid() ?
					     d->getLocation() :
					     attr.getLoc();
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

// static_call_boot: STATIC_CALL_BOOT puts it after static_call, so the key
// is known by then; on anything else it is an error.
struct SCBootAttrInfo : public ParsedAttrInfo {
	SCBootAttrInfo()
	{
		static const Spelling S[] = {
			{ ParsedAttr::AS_GNU, SC_ATTR_BOOT_NAME },
		};
		Spellings = S;
	}

	AttrHandling handleDeclAttribute(Sema &S, Decl *d,
					 const ParsedAttr &attr) const override
	{
		auto *vd = dyn_cast<VarDecl>(d);
		if (!vd || !sc_key_decls().count(vd->getCanonicalDecl())) {
			DiagnosticsEngine &de = S.getDiagnostics();
			unsigned id = de.getCustomDiagID(
				DiagnosticsEngine::Error,
				SC_DIAG_BOOT_NOT_KEY("%0"));
			const auto *nd = dyn_cast<NamedDecl>(d);
			auto db = S.Diag(d->getLocation().isValid() ?
						 d->getLocation() :
						 attr.getLoc(),
					 id);
			// (quoted as GCC's %qE and Clang's NamedDecl are)
			db << (nd ? "'" + nd->getNameAsString() + "'" :
				    std::string());
			return AttributeNotApplied;
		}
		sc_boot_key_decls().insert(vd->getCanonicalDecl());
		return AttributeApplied;
	}
};
} // namespace

static ParsedAttrInfoRegistry::Add<SCAttrInfo>
	sc_attr_reg(SC_ATTR_NAME, "staticcall: patchable direct calls");
static ParsedAttrInfoRegistry::Add<SCBootAttrInfo>
	sc_boot_attr_reg(SC_ATTR_BOOT_NAME,
			 "staticcall: keys of multi-instruction fragments");

// A structure is complete: a marked member (or a member holding
// some) that its layout leaves unaligned to a pointer (packed,
// #pragma pack) would make unaligned keys, which no 8-byte store
// updates atomically: an error at the member.
void sc_check_finished_record(TagDecl *td)
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
			  de.getCustomDiagID(DiagnosticsEngine::Error,
					     SC_DIAG_ATTR_NAMED("%0", "%1")))
			<< sc_field_layout_problem(false, false) << f;
		if (key) // no second error, no site
			sc_key_fields().erase(f);
	}
}
