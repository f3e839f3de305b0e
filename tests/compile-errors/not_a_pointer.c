/* expect: pointer-to-function */
#include "staticcall.h"
int STATIC_CALL counter; /* error-here */
