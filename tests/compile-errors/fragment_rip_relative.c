/* expect: without RIP-relative operands */
#include "staticcall.h"
extern unsigned long mask;
STATIC_CALL_FRAGMENT("popcnt mask(%rip), %rax")
unsigned long popcount_mask(void) /* error-here */
{
	return __builtin_popcountl(mask);
}
