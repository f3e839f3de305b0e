/* expect: incompatible */
#include <staticcall/kernel.h>
static int add1(int x) { return x + 1; }
static long other(long x) { return x; }
DEFINE_STATIC_CALL(op, add1);
void f(void) { static_call_update(op, other); } /* error-here */
