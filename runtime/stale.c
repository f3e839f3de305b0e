/*
 * stale.c - a site that could not follow its key is never left silently.
 *
 * Used where a store has already changed the key (C semantics: the value
 * is stored whatever happens) but a site could not be rewritten: a
 * debugger's breakpoint over a form change, pages that can no longer be
 * made writable. STATICCALL_ON_STALE=abort turns the report into an abort.
 */
#include <stdlib.h>

#include "internal.h"

void sc_report_stale(const struct sc_site *s, const char *why)
{
	sc_log(SC_LOG_ERROR, "STALE site %p (%s+%#lx) keeps its old target: %s",
	       (void *)s->code.insn, s->object->name,
	       (unsigned long)((uintptr_t)s->code.insn - s->object->base), why);
	if (sc_env()->abort_on_stale)
		abort();
}

/* The same for a key whose sites could not even be looked up (a store
 * made from inside the runtime, where the registry cannot be entered). */
void sc_report_stale_key(const void *var, const char *why)
{
	sc_log(SC_LOG_ERROR, "STALE sites of key %p keep their old target: %s",
	       var, why);
	if (sc_env()->abort_on_stale)
		abort();
}
