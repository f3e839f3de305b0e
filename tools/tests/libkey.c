/* The key of prog.c -DLIBKEY: defined in a shared library. */
#include <staticcall.h>

static int lib_default(int x) { return x - 1; }
int (*STATIC_CALL libhook)(int) = lib_default;

int lib_call(int x) { return libhook(x) * 3; } /* SITE(lib) */
