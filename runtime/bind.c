/*
 * bind.c - lazy binding: a call site is patched when it runs, not when
 * its object is loaded (issue 17; docs/PATCHING.md, "Lazy binding").
 *
 * At registration the call sites of a key whose trampoline carries a
 * verified bind block stay as compiled (a call of the trampoline) and the
 * trampoline's slot takes its bind form: a jump to the bind block, which
 * calls __staticcall_bind (bind_<arch>.S) with the key's descriptor and
 * the site's return address, then continues to the slow path that reads
 * the key. So a site that has never run reaches the key's current value,
 * as any site on its trampoline does, and only its first calls pay.
 *
 * The binder, sc_own_bind, never waits and never allocates: a hook may be
 * called from inside malloc, under any lock of the program, from a signal
 * handler. It tries the registry lock; if that is taken it returns (the
 * call goes on through the slow path; a later call binds) without a
 * system call (sc_trylock changes the signal mask only to take the
 * lock). It accepts only the exact end of a registered call site of this
 * very trampoline; that first call binds the site and every unbound site
 * on the same text page(s), of any key, in one batch (sc_patch_bind: one
 * page run, at most SC_BIND_MAX sites: the bound on what one call pays).
 * The page turns private at its first write anyway, so its other sites
 * cost no memory, and a program pays one batch per page it runs, not per
 * site. When a trampoline has no unbound site left its slot takes its
 * normal form (slow path or `jmp target`).
 *
 * Tail and jcc sites (no return address) are bound at registration. A
 * call reaching the binder that is not an unbound call site of the
 * trampoline (a bound site left on its trampoline: out of range, NULL, a
 * Clang site straddling a word whose change is not one word write; a
 * tail call through it; anything else: counted) binds the page of the
 * trampoline's first unbound site, so after a bounded number of such
 * calls its slot is normal and no site pays the binder for ever. Straddling
 * call sites stay lazy: most Clang sites straddle, and most of them do go
 * direct when bound.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* Under the lock: the batch one binder call builds (static: the binder
 * may run on a signal handler's small stack). */
static struct sc_site *batch_sites[SC_BIND_MAX];
static struct sc_tramp *batch_tramps[SC_BIND_TRAMPS];
static size_t nbatch_sites, nbatch_tramps;
static int lazy_stopped; /* a batch could not write code: bind no more */
static unsigned long n_calls, n_bound, n_batches, n_failed, n_mismatch;
/* Outside it. */
static unsigned long n_busy;

int sc_bind_lazy(void)
{
	const struct sc_env *e = sc_env();
	return !e->bind_eager && !e->sites_trampoline && !lazy_stopped &&
	       !sc_sealed() && !sc_patching_off_reason() &&
	       sc_arch_bind_slot(0);
}

void sc_bind_object_loaded(struct sc_object *o)
{
	if (!sc_bind_lazy())
		return;
	sc_arch_bind_init();
	if (o->deferred) /* every site unbound, counted (object.c) */
		return;
	for (size_t i = 0; i < o->nsites; i++) {
		struct sc_site *s = &o->sites[i];
		struct sc_tramp *t = s->tramp;
		if (!t->key || !t->bindable || t->code.state != SC_CODE_OK ||
		    s->code.state != SC_CODE_OK || s->code.kind != SC_INSN_CALL)
			continue;
		s->bind = SC_SITE_UNBOUND;
		t->unbound++;
	}
}

/* Mark s bound; 1 if that left its trampoline no unbound site. */
static int mark_bound(struct sc_site *s)
{
	if (s->bind == SC_SITE_BOUND)
		return 0;
	s->bind = SC_SITE_BOUND;
	return !--s->tramp->unbound;
}

void sc_bind_key_all(struct sc_key *k)
{
	for (size_t i = 0; i < k->nsites; i++)
		mark_bound(k->sites[i]);
}

/* An unbound site into the batch; its trampoline's slot too when no
 * unbound site is left it (at most SC_BIND_TRAMPS: a slot left in bind
 * form sends its next call to bind_rest, which puts it back). */
static void take(struct sc_site *s)
{
	if (mark_bound(s) && nbatch_tramps < SC_BIND_TRAMPS)
		batch_tramps[nbatch_tramps++] = s->tramp;
	batch_sites[nbatch_sites++] = s;
}

/* Patch the batch (its sites and the slots of trampolines it finished)
 * in one batch of the writer: one set of page runs, one core sync. */
