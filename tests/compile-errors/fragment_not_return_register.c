/* expect: needs the return register */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt %rdi, %rdi")
unsigned long popcount_hw(unsigned long x) /* error-here */
{
	return __builtin_popcountl(x);
}
