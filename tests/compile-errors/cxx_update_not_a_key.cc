/* expect: is not a static-call key */
#include "staticcall.h"
static int impl(int x) { return x; }
namespace app {
int (*plain)(int) = impl;
}
int set()
{
	return static_call_update(app::plain, impl); /* error-here */
}
