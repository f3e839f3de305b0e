/* expect: expected expression */
#include <staticcall/kernel.h>
static void note(int x) { (void)x; }
DEFINE_STATIC_CALL_NULL(hook, note);
void f(void) { int r = static_call_cond(hook)(1); (void)r; } /* error-here */
