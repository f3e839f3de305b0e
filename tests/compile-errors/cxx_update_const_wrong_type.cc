/* expect: must return an integer or a pointer */
// C++: static_call_update_const only for keys returning an integer or a
// pointer (checked by the header's template).
#include "staticcall.h"
static double impl(int x) { return x; }
double (*STATIC_CALL hook)(int) = impl;
int set()
{
	return static_call_update_const(hook, 2); /* error-here */
}
