/* expect: undeclared */
#include <staticcall/kernel.h>
int f(void) { return static_call(nosuch)(1); } /* error-here */
