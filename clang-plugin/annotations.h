// annotations.h - the module's llvm.global.annotations, where Clang puts
// each __attribute__((annotate("..."))) of a function (the plugin's
// attributes ride there: staticcall_no_promote in promote.cc, fragments in
// fragment.cc): one walk, for both.
#ifndef STATICCALL_CLANG_ANNOTATIONS_H
#define STATICCALL_CLANG_ANNOTATIONS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

// fn(f, text) for each function annotated and its annotation's string, in
// the array's order (a function annotated twice comes twice).
template <class Fn> void sc_each_annotation(llvm::Module &m, Fn fn)
{
	llvm::GlobalVariable *ga = m.getNamedGlobal("llvm.global.annotations");
	if (!ga || !ga->hasInitializer())
		return;
	auto *arr = llvm::dyn_cast<llvm::ConstantArray>(ga->getInitializer());
	if (!arr)
		return;
	for (const llvm::Use &u : arr->operands()) {
		auto *cs = llvm::dyn_cast<llvm::ConstantStruct>(u.get());
		if (!cs || cs->getNumOperands() < 2)
			continue;
		auto *f = llvm::dyn_cast<llvm::Function>(
			cs->getOperand(0)->stripPointerCasts());
		auto *gs = llvm::dyn_cast<llvm::GlobalVariable>(
			cs->getOperand(1)->stripPointerCasts());
		if (!f || !gs || !gs->hasInitializer())
			continue;
		auto *cda = llvm::dyn_cast<llvm::ConstantDataArray>(
			gs->getInitializer());
		if (cda && cda->isCString())
			fn(f, cda->getAsCString());
	}
}

#endif
