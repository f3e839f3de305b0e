/*
 * stale.c - a site that could not follow its key is never left silently.
 *
 * Used where a store has already changed the key (C semantics: the value
 * is stored whatever happens) but a site could not be rewritten: a
 * debugger's breakpoint over a form change, pages that can no longer be
 * made writable (a W^X policy installed without static_call_seal), updates
 * sealed. STATICCALL_ON_STALE=abort turns the first report into an abort.
 *
 * file:line: from the lines table the plugins emit beside the site table
 * (lines.c), with or without -g. An object without one (built by an older
 * plugin) gets the exact addr2line command instead: the runtime has no
 * DWARF reader, and must not run a program from inside a store, under a
 * sandbox.
 */
#include <stdlib.h>

#include "internal.h"

void sc_report_stale(const struct sc_site *s, const char *why)
{
	const struct sc_object *o = s->object;
	unsigned long off = (unsigned long)((uintptr_t)s->code.insn - o->base);
	const char *obj = o->name ? o->name : "?";
	char fn[256], file[256];
	unsigned line;
	if (!sc_symbolize(o, s->code.insn, fn, sizeof fn))
		fn[0] = 0;
	if (sc_site_line(s, file, sizeof file, &line))
		sc_log(SC_LOG_ERROR,
		       "STALE site %p %s%s(%s+0x%lx) at %s:%u "
		       "keeps its old target: %s",
		       (void *)s->code.insn, fn, fn[0] ? " " : "", obj, off,
		       file, line, why);
	else
		sc_log(SC_LOG_ERROR,
		       "STALE site %p %s%s(%s+0x%lx) keeps its "
		       "old target: %s; file:line: addr2line -f -i -e %s 0x%lx",
		       (void *)s->code.insn, fn, fn[0] ? " " : "", obj, off,
		       why, obj, off);
	if (sc_env()->abort_on_stale) {
		sc_log(SC_LOG_ERROR, "STATICCALL_ON_STALE=abort: aborting");
		abort();
	}
}

void sc_report_stale_more(size_t more, const char *key_name)
{
	sc_log(SC_LOG_ERROR, "... and %zu more STALE sites of key %s", more,
	       key_name);
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
