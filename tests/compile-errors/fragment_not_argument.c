/* expect: which is not an argument register */
#include "staticcall.h"
/* %rsi: the function has one parameter */
STATIC_CALL_FRAGMENT("tzcnt %rsi, %rax")
unsigned long ctz_hw(unsigned long x) /* error-here */
{
	return x ? __builtin_ctzl(x) : 64;
}
