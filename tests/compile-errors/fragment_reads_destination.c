/* expect: reads its destination */
#include "staticcall.h"
/* crc32 accumulates into its destination, which would have to be %eax:
 * no argument arrives there (two instructions: mov %edi,%eax; crc32) */
STATIC_CALL_FRAGMENT("crc32q %rsi, %rax")
unsigned long crc32_hw(unsigned long crc, unsigned long v) /* error-here */
{
	return __builtin_ia32_crc32di(crc, v);
}
