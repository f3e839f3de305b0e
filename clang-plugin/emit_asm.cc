// emit_asm.cc - hands LLVM's view of the module (key linkage, PIC level,
// retpoline and IBT/BTI options) to the assembly text shared with the GCC
// plugin (plugin-common/asm_text.cc, docs/ABI.md): the trampoline and
// descriptor of every key used, and the per-object header, as module asm.
#include <string>

#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include "clang_compat.h" // (Triple)
#include "ir_pass.h"

using namespace llvm;

namespace {

bool sc_in_used_list(Module &m, const GlobalValue *gv)
{
	for (const char *list : { "llvm.used", "llvm.compiler.used" }) {
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
	const char *flag = target == sc_target::aarch64 ?
				   "branch-target-enforcement" :
				   "cf-protection-branch";
	if (auto *c = mdconst::extract_or_null<ConstantInt>(
		    m.getModuleFlag(flag)))
		return !c->isZero();
	return false;
}

} // namespace

// The global's symbol name (an asm label may carry LLVM's '\1' prefix).
std::string sc_symbol(const GlobalValue &gv)
{
	StringRef n = gv.getName();
	if (!n.empty() && n[0] == '\1')
		n = n.drop_front();
	return n.str();
}

// The target the module is compiled for, if it has static calls (any other
// target keeps its calls indirect).
bool sc_module_target(const Module &m, sc_target *target)
{
	switch (Triple(m.getTargetTriple()).getArch()) {
	case Triple::x86_64:
		*target = sc_target::x86_64;
		return true;
	case Triple::aarch64:
		*target = sc_target::aarch64;
		return true;
	default:
		return false;
	}
}

void sc_emit_module_asm(Module &m, sc_target target, const sc_module_keys &mk,
			sc_tables tables, bool fragments)
{
	std::string text;
	for (auto &kv : mk.keys) {
		const sc_key &k = kv.second;
		if (!k.used && !k.used_cond)
			continue;
		GlobalVariable *gv = k.gv;
		// The module asm below names the key: keep it, even static.
		if (!gv->isDeclaration() && !sc_in_used_list(m, gv))
			appendToCompilerUsed(m, { gv });

		sc_key_text kt;
		kt.name = sc_symbol(*gv);
		kt.offset = k.offset;
		kt.global = !gv->hasLocalLinkage() ||
			    tables == sc_tables::all_shared;
		kt.own_copy = tables == sc_tables::own_copies;
		if (k.id != sc_key_id(kt.name, k.offset))
			kt.id = k.id;
		kt.pic = m.getPICLevel() != PICLevel::NotPIC;
		kt.retpoline = target == sc_target::x86_64 ?
				       sc_module_retpoline(m) :
				       sc_retpoline::none;
		kt.ibt = sc_module_ibt(m, target);
		kt.target = target;
		kt.boot = k.offset < 0 && gv->getMetadata(SC_BOOT_METADATA);
		if (k.used)
			text += sc_text_key(kt);
		if (k.used_cond) {
			kt.cond = true;
			text += sc_text_key(kt);
		}
	}

	if (!text.empty() || fragments) {
		text += sc_text_object(target);
		// Leave the section stack as the code generator expects it.
		m.appendModuleInlineAsm("\t.pushsection .text\n" + text +
					"\t.popsection\n");
	}
}
