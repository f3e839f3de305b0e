/* expect: does not know 'popf' */
#include "staticcall.h"
/* popf changes the direction and interrupt flags, which a call keeps */
STATIC_CALL_FRAGMENT("push %rdi; popf; mov %rdi, %rax")
unsigned long set_flags(unsigned long f) /* error-here */
{
	return f;
}
