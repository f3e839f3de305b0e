/*
 * bind_corrupt_lib.c - with bind_corrupt_lib.S, a shared object compiled
 * with the plugin (lazy binding) whose table also holds one record that
 * does not match its code (bind_corrupt.sh). BC_MANY more call sites make
 * the table large enough for deferred registration (SC_DEFER_MIN, object.c:
 * records filled and verified only as they bind).
 */
#include "staticcall.h"

static long add1(long x)
{
	return x + 1;
}
long (*STATIC_CALL bc_key)(long) = add1;

__attribute__((noinline)) long bc_good(long x)
{
	return bc_key(x) * 2;
}

#define C1 x = bc_key(x);
#define C10 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1
#define C100 C10 C10 C10 C10 C10 C10 C10 C10 C10 C10
/* BC_MANY (1,100) sites */
long bc_many(long x)
{
	C100 C100 C100 C100 C100 C100 C100 C100 C100 C100 C100 return x * 3;
}