static void flush(void)
{
	size_t n = nbatch_sites, nt = nbatch_tramps;
	nbatch_sites = nbatch_tramps = 0;
	if (!n && !nt)
		return;
	n_batches++;
	int err = sc_patch_bind(batch_sites, n, batch_tramps, nt);
	if (!err) {
		n_bound += n;
		return;
	}
	n_failed++;
	/* Nothing was written: the sites stay on their trampolines, which
	 * follow the key; later updates re-plan them like any site and
	 * report what they cannot write. The slots alone, so that none keeps
	 * sending calls here. Code that cannot be written at all (a W^X
	 * policy): stop binding. */
	if (err == -EACCES || err == -EPERM ||
	    sc_patch_bind(NULL, 0, batch_tramps, nt))
		lazy_stopped = 1;
}

/* The first unbound site of t from index *from of its object, or NULL. */
/* t's first site not bound yet, or NULL: from its key's site list (the
 * key's sites, not every site of t's object). */
static struct sc_site *next_unbound(const struct sc_tramp *t)
{
	const struct sc_key *k = t->key;
	struct sc_object *o = t->object;
	/* a deferred object's sites are not in their key's list yet */
	for (size_t i = 0; t->unbound && o->deferred && i < o->nsites; i++) {
		struct sc_site *s = sc_object_site(o, i);
		if (s->tramp == t && s->bind != SC_SITE_BOUND)
			return s;
	}
	if (o->deferred)
		return NULL;
	for (size_t i = 0; t->unbound && i < k->nsites; i++)
		if (k->sites[i]->tramp == t &&
		    k->sites[i]->bind != SC_SITE_BOUND)
			return k->sites[i];
	return NULL;
}

/* The index of o's first site at or after address a. */
static size_t first_site_from(const struct sc_object *o, uintptr_t a)
{
	size_t lo = 0, hi = o->nsites;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)sc_object_site_insn(o, mid) < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * s runs for the first time: bind it and every unbound site whose bytes
 * lie on the same page(s), in one batch. The first write makes those
 * pages private (copy-on-write) anyway, so their other sites cost no
 * memory, and the batches number the pages run, not the sites. A site
 * reaching into another page waits for its own first call. At most
 * SC_BIND_MAX sites (pages larger than 4 KiB): those around s.
 */
static void bind_page(struct sc_object *o, struct sc_site *s)
{
	uintptr_t ps = sc_page_size();
	uintptr_t lo = (uintptr_t)s->code.insn & ~(ps - 1);
	uintptr_t hi = ((uintptr_t)s->code.insn + s->code.len + ps - 1) &
		       ~(ps - 1);
	size_t first = first_site_from(o, lo), end = first_site_from(o, hi);
	size_t at = (size_t)(s - o->sites);
	if (end - first > SC_BIND_MAX) {
		if (at - first > SC_BIND_MAX / 2)
			first = at - SC_BIND_MAX / 2;
		if (end - first > SC_BIND_MAX)
			end = first + SC_BIND_MAX;
	}
	for (size_t i = first; i < end; i++) {
		struct sc_site *m = sc_object_site(o, i); /* fills, verifies */
		if (m->bind == SC_SITE_UNBOUND &&
		    (uintptr_t)m->code.insn + m->code.len <= hi)
			take(m);
	}
	flush();
}

static struct sc_object *object_of_desc(const void *desc, size_t *idx)
{
	for (struct sc_object *o = sc_registered_objects(); o; o = o->next) {
		const char *b = (const char *)o->abi->descs_begin;
		const char *e = (const char *)o->abi->descs_end;
		const char *d = desc;
		if (d < b || d >= e)
			continue;
		if ((size_t)(d - b) % sizeof(struct sc_abi_desc))
			return NULL;
		*idx = (size_t)(d - b) / sizeof(struct sc_abi_desc);
		return *idx < o->ntramps ? o : NULL;
	}
	return NULL;
}

/* The site of o whose instruction ends exactly at ret (sites are sorted
 * by address and distinct), or NULL. */
static struct sc_site *site_ending_at(struct sc_object *o, const uint8_t *ret)
{
	size_t after = first_site_from(o, (uintptr_t)ret);
	if (!after)
		return NULL;
	if (sc_object_site_insn(o, after - 1) + SC_MAX_INSN < ret)
		return NULL; /* not filled for a call from elsewhere */
	struct sc_site *s = sc_object_site(o, after - 1);
	return s->code.insn + s->code.len == ret ? s : NULL;
}

