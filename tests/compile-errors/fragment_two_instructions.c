/* expect: does not know 'ret' */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax; ret")
unsigned long popcount_hw(unsigned long x) /* error-here */
{
	return __builtin_popcountl(x);
}
