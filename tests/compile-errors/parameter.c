/* expect: parameter */
#include "staticcall.h"
int call(int (*STATIC_CALL fn)(int)) /* error-here */
{
	return fn(1);
}
