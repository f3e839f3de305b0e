/* Built with GCC into the executable. */
#include "staticcall.h"

extern int (*STATIC_CALL mixed_key)(int);
int gcc_call(int x) { return mixed_key(x) * 2; }
