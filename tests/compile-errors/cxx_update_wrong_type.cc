/* expect: invalid conversion || no matching function */
// C++: static_call_update's target must convert to the key's type.
#include "staticcall.h"
static int impl(int x) { return x; }
static long other(long x) { return x; }
namespace app {
int (*STATIC_CALL hook)(int) = impl;
}
int set()
{
	return static_call_update(app::hook, other); /* error-here */
}
