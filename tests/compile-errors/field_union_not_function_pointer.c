/* expect: requires a member of pointer-to-function type */
#include "staticcall.h"
union ops {
	int *STATIC_CALL count; /* error-here */
	long raw;
};
