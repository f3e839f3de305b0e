/* expect: pointer-to-function */
#include "staticcall.h"
typedef char *string;
string STATIC_CALL name; /* error-here */
