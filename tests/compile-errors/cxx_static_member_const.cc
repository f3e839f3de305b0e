/* expect: cannot be applied to a const-qualified variable */
#include "staticcall.h"
static int impl(int x) { return x; }
struct table {
	static int (*const STATIC_CALL fixed)(int); /* error-here */
};
