/* The C unit of the program: calls and updates the same keys. */
#include "hooks.h"

int c_twice(int x) { return 2 * x; }
int c_add3(int x) { return x + 3; }

__attribute__((noinline)) int c_call(int x) { return mixed_hook(x) * 10; }
__attribute__((noinline)) int c_call_ops(int x)
{
	return mixed_ops.transform(x) + 1;
}
void c_set_hook(int (*fn)(int))
{
	static_call_update(mixed_hook, fn);
}
