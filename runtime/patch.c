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
#include <string.h>

#include "internal.h"

static const char *off_reason;
static int ever_patched;

const char *sc_patching_off_reason(void)
{
	if (!off_reason && sc_env()->disable)
		off_reason = "patching disabled by STATICCALL_DISABLE";
	if (!off_reason && sc_env()->seal == STATIC_CALL_SEAL_CODE)
		off_reason = SC_REASON_SEALED_ENV;
	return off_reason;
}

void sc_patching_turn_off(const char *why)
{
	if (!off_reason) {
		off_reason = why;
		/* asked for (static_call_seal): no warning */
		sc_log(!strcmp(why, SC_REASON_SEALED) ? SC_LOG_INFO : SC_LOG_WARN,
		       "%s: every static call stays on its trampoline", why);
	}
}

/* One piece of code to change and the bytes it gets. */
struct change {
	struct sc_code *code;
	uint8_t bytes[SC_MAX_INSN];
};

static int cmp_patch(const void *a, const void *b)
{
	const struct sc_byte_patch *x = a, *y = b;
	uintptr_t wx = (uintptr_t)x->addr & ~(uintptr_t)7;
	uintptr_t wy = (uintptr_t)y->addr & ~(uintptr_t)7;
	if (wx != wy)
		return wx < wy ? -1 : 1;
	return (int)x->phase - (int)y->phase;
}

static int cmp_write(const void *a, const void *b)
{
	const struct sc_write *x = a, *y = b;
	if (x->phase != y->phase)
		return x->phase - y->phase;
	return x->word < y->word ? -1 : x->word > y->word;
}

/*
 * Compose byte changes into word writes: for each aligned word touched,
 * its value after each phase, starting from what is in memory now. Pieces
 * of code that share a word (two anchored sites close together) thus
 * compose instead of overwriting each other. Returns the number of writes.
 */
static size_t compose(struct sc_byte_patch *bp, size_t nbp, struct sc_write *w)
{
	size_t nw = 0;
	sc_sort(bp, nbp, sizeof *bp, cmp_patch);
	for (size_t i = 0; i < nbp;) {
		uint64_t *word = (uint64_t *)((uintptr_t)bp[i].addr & ~(uintptr_t)7);
		uint64_t cur = sc_code_load64(word);
		int first = 1, prot = bp[i].prot;
		for (int phase = 0; phase < SC_PHASES; phase++) {
			uint8_t b[8];
			memcpy(b, &cur, 8);
			for (; i < nbp && (uint64_t *)((uintptr_t)bp[i].addr & ~(uintptr_t)7) == word &&
			       bp[i].phase == phase; i++)
				b[bp[i].addr - (uint8_t *)word] = bp[i].value;
			uint64_t nv;
			memcpy(&nv, b, 8);
			if (nv != cur) {
				w[nw++] = (struct sc_write){ word, cur, nv, phase,
							     first, prot };
				first = 0;
				cur = nv;
			}
		}
	}
	sc_sort(w, nw, sizeof *w, cmp_write);
	return nw;
}

/* Defence in depth: whatever happened to the runtime's own data since
 * registration, never write outside an executable segment of the object
 * that registered the code. */
static int inside_object(const struct sc_object *o, const struct sc_code *c)
{
	uintptr_t lo = (uintptr_t)c->insn & ~(uintptr_t)7;
	uintptr_t hi = ((uintptr_t)c->insn + c->len + 7) & ~(uintptr_t)7;
	return c->len <= SC_MAX_INSN && sc_object_exec_prot(o, (void *)lo, hi - lo);
}

/* Is the code still exactly what we last saw or wrote? */
static int unchanged(const struct sc_code *c)
{
	return memcmp(c->insn, c->bytes, c->len) == 0;
}

/* The target of a return-zero key: zero in the whole return register, so
 * correct for every integer and pointer return type. */
SC_EXPORT long __staticcall_ret0(void)
{
	return 0;
}

/* Arches without call-free forms keep such sites calling a function. */
__attribute__((weak)) int sc_arch_encode_form(const struct sc_code *c,
					       int form, uint8_t out[SC_MAX_INSN])
{
	(void)c; (void)form; (void)out;
	return 0;
}

/*
 * What a site should hold for this target, most direct first:
 *   return-zero key  inline `return 0`, else a call to __staticcall_ret0
 *   NULL key         a guarded site: NOP (or return, for a tail jump)
 *   any target       a direct call when in range
 *   otherwise        its trampoline (which handles range, NULL, hardening)
 */
static void site_bytes(const struct sc_site *s, void *target, uint8_t *out)
{
	const struct sc_code *c = &s->code;
	const char *why;
	if (!sc_env()->sites_trampoline) {
		if (target == (void *)__staticcall_ret0 &&
		    sc_arch_encode_form(c, STATIC_CALL_SITE_RETURN_ZERO, out))
			return;
		if (!target && c->cond &&
		    sc_arch_encode_form(c, STATIC_CALL_SITE_NOP, out))
			return;
		if (target && sc_arch_encode_site(c, target, out, &why))
			return;
	}
	sc_arch_encode_site(c, s->tramp->code.insn, out, &why);
}

