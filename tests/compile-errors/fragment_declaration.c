/* expect: must be on the function's definition */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
unsigned long popcount_hw(unsigned long x); /* error-here */
