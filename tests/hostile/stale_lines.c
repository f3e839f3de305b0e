/*
 * A site left on its old target is reported with its file:line
 * (also without -g), from the plugin's lines table: stale_lines.sh builds this
 * without -g. Updates sealed, then a plain store: the store cannot move the
 * site, which keeps calling a (what SEAL_UPDATES promises), and is
 * reported.
 */
#include <stdio.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
int (*STATIC_CALL key)(int) = a;

__attribute__((noinline)) int call(int x)
{
	return key(x) + 1; /* the site (a call, not a tail call) */
}

int main(void)
{
	if (call(5) != 7 || static_call_seal(STATIC_CALL_SEAL_UPDATES) != 0)
		return 1;
	key = b; /* reported: STALE site ... at stale_lines.c:LINE */
	printf("after the store: %d\n", call(5));
	return 0;
}
