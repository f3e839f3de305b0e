/* expect: declared STATIC_CALL_BOOT */
#include "staticcall.h"
/* Its sites may hold a multi-instruction fragment, which nothing can
 * change once threads run: a plain store could not refuse, so it is an
 * error (static_call_update returns -EAGAIN instead). */
static int impl(int x) { return x; }
int (*STATIC_CALL_BOOT hook)(int);
void set(void)
{
	hook = impl; /* error-here */
}
