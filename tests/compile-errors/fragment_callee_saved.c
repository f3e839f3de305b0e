/* expect: which is not an argument register */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt %rbx, %rax")
unsigned long popcount_hw(unsigned long x) /* error-here */
{
	return __builtin_popcountl(x);
}