int sc_patch_key(struct sc_key *key, void *target)
{
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return -EPERM;
	if (sc_patching_off_reason())
		return 0;
	size_t cap = key->nsites + key->ntramps, nc = 0, nw = 0;
	if (cap == 0)
		return 0;
	struct change *ch = sc_mem_alloc(cap * sizeof *ch);
	struct sc_byte_patch *bp = sc_mem_alloc(cap * SC_MAX_BYTE_PATCHES * sizeof *bp);
	struct sc_write *w = sc_mem_alloc(cap * SC_MAX_BYTE_PATCHES * sizeof *w);
	size_t nbp = 0;
	int err = 0;
	if (!ch || !bp || !w) {
		err = -ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < key->ntramps; i++) {
		struct sc_tramp *t = key->tramps[i];
		const char *why;
		if (t->code.state != SC_CODE_OK || !inside_object(t->object, &t->code))
			continue;
		/* A slot jumping into itself would never leave (`b .`):
		 * such a target takes the slow path, on every ISA. */
		const uint8_t *d = target;
		int self = d >= t->code.insn && d < t->code.insn + SC_TRAMP_SLOT;
		uint64_t v = sc_arch_encode_slot(t->code.insn, self ? NULL : target,
						 &why);
		if (memcmp(&v, t->code.bytes, 8)) {
			ch[nc].code = &t->code;
			memcpy(ch[nc++].bytes, &v, 8);
		}
	}
	for (size_t i = 0; i < key->nsites; i++) {
		struct sc_site *s = key->sites[i];
		if (!sc_site_recheck(s) || !inside_object(s->object, &s->code))
			continue;
		struct change *c = &ch[nc];
		site_bytes(s, target, c->bytes);
		if (memcmp(c->bytes, s->code.bytes, s->code.len)) {
			c->code = &s->code;
			nc++;
		}
	}

	/* Verify every piece before planning any write. */
	for (size_t i = 0; i < nc; i++)
		if (!unchanged(ch[i].code)) {
			sc_log(SC_LOG_ERROR,
			       "code at %p changed behind the runtime's back "
			       "(breakpoint? another patcher?): update refused",
			       (void *)ch[i].code->insn);
			err = -EBUSY;
			goto out;
		}
	for (size_t i = 0; i < nc; i++)
		nbp += (size_t)sc_arch_plan(ch[i].code, ch[i].bytes, bp + nbp);
	nw = compose(bp, nbp, w);

	err = sc_text_apply(w, nw);
	if (!err) {
		for (size_t i = 0; i < nc; i++)
			memcpy(ch[i].code->bytes, ch[i].bytes, ch[i].code->len);
		if (nc)
			ever_patched = 1;
	} else if (err == -EBUSY) {
		sc_log(SC_LOG_ERROR, "code changed while it was being patched: "
		       "update rolled back");
	} else if ((err == -EACCES || err == -EPERM) && !ever_patched) {
		sc_patching_turn_off("text pages cannot be made writable "
				     "(W^X policy?)");
		err = 0;
	} else {
		sc_log(SC_LOG_ERROR, "patching failed: error %d", -err);
	}
out:
	sc_mem_free(ch);
	sc_mem_free(bp);
	sc_mem_free(w);
	return err;
}

/*
 * STATIC_CALL_SEAL_CODE: every site onto its trampoline, every slot onto
 * its slow path (which loads the key on each call), in one batch, so that
 * no later change of any key needs a code write. Verified and applied like
 * any batch: all or nothing.
 */
int sc_patch_seal_code(struct sc_key *const *keys, size_t nkeys)
{
	size_t cap = 0, nc = 0, nbp = 0, nw;
	for (size_t k = 0; k < nkeys; k++)
		cap += keys[k]->nsites + keys[k]->ntramps;
	if (!cap)
		return 0;
	struct change *ch = sc_mem_alloc(cap * sizeof *ch);
	struct sc_byte_patch *bp = sc_mem_alloc(cap * SC_MAX_BYTE_PATCHES * sizeof *bp);
	struct sc_write *w = sc_mem_alloc(cap * SC_MAX_BYTE_PATCHES * sizeof *w);
	int err = 0;
	if (!ch || !bp || !w) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < nkeys; k++) {
		const struct sc_key *key = keys[k];
		for (size_t i = 0; i < key->ntramps; i++) {
			struct sc_tramp *t = key->tramps[i];
			const char *why;
			if (t->code.state != SC_CODE_OK ||
			    !inside_object(t->object, &t->code))
				continue;
			uint64_t v = sc_arch_encode_slot(t->code.insn, NULL, &why);
			if (memcmp(&v, t->code.bytes, 8)) {
				ch[nc].code = &t->code;
				memcpy(ch[nc++].bytes, &v, 8);
			}
		}
		for (size_t i = 0; i < key->nsites; i++) {
			struct sc_site *s = key->sites[i];
			const char *why;
			if (!sc_site_recheck(s) || !inside_object(s->object, &s->code))
				continue;
			/* compiled as a call to this trampoline: always encodable */
			if (!sc_arch_encode_site(&s->code, s->tramp->code.insn,
						 ch[nc].bytes, &why)) {
				err = -EINVAL;
				goto out;
			}
			if (memcmp(ch[nc].bytes, s->code.bytes, s->code.len))
				ch[nc++].code = &s->code;
		}
	}
	for (size_t i = 0; i < nc; i++)
		if (!unchanged(ch[i].code)) {
			sc_log(SC_LOG_ERROR, "code at %p changed behind the "
			       "runtime's back: seal refused",
			       (void *)ch[i].code->insn);
			err = -EBUSY;
			goto out;
		}
	for (size_t i = 0; i < nc; i++)
		nbp += (size_t)sc_arch_plan(ch[i].code, ch[i].bytes, bp + nbp);
	nw = compose(bp, nbp, w);
	err = sc_text_apply(w, nw);
	if (!err)
		for (size_t i = 0; i < nc; i++)
			memcpy(ch[i].code->bytes, ch[i].bytes, ch[i].code->len);
out:
	sc_mem_free(ch);
	sc_mem_free(bp);
	sc_mem_free(w);
	return err;
}
