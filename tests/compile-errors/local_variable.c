/* expect: file scope */
#include "staticcall.h"
int f(int x)
{
	int (*STATIC_CALL local)(int) = 0; /* error-here */
	return local ? local(x) : x;
}
