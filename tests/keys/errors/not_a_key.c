/* expect: not compatible */
#include <staticcall/kernel.h>
int flag;
int f(void) { return static_branch_likely(&flag); } /* error-here */
