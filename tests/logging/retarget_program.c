/*
 * retarget_program.c - one re-targeting of each cause, for
 * retarget_log.sh, which checks the info line each one logs. The
 * targets are static functions (named from .symtab only).
 */
#include <stdio.h>
#include <string.h>

#include "staticcall.h"

static int impl_a(int x)
{
	return x + 1;
}

static int impl_b(int x)
{
	return x + 2;
}

int (*STATIC_CALL hook)(int) = impl_a;

struct ops {
	int (*STATIC_CALL fn)(int);
	void *ctx;
};
struct ops g_ops = { impl_a, NULL };

/* A copy the plugins do not see (called through a pointer): a store the
 * runtime misses, for static_call_resync to find. */
static void *(*volatile plain_copy)(void *, const void *, size_t) = memcpy;

__attribute__((noinline)) static int call_hook(int x)
{
	return hook(x);
}

__attribute__((noinline)) static void call_guarded(int x)
{
	if (hook)
		hook(x);
}

__attribute__((noinline)) static int call_ops(int x)
{
	return g_ops.fn(x);
}

int main(void)
{
	struct ops other = { impl_b, &other };
	int ok = 1;
	fprintf(stderr, "--- update\n");
	ok &= static_call_update(hook, impl_b) == 0 && call_hook(1) == 3;
	fprintf(stderr, "--- update_null\n");
	ok &= static_call_update_null(hook) == 0;
	call_guarded(1);
	fprintf(stderr, "--- update_ret0\n");
	ok &= static_call_update_ret0(hook) == 0 && call_hook(1) == 0;
	fprintf(stderr, "--- store\n");
	hook = impl_a;
	ok &= call_hook(1) == 2;
	fprintf(stderr, "--- range store\n");
	g_ops = other;
	ok &= call_ops(1) == 3;
	fprintf(stderr, "--- same value\n");
	g_ops = other;
	fprintf(stderr, "--- resync\n");
	int (*b)(int) = impl_b;
	plain_copy((void *)&hook, &b, sizeof b);
	ok &= static_call_resync() == 0 && call_hook(1) == 3;
	fprintf(stderr, "--- end\n");
	call_guarded(1);
	return ok ? 0 : 1;
}
