/* Built with Clang into a shared library: defines the key, calls it. */
#include "staticcall.h"

static int lib_a(int x) { return x + 100; }
int (*STATIC_CALL mixed_key)(int) = lib_a;

/* A field key too (docs/FIELD_KEYS.md): one trampoline per object,
 * whichever compiler emitted it. */
struct mixed_ops { long pad; int (*STATIC_CALL op)(int); };
struct mixed_ops mixed_ops = { 0, lib_a };

int lib_call(int x) { return mixed_key(x) + 0 * x; }
int lib_op(int x) { return mixed_ops.op(x) + 0 * x; }
int lib_default(int x) { return lib_a(x); }
