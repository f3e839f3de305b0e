/* expect: is a memory operand */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("mov %rdi, %rax; add (%rsi), %rax")
unsigned long add_mem(unsigned long a, const unsigned long *p) /* error-here */
{
	return a + *p;
}
