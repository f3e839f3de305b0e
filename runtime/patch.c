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
		sc_log(!strcmp(why, SC_REASON_SEALED) ? SC_LOG_INFO :
							SC_LOG_WARN,
		       "%s: every static call stays on its trampoline", why);
	}
}

/* One piece of code to change and the bytes it gets. */
struct change {
	struct sc_code *code;
	uint8_t bytes[SC_MAX_INSN];
	uint8_t inline_form; /* sc_code.inline_form of those bytes */
};

/*
 * The bytes one piece sets in one aligned word in one phase. A change
 * touches a few bytes of one or two words: one record per word, not one
 * per byte, is what keeps a registration of 100,000 sites in cache.
 */
struct word_patch {
	uint64_t *word;
	uint64_t value; /* the new bytes, in their places */
	uint8_t mask;	/* bit i: byte i is set */
	uint8_t phase;
	uint8_t prot; /* protection of its segment */
};

static int cmp_patch(const void *a, const void *b)
{
	const struct word_patch *x = a, *y = b;
	if (x->word != y->word)
		return x->word < y->word ? -1 : 1;
	return (int)x->phase - (int)y->phase;
}

/*
 * Word patches in (word, phase) order, as cmp_patch orders them: usually
 * already (checked in one pass: a registration plans in address order);
 * else by an LSD radix sort, stable, so that of two pieces setting one
 * byte the later planned wins as before. Falls back to sc_sort without
 * memory.
 */
static void sort_patches(struct word_patch *wp, size_t n, int no_alloc)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	int sorted = 1;
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)wp[i].word;
		if (i && cmp_patch(&wp[i - 1], &wp[i]) > 0)
			sorted = 0;
		lo = a < lo ? a : lo;
		hi = a > hi ? a : hi;
	}
	if (sorted)
		return;
	struct word_patch *tmp = no_alloc ? NULL :
					    sc_mem_alloc(n * sizeof *tmp);
	if (!tmp) {
		sc_sort(wp, n, sizeof *wp, cmp_patch);
		return;
	}
	/* key: word offset from the lowest word, times 4, plus the phase */
#define PATCH_KEY(p) ((((uintptr_t)(p).word - lo) >> 1) | (p).phase)
	uintptr_t top = (hi - lo) >> 1 | 3;
	struct word_patch *from = wp, *to = tmp;
	for (unsigned shift = 0; shift < 8 * sizeof(uintptr_t) && top >> shift;
	     shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((PATCH_KEY(from[i]) >> shift) & 255) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			to[count[(PATCH_KEY(from[i]) >> shift) & 255]++] =
				from[i];
		struct word_patch *t = from;
		from = to;
		to = t;
	}
#undef PATCH_KEY
	if (from != wp)
		memcpy(wp, from, n * sizeof *wp);
	sc_mem_free(tmp);
}

static int cmp_write(const void *a, const void *b)
{
	const struct sc_write *x = a, *y = b;
	if (x->phase != y->phase)
		return x->phase - y->phase;
	return x->word < y->word ? -1 : x->word > y->word;
}

/* At most one write per (word, phase) of sorted patches: the size of
 * compose's output. */
static size_t count_writes(const struct word_patch *wp, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !i || wp[i].word != wp[i - 1].word ||
		     wp[i].phase != wp[i - 1].phase;
	return c;
}

/*
 * Compose word patches, sorted by sort_patches, into word writes: for each
 * aligned word touched, its value after each phase, starting from what is
 * in memory now. Pieces of code that share a word (two anchored sites
 * close together) thus compose instead of overwriting each other. Returns
 * the number of writes.
 */
