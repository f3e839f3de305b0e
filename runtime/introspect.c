/*
 * introspect.c - what the sites do now: static_call_sites and the reason
 * a site is not direct, static_call_verify / static_call_resync, and the
 * reports at exit (STATICCALL_VERIFY=1, STATICCALL_REPORT=1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Where a site's live bytes send control, following its trampoline. */
void *sc_site_reaches(const struct sc_site *s, int *form, void *var_value)
{
	uint8_t live[SC_MAX_INSN];
	memcpy(live, s->code.insn, s->code.len);
	struct sc_decoded d =
		sc_decode_site(&s->code, live, s->tramp->code.insn);
	*form = d.form;
	switch (d.form) {
	case STATIC_CALL_SITE_NOP:
		return NULL;
	case STATIC_CALL_SITE_RETURN_ZERO:
		return (void *)__staticcall_ret0;
	case STATIC_CALL_SITE_RETURN_CONST:
	case STATIC_CALL_SITE_RETURN_ARG:
	case STATIC_CALL_SITE_FRAGMENT: {
		/* the function whose inline form it holds (inline.c): the
		 * key's own value first, as two functions may have the same
		 * bytes (a fragment `mov %rdi,%rax` and return-arg(0)) */
		uint8_t own[SC_MAX_INSN], own_form;
		if (var_value &&
		    sc_inline_encode_site(&s->code, var_value,
					  sc_site_multi_ok(s), own,
					  &own_form) &&
		    !memcmp(own, live, s->code.len))
			return var_value;
		const struct sc_inline *f = sc_inline_of_site(&s->code, live);
		return f ? (void *)f->fn : NULL;
	}
	case STATIC_CALL_SITE_TRAMPOLINE: {
		void *via = NULL;
		if (s->tramp->code.prot &&
		    sc_arch_decode_slot(
			    s->tramp->code.insn,
			    sc_code_load64(
				    (const uint64_t *)s->tramp->code.insn),
			    &via) &&
		    via)
			return via;
		return var_value; /* the slow path reads the key */
	}
	default:
		return d.reaches;
	}
}

/* Every verified site against its key's value; with resync, re-patch. */
int sc_own_verify(int resync)
{
	int stale = 0, err = 0;
	size_t total = 0;
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return -EDEADLK;
	sc_for_each_key(k)
	{
		void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
		if (resync) {
			int e = sc_patch_key(k, v, 0);
			sc_log_retarget(k, v, "resync", e);
			if (e) {
				err = e;
				sc_report_stale_sites(k, "resync of", e);
			}
			continue;
		}
		for (size_t i = 0; i < k->nsites; i++) {
			struct sc_site *s = k->sites[i];
			int form;
			if (s->code.state != SC_CODE_OK)
				continue;
			total++;
			void *t = sc_site_reaches(s, &form, v);
			if (t == v)
				continue;
			stale++;
			sc_log(SC_LOG_ERROR,
			       "stale site %p (%s+%#lx, %s): "
			       "reaches %p but key %p holds %p (a store "
			       "the runtime did not see?)",
			       (void *)s->code.insn, s->object->name,
			       (unsigned long)((uintptr_t)s->code.insn -
					       s->object->base),
			       static_call_form_name(form), t, (void *)k->var,
			       v);
		}
	}
	if (!resync)
		stale += sc_keys_verify(&total);
	if (!resync)
		sc_log(stale ? SC_LOG_ERROR : SC_LOG_INFO,
		       "verify: %zu sites checked, %d stale", total, stale);
	sc_unlock(&saved);
	return resync ? err : stale;
}

static const char *reason_for(const struct sc_site *s, int form, void *target)
{
	if (form == STATIC_CALL_SITE_DIRECT ||
	    form == STATIC_CALL_SITE_TAIL_JUMP)
		return NULL;
	if (form == STATIC_CALL_SITE_NOP)
		return SC_REASON_NOP;
	if (form == STATIC_CALL_SITE_RETURN_ZERO)
		return SC_REASON_RET0;
	if (form == STATIC_CALL_SITE_RETURN_CONST ||
	    form == STATIC_CALL_SITE_RETURN_ARG ||
	    form == STATIC_CALL_SITE_FRAGMENT)
		return SC_REASON_INLINE;
	if (s->code.state != SC_CODE_OK)
		return s->code.reason ? s->code.reason : SC_REASON_NOT_VERIFIED;
	if (sc_patching_off_reason())
		return sc_patching_off_reason();
	if (s->bind != SC_SITE_BOUND)
		return SC_REASON_UNBOUND;
	if (!target && !s->code.cond)
		return SC_REASON_TARGET_NULL;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return sc_env()->seal == 2 ?
			       "updates sealed by STATICCALL_SEAL=updates" :
			       SC_REASON_UPDATES_SEALED;
	const char *why = sc_site_indirect_reason(s, target);
	return why ? why : SC_REASON_NOT_PATCHED;
}

