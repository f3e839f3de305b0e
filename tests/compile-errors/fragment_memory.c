/* expect: is a memory operand */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("popcnt (%rdi), %rax")
unsigned long popcount_at(const unsigned long *p) /* error-here */
{
	return __builtin_popcountl(*p);
}
