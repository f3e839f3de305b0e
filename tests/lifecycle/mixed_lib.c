/* Built with Clang into a shared library: defines the key, calls it. */
#include "staticcall.h"

static int lib_a(int x) { return x + 100; }
int (*STATIC_CALL mixed_key)(int) = lib_a;

int lib_call(int x) { return mixed_key(x) + 0 * x; }
int lib_default(int x) { return lib_a(x); }
