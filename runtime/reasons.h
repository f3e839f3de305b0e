/*
 * reasons.h - what a site's live form is called and why it is not a direct
 * call: the texts both the runtime (static_call_form_name, api.c;
 * static_call_sites, introspect.c; its checks, object.c and patch.c) and
 * tools/staticcall-inspect (--pid, reading a process from outside) give,
 * so that the two say the same thing the same way.
 */
#ifndef SC_REASONS_H
#define SC_REASONS_H

#include "staticcall.h"

static inline const char *sc_site_form_name(int form)
{
	switch (form) {
	case STATIC_CALL_SITE_TRAMPOLINE:
		return "trampoline";
	case STATIC_CALL_SITE_DIRECT:
		return "direct";
	case STATIC_CALL_SITE_TAIL_JUMP:
		return "tail-jump";
	case STATIC_CALL_SITE_NOP:
		return "nop";
	case STATIC_CALL_SITE_UNVERIFIED:
		return "unverified";
	case STATIC_CALL_SITE_RETURN_ZERO:
		return "return-zero";
	case STATIC_CALL_SITE_RETURN_CONST:
		return "return-const";
	case STATIC_CALL_SITE_RETURN_ARG:
		return "return-arg";
	case STATIC_CALL_SITE_FRAGMENT:
		return "fragment";
	}
	return "unknown";
}

#define SC_REASON_NOP "key is NULL: the guarded call is a NOP"
#define SC_REASON_RET0 "key returns zero: inline return 0, no call"
#define SC_REASON_INLINE "inline form of the target: no call"
#define SC_REASON_TARGET_NULL "target is NULL"
#define SC_REASON_NOT_A_SITE "site does not hold a call to its trampoline"
#define SC_REASON_NOT_VERIFIED "site not verified"
#define SC_REASON_NOT_PATCHED "not patched"

#endif
