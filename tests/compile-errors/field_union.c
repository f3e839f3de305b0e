/* expect: cannot be applied to a union member */
#include "staticcall.h"
union ops {
	int (*STATIC_CALL read)(int); /* error-here */
	long raw;
};
union ops ops;
