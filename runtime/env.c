/*
 * env.c - the runtime's environment switches, read once, at start-up.
 *
 * Reading them at each use made a program that setenv()s one for a child
 * it is about to spawn change its own behaviour half-way (updates that
 * reported success while sites kept the old target). They are read when
 * the runtime is loaded (its constructor), or at the first use before
 * that, and never again. docs/GUIDE.md lists them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static struct sc_env env;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
/* A value that means nothing is reported once sc_log can run. */
static const char *bad_name, *bad_value;
/* Promotion turned off for LD_AUDIT (read_env), said the same way. */
static int audited;

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
	bad_name = "STATICCALL_LOG";
	bad_value = s;
	return SC_LOG_WARN;
}

/* A switch: unset or empty, `otherwise`; 1/on/yes/true on, 0/off/no/
 * false off; anything else is said and ignored, as for every variable
 * (before, any value but "0" meant on for the switches off by default:
 * a review set PERF_MAP=off and got a map). */
static int flag_or(const char *name, int otherwise)
{
	static const char *const on[] = { "1", "on", "yes", "true" };
	static const char *const off[] = { "0", "off", "no", "false" };
	const char *s = getenv(name);
	if (!s || !*s)
		return otherwise;
	for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
		if (!strcmp(s, on[i]))
			return 1;
		if (!strcmp(s, off[i]))
			return 0;
	}
	bad_name = name;
	bad_value = s;
	return otherwise;
}

static int flag(const char *name)
{
	return flag_or(name, 0);
}

/* One of `words` (index + 1), 0 when unset or empty. */
static int choice(const char *name, const char *const *words, int n)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return i + 1;
	bad_name = name;
	bad_value = s;
	return 0;
}

/* A positive integer, `otherwise` when unset or empty. */
static size_t count(const char *name, size_t otherwise)
{
	const char *s = getenv(name);
	char *end;
	if (!s || !*s)
		return otherwise;
	errno = 0; /* a value past the type's range is as bad as a typo */
	unsigned long long n = strtoull(s, &end, 10);
	if (*end || n == 0 || s[0] == '-' || errno == ERANGE ||
	    n > SIZE_MAX - 1) { /* (SIZE_MAX: "off" to the callers) */
		bad_name = name;
		bad_value = s;
		return otherwise;
	}
	return (size_t)n;
}

static void read_env(void)
{
	static const char *const sites[] = { "trampoline" };
	static const char *const stale[] = { "warn", "abort" };
	static const char *const seal[] = { "code", "updates" };
	static const char *const straddle[] = { "trampoline", "wait" };
	static const char *const bind[] = { "lazy", "eager" };
	env.log_level = parse_level(getenv("STATICCALL_LOG"));
	env.disable = flag("STATICCALL_DISABLE");
	env.sites_trampoline = choice("STATICCALL_SITES", sites, 1) == 1;
	env.verify_at_exit = flag("STATICCALL_VERIFY");
	env.report_at_exit = flag("STATICCALL_REPORT");
	env.abort_on_stale = choice("STATICCALL_ON_STALE", stale, 2) == 2;
	env.seal = choice("STATICCALL_SEAL", seal, 2);
	env.straddle_wait = choice("STATICCALL_STRADDLE", straddle, 2) == 2;
	env.bind_eager = choice("STATICCALL_BIND", bind, 2) == 2;
	static const char *const promote[] = { "off", "on", "freeze" };
	/* unset or "on": 1; "off": 0; "freeze": 2 (promote.c) */
	int p = choice("STATICCALL_PROMOTE", promote, 3);
	env.promote = p == 1 ? 0 : p == 3 ? 2 : 1;
	/* An auditor's PLT hooks (LD_AUDIT: sotruss, latrace) run glibc's
	 * profiling trampoline on the sampler's PLT call, which keeps the
	 * argument registers only: a jump site's or a preserve_all
	 * caller's live vector registers would be lost (a review's). */
	const char *audit = getenv("LD_AUDIT");
	if (env.promote && audit && *audit) {
		env.promote = 0;
		audited = 1;
	}
	env.perf_map = flag("STATICCALL_PERF_MAP");
	/* unset: on; off: each stub without hit counters */
	env.promote_count = flag_or("STATICCALL_PROMOTE_COUNT", 1);
	/* unset: on; off: inline sites stay closed */
	env.promote_inline = flag_or("STATICCALL_PROMOTE_INLINE", 1);
	env.defer_min = count("STATICCALL_DEFER_MIN", SC_DEFER_MIN);
	/* unset: 0 (promote.c's default); "off": SIZE_MAX; N: N ms */
	const char *rl = getenv("STATICCALL_PROMOTE_RELAYOUT");
	env.promote_relayout_ms =
		rl && !strcmp(rl, "off") ?
			SIZE_MAX :
			count("STATICCALL_PROMOTE_RELAYOUT", 0);
}

const struct sc_env *sc_env(void)
{
	pthread_once(&env_once, read_env);
	return &env;
}

__attribute__((constructor)) static void env_at_start(void)
{
	sc_env();
	if (bad_name)
		sc_log(SC_LOG_WARN, "%s=%s is not a value it takes: ignored",
		       bad_name, bad_value);
	if (audited)
		sc_log(SC_LOG_INFO, "promote: off under LD_AUDIT (an auditor's "
				    "PLT hooks do not keep the registers a "
				    "promotable site's callee may read)");
}