int sc_own_sites(const void *var, struct static_call_site_info *buf, size_t n)
{
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return -EDEADLK;
	struct sc_key *k = sc_key_find(var);
	size_t count = k ? k->nsites : 0;
	void *target = k ? __atomic_load_n(k->var, __ATOMIC_ACQUIRE) : NULL;
	for (size_t i = 0; i < count && i < n; i++) {
		struct sc_site *s = k->sites[i];
		struct static_call_site_info *o = &buf[i];
		memset(o, 0, sizeof *o);
		o->address = s->code.insn;
		o->trampoline = s->tramp->code.insn;
		o->object = s->object->name;
		o->tail = !!(s->flags & SC_SITE_TAIL);
		int form = STATIC_CALL_SITE_UNVERIFIED;
		/* Read code only where it was checked to be code. */
		if (s->code.prot)
			o->reaches = sc_site_reaches(s, &form, target);
		/* bytes never verified: whatever they decode as, the runtime
		 * does not own them (an arm64 NOP word is no NULL-key NOP) */
		if (s->code.state != SC_CODE_OK)
			form = STATIC_CALL_SITE_UNVERIFIED;
		o->form = form;
		o->reason = reason_for(s, form, target);
	}
	sc_unlock(&saved);
	return count > (size_t)INT32_MAX ? INT32_MAX : (int)count;
}

/* ---- at exit ---------------------------------------------------------- */
static int report_enabled, verify_enabled, verified_at_exit;

__attribute__((constructor)) static void exit_reports_init(void)
{
	/* STATICCALL_VERIFY=1: check every site against its key at exit. */
	verify_enabled = sc_env()->verify_at_exit;
	report_enabled = sc_env()->report_at_exit;
}

void sc_verify_at_exit(void)
{
	if (verify_enabled && !verified_at_exit) {
		/* before the first object goes: at exit, or a dlclose */
		verified_at_exit = 1;
		sc_log_report("verify: %d stale sites", sc_own_verify(0));
	}
}

/* STATICCALL_REPORT=1: when an object goes away (at exit, or dlclose),
 * the state of each of its sites, then a summary. Caller holds the lock. */
void sc_report_at_exit(const struct sc_object *only)
{
	size_t n = 0, direct = 0, tramp = 0, unverified = 0, other = 0;
	if (!report_enabled)
		return;
	/* names as the inspector gives them, static functions included:
	 * one read of each object's symbols, kept while its sites are named */
	struct sc_namer sites = { 0 }, others = { 0 };
	sc_for_each_key(k)
	{
		void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
		char kname[128];
		int named = 0;
		for (size_t i = 0; i < k->nsites; i++) {
			struct sc_site *s = k->sites[i];
			if (s->object != only)
				continue;
			int form = STATIC_CALL_SITE_UNVERIFIED;
			void *t = s->code.prot ? sc_site_reaches(s, &form, v) :
						 NULL;
			char where[160], to[160];
			if (!named++)
				sc_namer_name(&others, k->var, kname,
					      sizeof kname);
			sc_namer_name(&sites, s->code.insn, where,
				      sizeof where);
			sc_namer_name(&others, t, to, sizeof to);
			const char *why = reason_for(s, form, v);
			sc_log_report("site %s:%s (%p) key %s %s -> %s%s%s",
				      s->object->name, where,
				      (void *)s->code.insn, kname,
				      static_call_form_name(form), to,
				      why ? ": " : "", why ? why : "");
			n++;
			if (form == STATIC_CALL_SITE_DIRECT ||
			    form == STATIC_CALL_SITE_TAIL_JUMP)
				direct++;
			else if (form == STATIC_CALL_SITE_TRAMPOLINE)
				tramp++;
			else if (form == STATIC_CALL_SITE_UNVERIFIED)
				unverified++;
			else
				other++;
		}
	}
	sc_namer_done(&sites);
	sc_namer_done(&others);
	sc_log_report("report: %s: %zu sites, %zu direct, %zu trampoline, %zu "
		      "unverified, %zu nop or inline",
		      only->name, n, direct, tramp, unverified, other);
}
