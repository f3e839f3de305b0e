/* tests/lto/lto_d.c - see lto_c.c: a static s_hook (the third of that
 * name), called only from small functions the link inlines into lto_c.c,
 * and a key whose only caller is dead. */
#include "lto_keys.h"

static STATIC_CALL int (*s_hook)(int) = add1;

int d_inlined(int x) { return s_hook(x) + 1000; }
void d_set(int (*fn)(int)) { static_call_update(s_hook, fn); }
/* Two sites of one key in one function (no shared tail jump). */
int d_calls_twice(int x) { return s_hook(x) + s_hook(x + 1); }

STATIC_CALL int (*d_dead_hook)(int) = add1;
int d_dead(int x) { return d_dead_hook(x); } /* never called */
