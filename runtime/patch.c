/*
 * patch.c - bring every site and trampoline of one key to its target.
 *
 * Architecture-neutral: the arch file says which word each piece of code
 * must hold, the text writer applies the whole batch or nothing.
 *
 * Where a site cannot call the target directly (out of range, NULL target,
 * bytes we could not verify) it calls its trampoline, whose slot jumps to
 * the target directly when in range and otherwise takes the slow path that
 * loads the key variable: every form is correct at every moment.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static const char *off_reason;
static int ever_patched;

const char *sc_patching_off_reason(void)
{
	if (!off_reason && sc_patching_disabled_by_env())
		off_reason = "patching disabled by STATICCALL_DISABLE";
	return off_reason;
}

void sc_patching_turn_off(const char *why)
{
	if (!off_reason) {
		off_reason = why;
		sc_log(SC_LOG_WARN, "%s: every static call stays on its trampoline",
		       why);
	}
}

int sc_patch_key(struct sc_key *key, void *target)
{
	if (sc_patching_off_reason())
		return 0;
	size_t cap = key->nsites + key->ntramps, n = 0;
	if (cap == 0)
		return 0;
	struct sc_write *w = malloc(cap * sizeof *w);
	if (!w)
		return -ENOMEM;

	for (size_t i = 0; i < key->ntramps; i++) {
		struct sc_tramp *t = key->tramps[i];
		const char *why;
		if (t->code.state != SC_CODE_OK)
			continue;
		uint64_t v = sc_arch_encode_slot(t->code.insn, target, &why);
		if (v != t->code.word_value)
			w[n++] = (struct sc_write){ &t->code, v };
	}
	for (size_t i = 0; i < key->nsites; i++) {
		struct sc_site *s = key->sites[i];
		const char *why;
		uint64_t v;
		if (!sc_site_recheck(s))
			continue;
		int tail = s->flags & SC_SITE_TAIL;
		if (!target || sc_sites_forced_to_trampoline() ||
		    !sc_arch_encode_site(s->code.insn, s->code.word_value,
						    tail, target, &v, &why))
			sc_arch_encode_site(s->code.insn, s->code.word_value, tail,
					    s->tramp->code.insn, &v, &why);
		if (v != s->code.word_value)
			w[n++] = (struct sc_write){ &s->code, v };
	}

	int err = sc_text_apply(w, n);
	if (err == -EBUSY) {
		/* Name the culprits; their recorded bytes stay what we expect,
		 * so a later update retries them once the intruder is gone. */
		for (size_t i = 0; i < n; i++)
			if (__atomic_load_n(w[i].code->word, __ATOMIC_RELAXED) !=
			    w[i].code->word_value)
				sc_log(SC_LOG_ERROR,
				       "code at %p changed behind the runtime's back "
				       "(breakpoint? another patcher?): update refused",
				       (void *)w[i].code->insn);
	} else if ((err == -EACCES || err == -EPERM) && !ever_patched) {
		sc_patching_turn_off("text pages cannot be made writable "
				     "(W^X policy?)");
		err = 0;
	} else if (err) {
		sc_log(SC_LOG_ERROR, "patching failed: error %d", -err);
	} else if (n) {
		ever_patched = 1;
	}
	free(w);
	return err;
}
