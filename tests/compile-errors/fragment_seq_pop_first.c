/* expect: pops more than it pushed */
#include "staticcall.h"
/* a pop without its push: takes the caller's return address */
STATIC_CALL_FRAGMENT("pop %rax; push %rax")
unsigned long ret_addr(void) /* error-here */
{
	return 0;
}
