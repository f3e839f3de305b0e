/* expect: not compatible */
#include <staticcall/kernel.h>
DEFINE_STATIC_KEY_TRUE(k);
void f(void) { static_branch_enable(k); } /* error-here */
