/* expect: not compatible */
#include <staticcall/kernel.h>
DEFINE_STATIC_KEY_FALSE(k);
int f(void) { return static_branch_unlikely(k); } /* error-here */
