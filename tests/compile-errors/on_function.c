/* expect: cannot be applied to a function */
#include "staticcall.h"
int STATIC_CALL not_a_variable(int x); /* error-here */
