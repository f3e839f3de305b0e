/* expect: argument n (1) of its return type */
#include "staticcall.h"
static long scale(double d, long x) { return (long)d * x; }
long (*STATIC_CALL hook)(double, long) = scale;
int set(void)
{
	return static_call_update_ret_arg(hook, 1); /* error-here */
}
