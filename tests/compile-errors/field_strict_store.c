/* expect: plain store */
/* flags: strict */
#include "staticcall.h"
static int one(int x) { return x; }
struct ops {
	int (*STATIC_CALL read)(int);
};
struct ops ops;
void set(void) { ops.read = one; /* error-here */ }
