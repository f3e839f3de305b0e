/* expect: 'static_call_boot' attribute needs a key */
#include "staticcall.h"
/* static_call_boot alone (STATIC_CALL_BOOT marks it static_call too) */
int (*__attribute__((static_call_boot)) hook)(int); /* error-here */
