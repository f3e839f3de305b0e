/* expect: applies to function definitions only */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
unsigned long (*popcount_ptr)(unsigned long); /* error-here */