/*
 * A call through t's bind block from no unbound call site of t (a bound
 * site left on its trampoline, a tail call, a wrong address): bind the
 * page of t's first unbound site (one page run, as a first call), or,
 * with none left, put its slot back. Each such call binds a page holding
 * a site of t, so after at most as many calls as t has pages of unbound
 * sites its slot is normal and no site pays the binder for ever.
 */
static void bind_rest(struct sc_tramp *t)
{
	struct sc_site *s = next_unbound(t);
	if (s)
		bind_page(t->object, s);
	else if (sc_patch_bind(NULL, 0, &t, 1)) {
		n_failed++;
		lazy_stopped = 1;
	}
}

int sc_own_bind(const void *desc, void *ret)
{
	sigset_t saved;
	if (!sc_bind_lazy())
		return 0;
	int err = sc_trylock(&saved);
	if (err) {
		__atomic_add_fetch(&n_busy, 1, __ATOMIC_RELAXED);
		return err;
	}
	size_t idx;
	struct sc_object *o = object_of_desc(desc, &idx);
	n_calls++;
	if (o && sc_bind_lazy() && o->tramps[idx].key) {
		struct sc_tramp *t = &o->tramps[idx];
		struct sc_site *s = site_ending_at(o, ret);
		if (!s || s->tramp != t || s->code.kind != SC_INSN_CALL)
			n_mismatch++;
		if (s && s->tramp == t && s->bind == SC_SITE_UNBOUND)
			bind_page(o, s);
		else
			bind_rest(t);
	}
	sc_unlock(&saved);
	return 0;
}

int sc_bind_all_locked(void)
{
	int err, unbound = 0;
	size_t n = 0;
	sc_for_each_key(k)
	{
		n++;
		for (size_t i = 0; i < k->nsites && !unbound; i++)
			unbound = k->sites[i]->bind != SC_SITE_BOUND;
	}
	if (!unbound)
		return 0;
	struct sc_key **keys = sc_mem_alloc((n + 1) * sizeof *keys);
	void **targets = sc_mem_alloc((n + 1) * sizeof *targets);
	if (!keys || !targets) {
		err = -ENOMEM;
	} else {
		n = 0;
		sc_for_each_key(k)
		{
			sc_bind_key_all(k);
			keys[n] = k;
			targets[n++] =
				__atomic_load_n(k->var, __ATOMIC_ACQUIRE);
		}
		/* one batch: one set of page runs for the whole process */
		err = sc_patch_keys(keys, targets, n, 0);
	}
	sc_mem_free(keys);
	sc_mem_free(targets);
	return err;
}

int sc_own_bind_now(const void *var)
{
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return -EDEADLK;
	int err = 0;
	struct sc_key *one = var ? sc_key_find(var) : NULL;
	if (var && !one)
		err = -ENOENT;
	else if (!one)
		err = sc_bind_all_locked();
	else {
		size_t i = 0;
		while (i < one->nsites && one->sites[i]->bind == SC_SITE_BOUND)
			i++;
		sc_bind_key_all(one);
		if (i < one->nsites)
			err = sc_patch_key(
				one,
				__atomic_load_n(one->var, __ATOMIC_ACQUIRE), 0);
	}
	sc_unlock(&saved);
	return err;
}

/* Called by __staticcall_bind with every argument register saved. */
void sc_bind_entry(const void *desc, void *ret);
void sc_bind_entry(const void *desc, void *ret)
{
	const struct sc_registry_ops *r = sc_registry_chosen();
	int saved_errno = errno;
	if (r == &__staticcall_registry_v1)
		sc_own_bind(desc, ret);
	else if (r && sc_registry_has(bind) && r->bind)
		r->bind(desc, ret);
	errno = saved_errno;
}

void sc_bind_report(void)
{
	if (!n_calls && !n_busy)
		return;
	sc_log_report("lazy binding: %lu binder calls, %lu sites bound in %lu "
		      "batches, %lu failed, %lu calls not from an unbound site "
		      "of their trampoline, %lu found the registry busy",
		      n_calls, n_bound, n_batches, n_failed, n_mismatch,
		      __atomic_load_n(&n_busy, __ATOMIC_RELAXED));
}

/* Every copy of the runtime: the __staticcall_bind a trampoline reaches
 * through its PLT may be another copy's than the serving registry's. */
__attribute__((constructor)) static void bind_init(void)
{
	sc_arch_bind_init();
}

__attribute__((destructor)) static void bind_report_at_exit(void)
{
	if (sc_env()->report_at_exit)
		sc_bind_report();
}
