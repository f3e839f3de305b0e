/* expect: cannot be applied to a const-qualified variable */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*const STATIC_CALL hook)(int) = impl; /* error-here */
