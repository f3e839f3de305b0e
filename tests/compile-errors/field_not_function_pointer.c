/* expect: requires a member of pointer-to-function type */
#include "staticcall.h"
struct ops {
	int *STATIC_CALL count; /* error-here */
};
struct ops ops;
