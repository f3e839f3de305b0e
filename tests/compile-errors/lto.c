/* expect: -flto */
/* flags: -flto */
/* only: clang */
/* (GCC: -flto works, tests/lto) */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*STATIC_CALL hook)(int) = impl;
int call(int x) { return hook(x); }
