/*
 * log.c - what the runtime tells the user, on stderr.
 *
 * STATICCALL_LOG = error | warn (default) | info | debug (or 0..3), read
 * once with the other switches (env.c).
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

int sc_log_enabled(int l)
{
	return l <= sc_env()->log_level;
}

void sc_log(int l, const char *fmt, ...)
{
	static const char *const tags[] = { "error", "warning", "info",
					    "debug" };
	if (!sc_log_enabled(l))
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "staticcall: %s: %s\n", tags[l], buf);
}

void sc_log_report(const char *fmt, ...)
{
	/* one write: lines of other threads and processes never cut it */
	char buf[1024];
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n >= 0 && (size_t)n < sizeof buf) {
		fprintf(stderr, "staticcall: %s\n", buf);
	} else { /* long names: whole, in pieces */
		flockfile(stderr);
		fputs("staticcall: ", stderr);
		vfprintf(stderr, fmt, again);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(again);
	va_end(ap);
}
