/* Loaded and unloaded by two threads of main.c while a third updates the
 * key its sites call. */
#include "staticcall.h"

extern int (*STATIC_CALL race_key)(int);

int race_call(int x) { return race_key(x) + 0 * x; }
int race_call2(int x) { return race_key(x + 1) - 1; }
