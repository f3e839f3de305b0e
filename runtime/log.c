/*
 * log.c - what the runtime tells the user, on stderr.
 *
 * STATICCALL_LOG = error | warn (default) | info | debug (or 0..3).
 * STATICCALL_DISABLE = 1 keeps every site on its trampoline and every
 *   trampoline on its slow path: nothing is ever written.
 * STATICCALL_SITES = trampoline keeps sites on their trampolines but lets
 *   the trampolines jump straight to the target (what an out-of-range
 *   target gets; for tests and benchmarks).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int level = -1;

static int parse_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	if (!s || !*s)
		return SC_LOG_WARN;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (s[0] >= '0' && s[0] <= '9')
		return atoi(s) > SC_LOG_DEBUG ? SC_LOG_DEBUG : atoi(s);
	return SC_LOG_WARN;
}

int sc_log_enabled(int l)
{
	if (level < 0)
		level = parse_level(getenv("STATICCALL_LOG"));
	return l <= level;
}

void sc_log(int l, const char *fmt, ...)
{
	static const char *const tags[] = { "error", "warning", "info", "debug" };
	if (!sc_log_enabled(l))
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "staticcall: %s: %s\n", tags[l], buf);
}

int sc_patching_disabled_by_env(void)
{
	const char *s = getenv("STATICCALL_DISABLE");
	return s && *s && strcmp(s, "0") != 0;
}

int sc_sites_forced_to_trampoline(void)
{
	static int forced = -1;
	if (forced < 0) {
		const char *s = getenv("STATICCALL_SITES");
		forced = s && !strcmp(s, "trampoline");
	}
	return forced;
}
