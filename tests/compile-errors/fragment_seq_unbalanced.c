/* expect: leaves the stack unbalanced */
#include "staticcall.h"
/* a push without its pop: the `ret` after it would return to %rdi */
STATIC_CALL_FRAGMENT("push %rdi; mov %rdi, %rax")
unsigned long ident(unsigned long x) /* error-here */
{
	return x;
}
