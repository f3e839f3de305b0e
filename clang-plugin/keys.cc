// keys.cc - the frontend's keys: the declarations and members the
// attribute handler (attribute.cc) marked, which the AST checks
// (ast_checks.cc) and the layout check ask about, and the state handed to
// the IR pass (sc_global(), keys.h).
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclCXX.h"
#include "llvm/ADT/DenseMap.h"

#include "keys.h"

using namespace clang;

sc_state &sc_global()
{
	static sc_state s;
	return s;
}

// Canonical declarations of the keys seen by the attribute handler.
llvm::DenseSet<const VarDecl *> &sc_key_decls()
{
	static llvm::DenseSet<const VarDecl *> s;
	return s;
}

llvm::DenseSet<const VarDecl *> &sc_boot_key_decls()
{
	static llvm::DenseSet<const VarDecl *> s;
	return s;
}

// Marked members (field keys) seen by the attribute handler.
llvm::DenseSet<const FieldDecl *> &sc_key_fields()
{
	static llvm::DenseSet<const FieldDecl *> s;
	return s;
}

bool sc_is_key_field(const ValueDecl *d)
{
	const auto *fd = dyn_cast_or_null<FieldDecl>(d);
	if (!fd)
		return false;
	if (sc_key_fields().count(fd))
		return true;
	// (C++) The member of a class template's instantiation: a new
	// declaration, with the pattern's annotation (attribute.cc)
	// instantiated.
	const auto *rd = dyn_cast<CXXRecordDecl>(fd->getParent());
	if (!rd || !rd->getTemplateInstantiationPattern())
		return false;
	for (const auto *a : fd->specific_attrs<AnnotateAttr>())
		if (a->getAnnotation() == SC_FIELD_ANNOTATION)
			return true;
	return false;
}

// Does a (complete) object of type T hold marked members, at any depth of
// nesting, through arrays and (C++) base classes?
bool sc_type_has_key(ASTContext &ctx, QualType t)
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
	// (C++) Base class subobjects are not fields here (GCC makes them
	// fields): a class holds the keys its bases hold.
	if (const auto *cxx = dyn_cast<CXXRecordDecl>(rd); cxx && !has)
		for (const CXXBaseSpecifier &b : cxx->bases())
			if (sc_type_has_key(ctx, b.getType())) {
				has = true;
				break;
			}
	memo[rd] = has;
	return has;
}

bool sc_is_key(const ValueDecl *d)
{
	// (C++) A static data member of a class template's instantiation is
	// a key when the member it was instantiated from is.
	for (const auto *vd = dyn_cast_or_null<VarDecl>(d); vd;
	     vd = vd->getInstantiatedFromStaticDataMember())
		if (sc_key_decls().count(vd->getCanonicalDecl()))
			return true;
	return false;
}
