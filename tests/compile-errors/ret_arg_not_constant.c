/* expect: n must be an integer constant || static assertion is not constant */
/* A run-time n: the plugins cannot check the arguments up to it, and past
 * a floating-point argument it would name the wrong register. */
#include "staticcall.h"
static int pick(double d, int x) { return (int)d + x; }
int (*STATIC_CALL hook)(double, int) = pick;
int set(int n)
{
	return static_call_update_ret_arg(hook, n); /* error-here */
}
