/* expect: before it holds a value */
#include "staticcall.h"
/* crc32 accumulates into %rax, which holds nothing yet (a `mov
 * %edi, %eax` first would do) */
STATIC_CALL_FRAGMENT("crc32q %rsi, %rax; mov %eax, %eax")
unsigned long crc(unsigned long c, unsigned long v) /* error-here */
{
	return c ^ v;
}
