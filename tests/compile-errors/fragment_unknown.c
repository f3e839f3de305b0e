/* expect: does not know */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("syscall")
long sys_hw(long nr) /* error-here */
{
	return nr;
}
