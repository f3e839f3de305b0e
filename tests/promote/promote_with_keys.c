/* promote_with_keys.c - a unit with a static call and no promotable call
 * of its own: built in promote mode (-mindirect-branch=thunk-extern), its
 * key's trampoline takes `jmp __x86_indirect_thunk_r11`, which the unit
 * must define (run.sh links it alone). */
#include "staticcall.h"

struct ops {
	int (*STATIC_CALL inc)(int);
};

static int one(int x)
{
	return x + 1;
}

struct ops with_keys_ops = { one };

int main(void)
{
	return with_keys_ops.inc(1) == 2 ? 0 : 1;
}
