/* expect: cannot be applied to a member that is not pointer-aligned */
#include "staticcall.h"
struct __attribute__((packed)) ops {
	char tag;
	int (*STATIC_CALL read)(int); /* error-here */
};
struct ops ops;
int call(int x) { return ops.read(x); }
