/* tests/lto/lto_a.c - -flto across units (tests/lto/lto.sh): keys defined
 * in the other unit, two units' static keys of one name, calls lto1
 * inlines across units, a tail call, a guarded call, a field key; every
 * result checked before and after updates. */
#include <stdio.h>
#include <stdlib.h>

#include "lto_keys.h"

static STATIC_CALL int (*s_hook)(int) = add1;

__attribute__((noinline)) int a_calls_s_hook(int x) { return s_hook(x) * 2; }

static int failures;

static void check(const char *what, int got, int want)
{
	if (got != want) {
		printf("FAIL %s: %d, want %d\n", what, got, want);
		failures++;
	}
}

static void round_(int g, int f, int sa, int sb)
{
	check("g_hook", g_hook(1), 1 + g);
	check("a static s_hook", a_calls_s_hook(1), (1 + sa) * 2);
	check("b static s_hook", b_calls_s_hook(1), (1 + sb) * 10);
	check("inlined b_small", b_small(1), (1 + g) + (1 + f) * 100);
	check("tail b_tail", b_tail(1), 1 + g);
	check("field g_ops.op", g_ops.op(2), 2 + f);
}

int main(void)
{
	round_(1, 1, 1, 3);
	static_call_update(g_hook, add2);
	round_(2, 1, 1, 3);
	static_call_update(g_ops.op, add3);
	round_(2, 3, 1, 3);
	static_call_update(s_hook, add3);
	b_set_s_hook(add2);
	round_(2, 3, 3, 2);
	g_ops = (struct ops){ add2, 1 }; /* a struct store: routed */
	round_(2, 2, 3, 2);
	int v = 0;
	b_guarded(&v);
	check("guarded, NULL", v, 0);
	b_guarded(&v);
	check("guarded, set", v, 7);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
