/* expect: incompatible */
#include "staticcall.h"
static int impl(int x) { return x; }
static long other(long x) { return x; }
int (*STATIC_CALL hook)(int) = impl;
int set(void)
{
	return static_call_update(hook, other); /* error-here */
}
