/* expect: is not a static-call key */
#include "staticcall.h"
static int one(int x) { return x; }
struct ops {
	int (*STATIC_CALL read)(int);
	int (*write)(int);
};
struct ops ops;
int set(void) { return static_call_update(ops.write, one); /* error-here */ }
