/* tests/lto/lto_b.c - the unit that defines the shared keys. */
#include "lto_keys.h"

int add1(int x) { return x + 1; }
int add2(int x) { return x + 2; }
int add3(int x) { return x + 3; }

STATIC_CALL int (*g_hook)(int) = add1;
struct ops g_ops = { add1, 42 };
static STATIC_CALL int (*s_hook)(int) = add3;
static STATIC_CALL void (*b_maybe)(int *);

static void put7(int *out) { *out = 7; }

__attribute__((noinline)) int b_calls_s_hook(int x) { return s_hook(x) * 10; }
void b_set_s_hook(int (*fn)(int)) { static_call_update(s_hook, fn); }
int b_small(int x) { return g_hook(x) + g_ops.op(x) * 100; }
int b_tail(int x) { return g_hook(x); }
void b_guarded(int *out)
{
	if (b_maybe)
		b_maybe(out);
	static_call_update(b_maybe, put7);
}
