/* The keys, in a C shared library; its own sites. */
#include "hooks.h"

static int plus1(int x) { return x + 1; }
static long one(void) { return 1; }

int (*STATIC_CALL mixed_hook)(int) = plus1;
struct mixed_ops mixed_ops = { plus1, one };

__attribute__((noinline)) int lib_call(int x)
{
	return mixed_hook(x) + (int)mixed_ops.count();
}
