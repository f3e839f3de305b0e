/* expect: may use only call-clobbered registers */
#include "staticcall.h"
/* %rbx is callee-saved: the caller's value would be lost */
STATIC_CALL_FRAGMENT("mov %rdi, %rbx; mov %rbx, %rax")
unsigned long ident(unsigned long x) /* error-here */
{
	return x;
}
