/*
 * livecode.h - check the live machine code of a staticcall test program.
 *
 * A corpus program registers each key it calls through with SC_LIVE_KEY(k)
 * and updates keys with SC_UPDATE(k, f) (static_call_update + a check of its
 * return value + sc_check_live()). It ends with `return sc_live_exit();`.
 *
 * Built with a staticcall plugin (__STATICCALL_PLUGIN__ defined) the checker
 * decodes (with Zydis on x86-64) the code of every loaded object that holds
 * staticcall trampolines and compares it with what the runtime reports (see
 * livecode_core.c, and livecode.c or tests/arm64/livecode_aarch64.c for the
 * decoding; a program links the core and one of those). Built without a
 * plugin every function here is a no-op that
 * prints nothing, so the program's stdout is the same either way.
 * Diagnostics go to stderr only.
 */
#ifndef SC_LIVECODE_H
#define SC_LIVECODE_H

#include "staticcall.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Register a key (its address) under a name used in diagnostics. A key
 * registered with sc_live_key must have at least one site. */
void sc_live_key(const void *key, const char *name);
/* Same, for a key that may legitimately have no site. */
void sc_live_key_nosites(const void *key, const char *name);

/* Register with flags:
 *   SC_LIVE_NOSITES     the key may have no site;
 *   SC_LIVE_VALUE_CALLS the program also calls values read from the key
 *                       (e.g. `(c ? k : j)(x)`), so an indirect call through
 *                       a register loaded from it is legitimate (calls
 *                       through a memory operand at the key still fail). */
#define SC_LIVE_NOSITES 1
#define SC_LIVE_VALUE_CALLS 2
void sc_live_key_flags(const void *key, const char *name, int flags);
/* Forget a key (before the object holding it is dlclose'd). */
void sc_live_unkey(const void *key);

/* Check the live code against every registered key; print one diagnostic
 * line on stderr per failure; return the number of failures. 0 (and
 * nothing printed) in a build without the plugin. */
int sc_check_live(void);

/* Check that `key` currently holds `expected` and that every reported site
 * of it reaches `expected` in the live code. Returns the failure count. */
int sc_check_key(const void *key, const void *expected);

/* Failures counted so far by SC_UPDATE / SC_CHECK / sc_live_fail. */
int sc_live_failures(void);
void sc_live_fail(const char *file, int line, const char *what);
/* 0 when nothing failed, 1 otherwise (with a summary on stderr). */
int sc_live_exit(void);

int sc_live_after_update(int rc, const char *key, const char *fn,
			 const char *file, int line);

#define SC_LIVE_KEY(k) sc_live_key((const void *)&(k), #k)

/* static_call_update that must return 0, followed by a live-code check. */
#define SC_UPDATE(k, f)                                                       \
	sc_live_after_update(static_call_update(k, f), #k, #f, __FILE__,      \
			     __LINE__)

/* Just the live-code check, counted as failures. */
#define SC_CHECK()                                                            \
	do {                                                                  \
		if (sc_check_live() != 0)                                     \
			sc_live_fail(__FILE__, __LINE__, "sc_check_live");    \
	} while (0)

#ifdef __cplusplus
}
#endif

/* A C++ test built as a shared object (-Dmain=sc_corpus_main): the
 * function support/corpus_main.c calls has C linkage. */
#if defined(__cplusplus) && defined(main)
extern "C" int main(int, char **);
#endif

#endif
