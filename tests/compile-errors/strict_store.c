/* expect: plain store */
/* flags: strict */
#include "staticcall.h"
static int impl(int x) { return x; }
int (*STATIC_CALL hook)(int);
void set(void)
{
	hook = impl; /* error-here */
}
