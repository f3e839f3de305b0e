/* hooks_lib.c - the library defining the hooks of pub/hooks.h. */
#include "hooks.h"

static int log_default(int x)
{
	return x;
}

static void *alloc_default(void *ctx, size_t n)
{
	(void)n;
	return ctx;
}

int (*STATIC_CALL hooks_log)(int) = log_default;
struct allocator hooks_alloc = { alloc_default, NULL };

int hooks_call_log(int x)
{
	return hooks_log(x) + 0 * x;
}

void *hooks_call_alloc(size_t n)
{
	return hooks_alloc.alloc(hooks_alloc.ctx, n);
}

int hooks_double(int x)
{
	return 2 * x;
}

int hooks_triple(int x)
{
	return 3 * x;
}
