// keys.h - state shared by the attribute handler and AST checks (plugin.cc)
// and the IR pass (ir_pass.cc). One cc1 process compiles one translation
// unit, and the shared object is loaded once even when it is named by both
// -fplugin= and -fpass-plugin=, so plain process globals suffice.
#ifndef STATICCALL_CLANG_KEYS_H
#define STATICCALL_CLANG_KEYS_H

#include <set>
#include <string>

#include "policy.h"

#define SC_PLUGIN_NAME "staticcall_clang"

namespace llvm {
class PassBuilder;
}

struct sc_state {
	bool strict = false; // -fplugin-arg-staticcall_clang-strict
	bool report = false; // -fplugin-arg-staticcall_clang-report
	// IR names of the keys of this unit (asm label if any, else the C name).
	std::set<std::string> key_names;
	// IR names of the global objects (file scope, or a function's
	// `static`) whose type holds marked members (field keys,
	// docs/FIELD_KEYS.md): a memcpy/memset into any other global object
	// cannot change a key. (A local static is named "FUNC.NAME", maybe
	// with a ".N" suffix LLVM added: the pass also tries without it.)
	std::set<std::string> keyed_objects;
	// The unit declared a marked struct member: only then are byte copies
	// into memory the pass cannot place routed (docs/FIELD_KEYS.md).
	bool has_field_keys = false;
};

// The annotation (an AnnotateAttr the attribute handler adds to every
// marked member) through which Clang's code generator wraps each access of
// a marked member in @llvm.ptr.annotation: the IR pass finds field keys by
// it, then removes every such call.
#define SC_FIELD_ANNOTATION "staticcall.key"

sc_state &sc_global();

// Adds the IR pass to a PassBuilder (once per PassBuilder).
void sc_register_pass_callbacks(llvm::PassBuilder &pb);

#endif
