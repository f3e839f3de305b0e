/*
 * consumer.c - a consumer of pub/hooks.h: built with or without the
 * plugin, with or without staticcall's include path (optional_header.sh).
 * Its own calls and the library's reach the same targets after each
 * update; a plain store from it is routed only when it is built with the
 * plugin: it prints how many sites that store left stale, then resyncs.
 */
#include <stdio.h>

#include "hooks.h"

static char arena[16];

static void *alloc_arena(void *ctx, size_t n)
{
	(void)ctx;
	return n <= sizeof arena ? arena : NULL;
}

static int failed;

static void check(const char *what, long got, long want)
{
	if (got != want) {
		printf("FAIL %s: %ld, want %ld\n", what, got, want);
		failed = 1;
	}
}

int main(void)
{
	check("default, library", hooks_call_log(5), 5);
	check("default, consumer", hooks_log(5), 5);
	check("update", static_call_update(hooks_log, hooks_double), 0);
	check("updated, library", hooks_call_log(5), 10);
	check("updated, consumer", hooks_log(5), 10);
	check("field update",
	      static_call_update(hooks_alloc.alloc, alloc_arena), 0);
	check("field, library", hooks_call_alloc(4) == arena, 1);
	check("query", static_call_query(hooks_log) == hooks_double, 1);
	check("ret0", static_call_update_ret0(hooks_log), 0);
	check("ret0, library", hooks_call_log(5), 0);
	check("ret0, consumer", hooks_log(5), 0);
	check("null", static_call_update_null(hooks_log), 0);
	check("null, query", static_call_query(hooks_log) == NULL, 1);
	check("update again", static_call_update(hooks_log, hooks_double), 0);
	/* a plain store: routed only if this unit is built with the plugin */
	hooks_log = hooks_triple;
	check("stored, consumer", hooks_log(5), 15);
	int stale = static_call_verify();
	printf("stale after a plain store: %d\n", stale);
	check("resync", static_call_resync(), 0);
	check("resynced, library", hooks_call_log(5), 15);
	check("verify", static_call_verify(), 0);
	return failed;
}