static size_t compose(const struct word_patch *wp, size_t n, struct sc_write *w)
{
	size_t nw = 0;
	for (size_t i = 0; i < n;) {
		uint64_t *word = wp[i].word;
		uint64_t cur = sc_code_load64(word);
		int first = 1, prot = wp[i].prot;
		for (int phase = 0; phase < SC_PHASES; phase++) {
			uint8_t b[8], v[8];
			memcpy(b, &cur, 8);
			for (; i < n && wp[i].word == word &&
			       wp[i].phase == phase;
			     i++) {
				memcpy(v, &wp[i].value, 8);
				for (int k = 0; k < 8; k++)
					if (wp[i].mask & (1u << k))
						b[k] = v[k];
			}
			uint64_t nv;
			memcpy(&nv, b, 8);
			if (nv != cur) {
				w[nw++] =
					(struct sc_write){ word,  cur,	 nv,
							   phase, first, prot };
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
	return c->len <= SC_MAX_INSN &&
	       sc_object_exec_prot(o, (void *)lo, hi - lo);
}

/* The target of a return-zero key: zero in the whole return register, so
 * correct for every integer and pointer return type. */
SC_EXPORT long __staticcall_ret0(void)
{
	return 0;
}

/* Arches without call-free forms keep such sites calling a function. */
__attribute__((weak)) int sc_arch_encode_form(const struct sc_code *c, int form,
					      uint8_t out[SC_MAX_INSN])
{
	(void)c;
	(void)form;
	(void)out;
	return 0;
}

#define REASON_STRADDLE                                                       \
	"the instruction straddles an 8-byte word: no single atomic write "   \
	"can change it (STATICCALL_STRADDLE=wait patches it through a brief " \
	"`jmp .`)"
#define REASON_BREAKPOINT "a debugger's breakpoint is on the site"

/*
 * A straddling site from one direct target to another whose bytes differ
 * in both words: first back to its trampoline form, then, after a core
 * sync, on to the new form; each step is one word, so a fetch sees the
 * old form, the trampoline call or the new form. -1 if a step is not one
 * word.
 */
static int via_trampoline(const struct sc_code *c, const uint8_t *live,
			  const uint8_t *tramp_form, const uint8_t *to,
			  struct sc_byte_patch *bp)
{
	int n1 = sc_arch_plan(c, live, tramp_form, 0, bp);
	if (n1 < 0)
		return -1;
	int n2 = sc_arch_plan(c, tramp_form, to, 0, bp + n1);
	if (n2 < 0)
		return -1;
	for (int i = 0; i < n1; i++)
		bp[i].phase = SC_PHASES - 2;
	for (int i = n1; i < n1 + n2; i++)
		bp[i].phase = SC_PHASES - 1;
	return n1 + n2;
}

/*
 * A site holding a multi-instruction inline form while threads run: a
 * thread may be stopped between its instructions, so it stays as it is
 * (1, no change, when it already holds what target means; 1 with *why
 * when it cannot follow). 0: plan as usual.
 */
static int multi_insn_stays(const struct sc_code *c, void *target,
			    int slow_only, uint8_t *bytes, uint8_t *inline_form,
			    const char **why)
{
	uint8_t now[SC_MAX_INSN];
	if (!(c->inline_form & SC_INLINE_MULTI) || sc_single_threaded())
		return 0;
	const struct sc_inline *f = slow_only ? NULL : sc_inline_find(target);
	if (f && f->len &&
	    sc_arch_inline_site(c, f->bytes, f->len, f->ninsn, now) &&
	    !memcmp(now, c->bytes, c->len)) {
		memcpy(bytes, c->bytes, c->len);
		*inline_form = c->inline_form;
		return 1;
	}
	*why = SC_REASON_MULTI_THREADS;
	return 1;
}

/*
 * The most direct form of a site for `target` that can be written safely
 * over `live` (what the code holds now), and its byte writes. In order:
 *   return-zero key  inline `return 0`, else a direct call of
 *                    __staticcall_ret0
 *   NULL key         a guarded site: NOP (or return, for a tail jump)
 *   any target       a direct call when in range
 *   otherwise        its trampoline (which handles range, NULL, hardening)
 * With a breakpoint over the first byte (bkpt), only forms that keep that
 * byte qualify, and it is not written: the debugger's restore completes
 * the new instruction. Returns the number of byte writes, -1 when no form
 * can be written; *why says why the form chosen is not the first.
 */
static int plan_site(const struct sc_site *s, const uint8_t *live, int bkpt,
		     void *target, int slow_only, uint8_t *bytes,
		     uint8_t *inline_form, struct sc_byte_patch *bp,
		     const char **why)
{
	const struct sc_code *c = &s->code;
	uint8_t cand[4][SC_MAX_INSN], cform[4] = { 0 };
	const char *w = NULL;
	int nc = 0;
	*why = NULL;
	if (multi_insn_stays(c, target, slow_only, bytes, inline_form, why))
		return *why ? -1 : 0;
	if (slow_only) {
		*why = SC_REASON_SEALED;
	} else if (sc_env()->sites_trampoline) {
		*why = SC_REASON_FORCED;
	} else {
		if (target == (void *)__staticcall_ret0 &&
		    sc_arch_encode_form(c, STATIC_CALL_SITE_RETURN_ZERO,
					cand[nc]))
			nc++;
		else if (sc_inline_encode_site(c, target, sc_site_multi_ok(s),
					       cand[nc], &cform[nc]))
			nc++;
		if (!target && c->cond &&
		    sc_arch_encode_form(c, STATIC_CALL_SITE_NOP, cand[nc]))
			nc++;
		if (!target && !nc)
			*why = SC_REASON_TARGET_NULL;
		else if (target && sc_arch_encode_site(c, target, cand[nc], &w))
			nc++;
		else if (target)
			*why = w;
	}
	if (!sc_arch_encode_site(c, s->tramp->code.insn, cand[nc], &w)) {
		*why = w;
		return -1;
	}
	nc++;
	const uint8_t *tramp_form = cand[nc - 1];
	for (int i = 0; i < nc; i++) {
		/* A multi-instruction form is written and left only while the
		 * process is single-threaded (multi_insn_stays, inline.c): no
		 * thread can fetch a straddling site half-written then, so
		 * it takes the `jmp .` path whatever STATICCALL_STRADDLE says */
		int wait_env = sc_env()->straddle_wait,
		    into = (cform[i] & SC_INLINE_MULTI) != 0,
		    from = (c->inline_form & SC_INLINE_MULTI) != 0;
		uint8_t to[SC_MAX_INSN];
		memcpy(to, cand[i], c->len);
		if (bkpt) {
			if (to[0] != c->bytes[0]) {
				*why = REASON_BREAKPOINT;
				continue;
			}
			to[0] = live[0];
		}
		/* Only a form the site can leave for its trampoline in one safe
		 * write: otherwise a straddling site could reach a form from
		 * which no later target, not even the trampoline, is writable.
		 * (Leaving a multi-instruction form is single-threaded too;
		 * any other form must be left while threads run.) */
		struct sc_byte_patch back[SC_MAX_BYTE_PATCHES];
		int back_ok = sc_arch_plan(c, cand[i], tramp_form,
					   wait_env || into, back) >= 0;
		int n = back_ok ? sc_arch_plan(c, live, to,
					       wait_env || into || from, bp) :
				  -1;
		if (n < 0 && back_ok && !bkpt)
			n = via_trampoline(c, live, tramp_form, to, bp);
		if (n < 0) {
			*why = REASON_STRADDLE;
			continue;
		}
		memcpy(bytes, cand[i], c->len);
		*inline_form = cform[i];
		return n;
	}
	return -1;
}

const char *sc_site_indirect_reason(const struct sc_site *s, void *target)
{
	uint8_t b[SC_MAX_INSN], form;
	struct sc_byte_patch bp[SC_MAX_BYTE_PATCHES];
	const char *why;
	if (plan_site(s, s->code.bytes, 0, target, 0, b, &form, bp, &why) < 0 &&
	    !why)
		why = "site cannot be written safely";
	return why;
}

/* The live bytes of a piece of code, as the runtime may change them:
 * 0 when exactly what it last saw or wrote, 1 with a debugger's
 * breakpoint over the first byte, -1 when changed behind its back. */
static int live_state(const struct sc_code *c, uint8_t *live)
{
	memcpy(live, c->insn, c->len);
	if (!memcmp(live, c->bytes, c->len))
		return 0;
	return c->kind != SC_INSN_SLOT && sc_arch_breakpoint_at(c, live) ? 1 :
									   -1;
}

/* A piece of code that cannot follow the key. Exact mode: the update is
 * refused. Otherwise the key already holds the new value: every site left
 * behind is reported (sc_report_stale: loudly, or an abort). */
static void left_behind(struct sc_key *key, const struct sc_code *c,
			const struct sc_tramp *t, const char *why, int flags)
{
	if (flags & SC_PATCH_EXACT) {
		sc_log(SC_LOG_ERROR, "code at %p: %s: update of key %p refused",
		       (void *)c->insn, why, (void *)key->var);
		return;
	}
	for (size_t i = 0; i < key->nsites; i++)
		if (t ? key->sites[i]->tramp == t : &key->sites[i]->code == c)
			sc_report_stale(key->sites[i], why);
}

/* A piece that cannot follow its key, reported once the batch is done
 * (a batch planned again after a failed write reports only once). */
struct left {
	struct sc_key *key;
	const struct sc_code *code;
	const struct sc_tramp *tramp; /* a slot: every site through it */
	const char *why;
};

/* Where a batch's plan goes: the changes and their word patches. */
struct plan {
	struct change *ch;
	size_t nc;
	struct word_patch *wp;
	size_t nwp, cap_wp;
	struct left *left;
	size_t nleft, cap_left;
	int blocked; /* a piece could not be planned */
	int nomem;
};

/* A piece left behind: an exact batch (an update) is refused at once;
 * otherwise it is reported after the batch (report_left). */
static void leave(struct plan *p, struct sc_key *key, const struct sc_code *c,
		  const struct sc_tramp *t, const char *why, int flags)
{
	p->blocked = 1;
	if (flags & SC_PATCH_BIND)
		return; /* nothing written, the sites stay unbound */
	if (!(flags & SC_PATCH_EXACT) && p->nleft == p->cap_left) {
		size_t cap = 2 * p->cap_left + 16;
		struct left *l = sc_mem_realloc(p->left, cap * sizeof *l);
		if (l) {
			p->left = l;
			p->cap_left = cap;
		}
	}
	if ((flags & SC_PATCH_EXACT) || p->nleft == p->cap_left)
		left_behind(key, c, t, why, flags); /* now: no room to defer */
	else
		p->left[p->nleft++] = (struct left){ key, c, t, why };
}

static void report_left(const struct plan *p, int flags)
{
	for (size_t i = 0; i < p->nleft; i++)
		left_behind(p->left[i].key, p->left[i].code, p->left[i].tramp,
			    p->left[i].why, flags);
}

/* Room for one more piece's patches (a piece changes a few bytes,
 * at most SC_MAX_BYTE_PATCHES: the buffer starts small and grows). */
static int room(struct plan *p)
{
	if (p->nwp + SC_MAX_BYTE_PATCHES <= p->cap_wp)
		return 1;
	size_t cap = 2 * p->cap_wp + SC_MAX_BYTE_PATCHES;
	struct word_patch *wp = sc_mem_realloc(p->wp, cap * sizeof *wp);
	if (!wp) {
		p->nomem = 1;
		return 0;
	}
	p->wp = wp;
	p->cap_wp = cap;
	return 1;
}

/* Append a piece's byte writes (in the order sc_arch_plan gives them) as
 * word patches: one per (word, phase) of the piece. */
static void add_patches(struct plan *p, const struct sc_byte_patch *bp, int n)
{
	size_t first = p->nwp;
	for (int i = 0; i < n; i++) {
		uint64_t *word =
			(uint64_t *)((uintptr_t)bp[i].addr & ~(uintptr_t)7);
		unsigned at = (unsigned)((uintptr_t)bp[i].addr & 7);
		struct word_patch *q = NULL;
		for (size_t j = first; j < p->nwp && !q; j++)
			if (p->wp[j].word == word &&
			    p->wp[j].phase == bp[i].phase)
				q = &p->wp[j];
		if (!q) {
			q = &p->wp[p->nwp++];
			*q = (struct word_patch){ word, 0, 0, bp[i].phase,
						  (uint8_t)bp[i].prot };
		}
		uint8_t v[8];
		memcpy(v, &q->value, 8);
		v[at] = bp[i].value;
		memcpy(&q->value, v, 8);
		q->mask |= (uint8_t)(1u << at);
	}
}

static void plan_tramp(struct plan *p, struct sc_tramp *t, void *target,
		       int flags)
{
	uint8_t live[SC_MAX_INSN];
	const char *why;
	if (t->code.state != SC_CODE_OK || !inside_object(t->object, &t->code))
		return;
	/* A slot jumping into itself would never leave (`b .`): such a
	 * target takes the slow path, on every ISA. */
	const uint8_t *d = target;
	int self = d >= t->code.insn && d < t->code.insn + SC_TRAMP_SLOT;
	int slow = self || (flags & SC_PATCH_SLOW);
	uint64_t v =
		sc_arch_encode_slot(t->code.insn, slow ? NULL : target, &why);
	/* Sites not bound yet reach the binder through the slot (bind.c);
	 * it ends in the slow path, so they follow the key meanwhile. */
	if (t->unbound && !(flags & SC_PATCH_SLOW) && sc_arch_bind_slot(v))
		v = sc_arch_bind_slot(v);
	if (!memcmp(&v, t->code.bytes, 8) || !room(p))
		return;
	struct sc_byte_patch bp[SC_MAX_BYTE_PATCHES];
	int n = live_state(&t->code, live) ?
			-1 :
			sc_arch_plan(&t->code, live, (const uint8_t *)&v, 0,
				     bp);
	if (n < 0) {
		leave(p, t->key, &t->code, t,
		      "its trampoline's slot was "
		      "changed behind the runtime's back",
		      flags);
		return;
	}
	p->ch[p->nc].code = &t->code;
	p->ch[p->nc].inline_form = 0;
	memcpy(p->ch[p->nc++].bytes, &v, 8);
	add_patches(p, bp, n);
}

static void plan_one_site(struct plan *p, struct sc_site *s, void *target,
			  int flags)
{
	uint8_t live[SC_MAX_INSN];
	const char *why;
	/* an unbound site is as compiled, on its trampoline, in every mode */
	if (s->bind != SC_SITE_BOUND)
		return;
	if (!sc_site_recheck(s) || !inside_object(s->object, &s->code) ||
	    !room(p))
		return;
	struct sc_byte_patch bp[SC_MAX_BYTE_PATCHES];
	int st = live_state(&s->code, live);
	int n = -1;
	if (st >= 0)
		n = plan_site(s, live, st, target, flags & SC_PATCH_SLOW,
			      p->ch[p->nc].bytes, &p->ch[p->nc].inline_form, bp,
			      &why);
	else
		why = "site changed behind the runtime's back (another patcher?)";
	if (n < 0) {
		leave(p, s->tramp->key, &s->code, NULL, why, flags);
		return;
	}
	add_patches(p, bp, n);
	if (memcmp(p->ch[p->nc].bytes, s->code.bytes, s->code.len) ||
	    p->ch[p->nc].inline_form != s->code.inline_form)
		p->ch[p->nc++].code = &s->code;
}

/* What one batch brings to their targets: some keys' pieces in every
 * object (updates, stores, seal), or one new object's pieces, each to its
 * key's value (registration). */
struct batch {
	struct sc_key *const *keys;
	void *const *targets; /* NULL: sealing, targets unused */
	size_t nkeys;
	struct sc_object *object;
	struct sc_tramp **tramps; /* the object's, by address */
	size_t ntramps;
	struct sc_site *const *sites; /* the binder's (SC_PATCH_BIND) */
	size_t nsites;
};

static void *key_value(const struct sc_key *k)
{
	return __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
}

/*
 * Plan every piece of the batch. A new object's pieces are planned in
 * address order (its sites are sorted, its trampolines merged in), so the
 * byte writes come out in the order compose needs and need no sort: for
 * 100,000 sites that sort was most of a registration.
 */
static void plan_batch(const struct batch *b, int flags, struct plan *p)
{
	p->nc = p->nwp = p->nleft = 0;
	p->blocked = p->nomem = 0;
	if (b->sites || (flags & SC_PATCH_BIND)) {
		for (size_t i = 0; i < b->ntramps; i++)
			plan_tramp(p, b->tramps[i],
				   key_value(b->tramps[i]->key), flags);
		for (size_t i = 0; i < b->nsites; i++)
			plan_one_site(p, b->sites[i],
				      key_value(b->sites[i]->tramp->key),
				      flags);
		return;
	}
	if (!b->object) {
		for (size_t k = 0; k < b->nkeys; k++) {
			struct sc_key *key = b->keys[k];
			void *target = b->targets ? b->targets[k] : NULL;
			for (size_t i = 0; i < key->ntramps; i++)
				plan_tramp(p, key->tramps[i], target, flags);
			for (size_t i = 0; i < key->nsites; i++)
				plan_one_site(p, key->sites[i], target, flags);
		}
		return;
	}
	const struct sc_object *o = b->object;
	/* a deferred object's sites are all unbound (object.c) */
	size_t t = 0, i = 0, ns = o->deferred ? 0 : o->nsites;
	while (t < b->ntramps || i < ns) {
		if (i == ns ||
		    (t < b->ntramps &&
		     b->tramps[t]->code.insn < o->sites[i].code.insn)) {
			struct sc_tramp *tr = b->tramps[t++];
			plan_tramp(p, tr, key_value(tr->key), flags);
		} else {
			struct sc_site *s = &o->sites[i++];
			if (s->tramp->key)
				plan_one_site(p, s, key_value(s->tramp->key),
					      flags);
		}
	}
}

/* Sites (not slots) whose bytes the last batch changed: for the log. */
static size_t last_sites_changed;

size_t sc_patch_sites_changed(void)
{
	return last_sites_changed;
}

/* A batch that failed because code changed between planning and writing
 * (a breakpoint inserted meanwhile) is planned again this many times. */
#define REPLANS 3

/*
 * One batch: every piece planned and checked before any is written, one
 * set of page runs, one sync (docs/PATCHING.md). cap bounds its pieces.
 */
static int run_batch(const struct batch *b, size_t cap, int flags)
{
	if ((sc_sealed() & STATIC_CALL_SEAL_UPDATES) &&
	    !(flags & SC_PATCH_SLOW))
		return -EPERM;
	last_sites_changed = 0;
	sc_single_threaded_forget(); /* asked again by each batch */
	if (sc_patching_off_reason() || cap == 0)
		return 0;
	size_t nw = 0;
	/* The binder's batch never allocates: these hold its worst case
	 * (each piece sets at most SC_MAX_BYTE_PATCHES bytes); the lock it
	 * holds guards them. */
	static struct change bind_ch[SC_BIND_MAX + SC_BIND_TRAMPS];
	static struct word_patch bind_wp[(SC_BIND_MAX + SC_BIND_TRAMPS + 1) *
					 SC_MAX_BYTE_PATCHES];
	static struct sc_write bind_w[(SC_BIND_MAX + SC_BIND_TRAMPS + 1) *
				      SC_MAX_BYTE_PATCHES];
	int no_alloc = !!(flags & SC_PATCH_BIND);
	if (no_alloc && cap > SC_BIND_MAX + SC_BIND_TRAMPS)
		return -E2BIG;
	/* A change usually sets bytes of one word: room for that, grown if
	 * needed (room()). */
	struct plan p = { no_alloc ? bind_ch : sc_mem_alloc(cap * sizeof *p.ch),
			  0,
			  no_alloc ? bind_wp :
				     sc_mem_alloc((cap + SC_MAX_BYTE_PATCHES) *
						  sizeof *p.wp),
			  0,
			  no_alloc ? sizeof bind_wp / sizeof *bind_wp :
				     cap + SC_MAX_BYTE_PATCHES,
			  NULL,
			  0,
			  0,
			  0,
			  0 };
	struct sc_write *w = NULL;
	int err = 0;
	if (!p.ch || !p.wp) {
		err = -ENOMEM;
		goto out;
	}

	for (int attempt = 0; attempt < REPLANS; attempt++) {
		/* Plan and check every piece before writing any. */
		plan_batch(b, flags, &p);
		if (p.nomem) {
			err = -ENOMEM;
			goto out;
		}
		if (p.blocked && (flags & (SC_PATCH_EXACT | SC_PATCH_BIND))) {
			err = -EBUSY;
			goto out;
		}
		sort_patches(p.wp, p.nwp, no_alloc);
		if (no_alloc) {
			w = bind_w;
		} else {
			sc_mem_free(w);
			w = sc_mem_alloc((count_writes(p.wp, p.nwp) + 1) *
					 sizeof *w);
		}
		if (!w) {
			err = -ENOMEM;
			goto out;
		}
		nw = compose(p.wp, p.nwp, w);
		err = no_alloc ? sc_text_apply_noalloc(w, nw) :
				 sc_text_apply(w, nw);
		if (err != -EBUSY || (flags & (SC_PATCH_EXACT | SC_PATCH_BIND)))
			break;
	}
	if (!err) {
		for (size_t i = 0; i < p.nc; i++) {
			memcpy(p.ch[i].code->bytes, p.ch[i].bytes,
			       p.ch[i].code->len);
			p.ch[i].code->inline_form = p.ch[i].inline_form;
			last_sites_changed += p.ch[i].code->kind !=
					      SC_INSN_SLOT;
		}
		if (p.nc)
			ever_patched = 1;
	} else if (no_alloc) {
		/* the binder says nothing (no stdio where it may run): the
		 * sites stay on their trampolines, which follow the key */
	} else if (err == -EBUSY) {
		if (b->object)
			sc_log(SC_LOG_ERROR,
			       "code changed while it was being "
			       "patched: registration of %s rolled back",
			       b->object->name);
		else
			sc_log(SC_LOG_ERROR,
			       "code changed while it was being "
			       "patched: update of %zu key(s) rolled back",
			       b->nkeys);
	} else if ((err == -EACCES || err == -EPERM) && !ever_patched) {
		sc_patching_turn_off("text pages cannot be made writable "
				     "(W^X policy?)");
		err = 0;
	} else {
		sc_log(SC_LOG_ERROR, "patching failed: error %d", -err);
	}
out:
	if (no_alloc)
		return err;
	report_left(&p, flags);
	sc_mem_free(p.ch);
	sc_mem_free(p.wp);
	sc_mem_free(p.left);
	sc_mem_free(w);
	return err;
}

int sc_patch_keys(struct sc_key *const *keys, void *const *targets, size_t n,
		  int flags)
{
	size_t cap = 0;
	for (size_t k = 0; k < n; k++)
		cap += keys[k]->nsites + keys[k]->ntramps;
	struct batch b = { keys, targets, n, NULL, NULL, 0, NULL, 0 };
	return run_batch(&b, cap, flags);
}

static int tramp_has_key(const struct sc_tramp *t)
{
	return t->key != NULL;
}

int sc_patch_object(struct sc_object *o)
{
	struct batch b = { NULL, NULL, 0, o, NULL, 0, NULL, 0 };
	b.tramps = sc_object_tramps_by_address(o, tramp_has_key, &b.ntramps);
	if (!b.tramps)
		return -ENOMEM;
	/* Only bound sites are planned: with lazy binding most are not, and
	 * plan arrays sized for all of them cost more than the registration
	 * itself (megabytes of populated pages for 100,000 sites). */
	size_t bound = 0;
	for (size_t i = 0; i < o->nsites && !o->deferred; i++)
		bound += o->sites[i].bind == SC_SITE_BOUND;
	int err = run_batch(&b, bound + b.ntramps, 0);
	sc_mem_free(b.tramps);
	return err;
}

int sc_patch_bind(struct sc_site *const *sites, size_t n,
		  struct sc_tramp *const *tramps, size_t nt)
{
	struct batch b = { NULL, NULL,	0, NULL, (struct sc_tramp **)tramps,
			   nt,	 sites, n };
	return run_batch(&b, n + nt, SC_PATCH_BIND);
}

int sc_patch_key(struct sc_key *key, void *target, int flags)
{
	return sc_patch_keys(&key, &target, 1, flags);
}

/* static_call_seal(STATIC_CALL_SEAL_CODE): every site onto its trampoline,
 * every slot onto its slow path that reads the key, in one batch. */
int sc_patch_seal_code(struct sc_key *const *keys, size_t nkeys)
{
	return sc_patch_keys(keys, NULL, nkeys, SC_PATCH_EXACT | SC_PATCH_SLOW);
}
