/* The other translation unit: calls and updates the extern key gk. */
#include "staticcall.h"

extern int (*STATIC_CALL gk)(int);

static int b_target(int x) { return x - 100; }

__attribute__((noinline)) int b_call(int x) { return gk(x) * 2; }
int b_call_tail(int x) { return gk(x + 1); }
int b_set_from_b(void) { return static_call_update(gk, b_target); }
