/* expect: is not a static-call key */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*plain)(int) = impl; /* no STATIC_CALL */
int set(void)
{
	return static_call_update(plain, impl); /* error-here */
}
