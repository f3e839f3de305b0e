/* expect: thread-local */
#include "staticcall.h"
__thread int (*STATIC_CALL per_thread)(int); /* error-here */
