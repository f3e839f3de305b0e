/* expect: parameters are integers or pointers */
#include "staticcall.h"
STATIC_CALL_FRAGMENT("cvttsd2si %xmm0, %rax")
long truncate_hw(double d) /* error-here */
{
	return (long)d;
}
