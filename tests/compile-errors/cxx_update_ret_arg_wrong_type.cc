/* expect: the arguments up to n must be integers or pointers */
// C++: static_call_update_ret_arg(key, n): the arguments up to n integers
// or pointers, argument n of the return type's size.
#include "staticcall.h"
static long impl(double d, long x) { return x + (long)d; }
long (*STATIC_CALL hook)(double, long) = impl;
int set()
{
	return static_call_update_ret_arg(hook, 1); /* error-here */
}
