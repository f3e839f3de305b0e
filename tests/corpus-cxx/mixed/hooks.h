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
#endif

#endif
