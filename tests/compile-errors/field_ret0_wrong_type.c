/* expect: returning an integer or a pointer */
#include "staticcall.h"
struct ops {
	double (*STATIC_CALL scale)(double);
};
struct ops ops;
int zero(void) { return static_call_update_ret0(ops.scale); /* error-here */ }
