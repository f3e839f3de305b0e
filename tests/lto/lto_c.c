/* tests/lto/lto_c.c - more -flto cases for Clang (tests/lto/lto_clang.sh),
 * with lto_d.c and lto_b.c: a third unit's static key of the same name,
 * reached only through a function the link inlines into this unit; a key
 * whose only caller the link drops as dead; every result checked before
 * and after updates. */
#include <stdio.h>

#include "lto_keys.h"

int d_inlined(int x);
void d_set(int (*fn)(int));
int d_calls_twice(int x);

static int failures;

static void check(const char *what, int got, int want)
{
	if (got != want) {
		printf("FAIL %s: %d, want %d\n", what, got, want);
		failures++;
	}
}

int main(void)
{
	check("inlined d s_hook", d_inlined(1), 1002);
	check("two sites", d_calls_twice(1), 5);
	check("g_hook", g_hook(1), 2);
	d_set(add3);
	check("inlined d s_hook, updated", d_inlined(1), 1004);
	check("two sites, updated", d_calls_twice(1), 9);
	check("b static s_hook", b_calls_s_hook(1), 40);
	static_call_update(g_hook, add2);
	check("g_hook, updated", g_hook(1), 3);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
