/* expect: member */
#include "staticcall.h"
struct ops {
	int (*STATIC_CALL read)(int); /* error-here */
};
struct ops ops;
