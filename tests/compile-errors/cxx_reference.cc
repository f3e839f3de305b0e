/* expect: cannot be applied to a reference */
#include "staticcall.h"
int (*hook)(int);
int (*&STATIC_CALL hook_ref)(int) = hook; /* error-here */
