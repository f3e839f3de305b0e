/* expect: cannot be applied to a const-qualified member */
#include "staticcall.h"
struct ops {
	int (*const STATIC_CALL read)(int); /* error-here */
};
struct ops ops;
