// clang_compat.h - the only place that knows which Clang/LLVM the plugin is
// built against (14, 15, 16 or 19). Everything else is written once.
#ifndef STATICCALL_CLANG_COMPAT_H
#define STATICCALL_CLANG_COMPAT_H

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/Basic/CodeGenOptions.h"
#include "clang/Basic/Version.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Config/llvm-config.h"
#if LLVM_VERSION_MAJOR >= 17
#include "llvm/TargetParser/Triple.h"
#else
#include "llvm/ADT/Triple.h"
#endif
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Type.h"

// Clang >= 17: CodeGenOptions::PassBuilderCallbacks lets a -fplugin add IR
// passes itself. Older Clang: the plugin appends its own path to
// CodeGenOptions::PassPlugins (what -fpass-plugin= does).
#if CLANG_VERSION_MAJOR >= 17
#define SC_HAVE_PASS_BUILDER_CALLBACKS 1
#else
#define SC_HAVE_PASS_BUILDER_CALLBACKS 0
#endif

namespace sc_compat {

// A generic data pointer type: `ptr` (opaque pointers) or `i8*`.
inline llvm::PointerType *ptr_type(llvm::LLVMContext &ctx)
{
#if LLVM_VERSION_MAJOR >= 15
	return llvm::PointerType::getUnqual(ctx);
#else
	return llvm::Type::getInt8PtrTy(ctx);
#endif
}

// What a typed pointer type (LLVM 14's default, -no-opaque-pointers in 15
// and 16) points to; null for an opaque pointer or another type.
inline llvm::Type *typed_pointee(llvm::Type *t)
{
#if LLVM_VERSION_MAJOR >= 17
	(void)t; // (opaque pointers only)
	return nullptr;
#else
	auto *pt = llvm::dyn_cast<llvm::PointerType>(t);
	if (!pt || pt->isOpaque())
		return nullptr;
#if LLVM_VERSION_MAJOR >= 15
	return pt->getNonOpaquePointerElementType();
#else
	return pt->getPointerElementType();
#endif
#endif
}

inline bool starts_with(llvm::StringRef s, llvm::StringRef prefix)
{
	return s.size() >= prefix.size() &&
	       s.substr(0, prefix.size()) == prefix;
}

// Clang 14's Decl::isLocalExternDecl() is not const.
inline bool is_local_extern(const clang::VarDecl *vd)
{
	return const_cast<clang::VarDecl *>(vd)->isLocalExternDecl();
}

// An implicit __attribute__((annotate(TEXT))) at LOC (the creators'
// signatures differ).
inline clang::AnnotateAttr *annotate_attr(clang::ASTContext &ctx,
					  llvm::StringRef text,
					  clang::SourceLocation loc)
{
#if CLANG_VERSION_MAJOR >= 17
	return clang::AnnotateAttr::CreateImplicit(ctx, text, nullptr, 0,
						   clang::SourceRange(loc));
#else
	return clang::AnnotateAttr::CreateImplicit(
		ctx, text, nullptr, 0,
		clang::AttributeCommonInfo(clang::SourceRange(loc)));
#endif
}

// Source locations on IR instructions without debug info emitted (what
// Clang does for -Rpass remarks), when the unit is built without -g. The
// debug-info kinds moved from clang:: to llvm:: in Clang 17.
inline void track_locations(clang::CodeGenOptions &cg)
{
#if CLANG_VERSION_MAJOR >= 17
	namespace dk = llvm::codegenoptions;
#else
	namespace dk = clang::codegenoptions;
#endif
	if (cg.getDebugInfo() == dk::NoDebugInfo)
		cg.setDebugInfo(dk::LocTrackingOnly);
}

} // namespace sc_compat

#endif
