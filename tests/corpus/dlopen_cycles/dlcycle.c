/* Loaded and unloaded 10,000 times by main.c: sites of the executable's
 * key and of its own static key. */
#include "staticcall.h"

extern int (*STATIC_CALL cycle_key)(int);

static int own_a(int x) { return x + 1000; }
static int own_b(int x) { return x + 2000; }
static int (*STATIC_CALL own_key)(int) = own_a;

int plug_call(int x) { return cycle_key(x) + 0 * x; }
int plug_own(int x) { return own_key(x) + 0 * x; }
int plug_flip(void) { return static_call_update(own_key, own_b); }
