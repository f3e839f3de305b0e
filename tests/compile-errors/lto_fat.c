/* expect: -ffat-lto-objects is not supported with Clang */
/* flags: -flto=thin -ffat-lto-objects */
/* only: clang-19 */
/* (GCC: fat objects work, tests/lto) */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*STATIC_CALL hook)(int) = impl;
int call(int x) { return hook(x); }
