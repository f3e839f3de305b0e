/* expect: -flto needs Clang 19 */
/* flags: -flto */
/* only: clang-14 clang-15 clang-16 */
/* (GCC and Clang 19: -flto works, tests/lto) */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*STATIC_CALL hook)(int) = impl;
int call(int x) { return hook(x); }
