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

/* The changes planned for one batch (one or many keys). */
struct batch {
	struct change *ch;
	size_t nc, cap;
};

/*
 * Append to b what every slot and site of key must become to reach
 * target: the per-slot and per-site decisions. Appends at most
 * key->ntramps + key->nsites changes.
 */
static void plan_key(struct batch *b, struct sc_key *key, void *target)
{
	struct change *ch = b->ch;
	size_t nc = b->nc;

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
	b->nc = nc;
}

/*
 * Put the changes in address order, so that their byte patches come out
 * sorted (compose() then only checks): in a batch of many keys each key's
 * sites are in address order but the keys interleave, and sorting the
 * byte patches with comparisons took most of a 100,000-site registration.
 * A stable LSD radix sort on the offset from the lowest address, 8 bits a
 * pass: O(n) a pass, three passes for a megabyte of text. Best effort:
 * without memory the changes stay as they are (compose() sorts anyway).
 */
static void sort_changes(struct change *ch, size_t n)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	int sorted = 1;
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)ch[i].code->insn;
		if (i && a < (uintptr_t)ch[i - 1].code->insn)
			sorted = 0;
		lo = a < lo ? a : lo;
		hi = a > hi ? a : hi;
	}
	if (sorted)
		return;
	struct change *tmp = sc_mem_alloc(n * sizeof *tmp), *from = ch, *to = tmp;
	if (!tmp)
		return;
	for (unsigned shift = 0; shift < 64 && (hi - lo) >> shift; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((((uintptr_t)from[i].code->insn - lo) >> shift) & 255) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			to[count[(((uintptr_t)from[i].code->insn - lo) >> shift) & 255]++] =
				from[i];
		struct change *t = from;
		from = to;
		to = t;
	}
	if (from != ch)
		memcpy(ch, from, n * sizeof *ch);
	sc_mem_free(tmp);
}

/*
 * Verify every planned change, turn them into word writes and apply them
 * all with one sc_text_apply (one set of page runs, one core sync per
 * phase); on success record the new bytes. All or nothing.
 */
static int apply_batch(struct batch *b)
{
	struct change *ch = b->ch;
	size_t nc = b->nc, nbp = 0, nw = 0;
	int err = 0;
	if (nc == 0)
		return 0;
	/* sized by what was planned, not by every site of the keys */
	struct sc_byte_patch *bp = sc_mem_alloc(nc * SC_MAX_BYTE_PATCHES * sizeof *bp);
	struct sc_write *w = sc_mem_alloc(nc * SC_MAX_BYTE_PATCHES * sizeof *w);
	if (!bp || !w) {
		err = -ENOMEM;
		goto out;
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
	sort_changes(ch, nc);
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
	sc_mem_free(bp);
	sc_mem_free(w);
	return err;
}

int sc_patch_keys(struct sc_key *const *keys, void *const *targets, size_t n)
{
	if (sc_patching_off_reason())
		return 0;
	struct batch b = { NULL, 0, 0 };
	for (size_t k = 0; k < n; k++)
		b.cap += keys[k]->nsites + keys[k]->ntramps;
	if (b.cap == 0)
		return 0;
	b.ch = sc_mem_alloc(b.cap * sizeof *b.ch);
	if (!b.ch)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++)
		plan_key(&b, keys[k], targets[k]);
	int err = apply_batch(&b);
	sc_mem_free(b.ch);
	return err;
}

int sc_patch_key(struct sc_key *key, void *target)
{
	return sc_patch_keys(&key, &target, 1);
}
