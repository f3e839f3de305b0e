/* A shared library whose indirect calls are promotable too (-fPIC): its
 * thunks are its own (hidden), never reached through a PLT. */
#include "promote_lib.h"

long lib_apply(long (*f)(long), long x)
{
	return f(x) * 3 + 1; /* not a tail call: a learned site */
}

long lib_fold(const struct lib_ops *ops, long acc, long x)
{
	acc = ops->combine(acc, x) + 7;
	return acc ^ ops->mix(x);
}

__attribute__((noinline)) static long twice(long x)
{
	return 2 * x;
}
__attribute__((noinline)) static long thrice(long x)
{
	return 3 * x;
}
static long (*const lib_table[2])(long) = { twice, thrice };

/* Targets inside the library: promoted within it (two targets). */
long lib_dispatch(unsigned which, long x)
{
	return lib_table[which & 1](x) + 1;
}
