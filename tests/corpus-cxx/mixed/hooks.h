/* A C header with keys, included from C and from C++ (extern "C": one
 * symbol for both languages). */
#ifndef MIXED_HOOKS_H
#define MIXED_HOOKS_H

#include "staticcall.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mixed_ops {
	int (*STATIC_CALL transform)(int);
	long (*STATIC_CALL count)(void);
};

/* defined in libhooks.c (a shared library written in C) */
extern int (*STATIC_CALL mixed_hook)(int);
extern struct mixed_ops mixed_ops;
int lib_call(int x);

/* c_part.c */
int c_call(int x);
int c_call_ops(int x);
void c_set_hook(int (*fn)(int));
int c_twice(int x);
int c_add3(int x);

#ifdef __cplusplus
}

/* C++ only: an inline function, emitted (at -O0) in the COMDAT group of
 * each unit using it (main.cc, cxx_part.cc); the linker keeps one copy,
 * and the site records of the copy it drops go with it. */
inline int cxx_inline_call(int x)
{
	return mixed_hook(x) + 2;
}
int cxx_part_call(int x);
#endif

#endif
