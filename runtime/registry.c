/*
 * registry.c - the linked objects and their keys: registering and
 * unregistering an object, updates, and the stores plugin-built code
 * reports. Every entry point runs under the one lock (lock.c); this copy's
 * table, __staticcall_registry_v1, serves the process when process.c
 * chooses it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static struct sc_object *objects;

#define KEY_BUCKETS 1024
static struct sc_key *key_hash[KEY_BUCKETS];

static size_t key_bucket(const void *var)
{
	return sc_addr_bucket(var, KEY_BUCKETS);
}

struct sc_key *sc_key_find(const void *var)
{
	for (struct sc_key *k = key_hash[key_bucket(var)]; k; k = k->hash_next)
		if (k->var == var)
			return k;
	return NULL;
}

/* Keys in table order (NULL: the first); the order reports list them in. */
struct sc_key *sc_key_next(const struct sc_key *k)
{
	size_t b = 0;
	if (k) {
		if (k->hash_next)
			return k->hash_next;
		b = key_bucket(k->var) + 1;
	}
	for (; b < KEY_BUCKETS; b++)
		if (key_hash[b])
			return key_hash[b];
	return NULL;
}

static struct sc_key *key_get(void *var)
{
	struct sc_key *k = sc_key_find(var);
	if (k)
		return k;
	k = sc_mem_alloc((1) * (sizeof *k));
	if (!k)
		return NULL;
	k->var = var;
	size_t b = key_bucket(var);
	k->hash_next = key_hash[b];
	key_hash[b] = k;
	return k;
}

static void key_drop_if_empty(struct sc_key *k)
{
	if (k->nsites || k->ntramps)
		return;
	struct sc_key **pp = &key_hash[key_bucket(k->var)];
	while (*pp != k)
		pp = &(*pp)->hash_next;
	*pp = k->hash_next;
	sc_mem_free(k->sites);
	sc_mem_free(k->tramps);
	sc_mem_free(k);
}

static int grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	while (nc < need)
		nc *= 2;
	void *p = sc_mem_realloc(*(void **)arrp, nc * elem);
	if (!p)
		return -ENOMEM;
	*(void **)arrp = p;
	*cap = nc;
	return 0;
}

static int key_var_ok(const void *var)
{
	return var && ((uintptr_t)var & (sizeof(void *) - 1)) == 0;
}

/* "name (address)" of a key: the variable's symbol, when its object's
 * file names it. */
static void key_name_with(struct sc_namer *nm, const struct sc_key *k,
			  char *buf, size_t n)
{
	char sym[160];
	sc_namer_name(nm, k->var, sym, sizeof sym);
	if (!strncmp(sym, "0x", 2))
		snprintf(buf, n, "%p", (void *)k->var);
	else
		snprintf(buf, n, "%s (%p)", sym, (void *)k->var);
}

static void key_name(const struct sc_key *k, char *buf, size_t n)
{
	struct sc_namer nm = { 0 };
	key_name_with(&nm, k, buf, n);
	sc_namer_done(&nm);
}

/*
 * Every re-targeting, at info (docs/GUIDE.md, "Logging"): which key, to
 * what, why, how many of its sites the batch rewrote. Names cost a read of
 * the objects' symbol tables: only when the line is printed. A store that
 * rewrote nothing (the key kept its value) is a debug line.
 */
void sc_log_retarget(const struct sc_key *k, const void *target,
		     const char *cause, int err)
{
	if (!sc_log_enabled(SC_LOG_INFO)) /* the usual case: nothing */
		return;
	size_t changed = sc_patch_sites_changed();
	int level = err || (changed && !strstr(cause, "kept")) ||
				    !strncmp(cause, "update", 6) ?
			    SC_LOG_INFO :
			    SC_LOG_DEBUG;
	if (!sc_log_enabled(level))
		return;
	char kname[200], tname[160];
	struct sc_namer nm = { 0 }; /* one read of the file for both */
	key_name_with(&nm, k, kname, sizeof kname);
	sc_namer_name(&nm, target, tname, sizeof tname);
	sc_namer_done(&nm);
	if (err)
		sc_log(level,
		       "re-target %s -> %s (%s): failed (%s), %zu "
		       "sites",
		       kname, tname, cause, strerrorname_np(-err), k->nsites);
	else
		sc_log(level,
		       "re-target %s -> %s (%s): %zu of %zu sites "
		       "changed",
		       kname, tname, cause, changed, k->nsites);
}

/*
 * A store changed key k but its sites could not follow (err from
 * sc_patch_key): report, loudly, every site that does not reach the key's
 * value now; a few by name, then a count. `what` says which store.
 */
void sc_report_stale_sites(struct sc_key *k, const char *what, int err)
{
	void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
	char kname[160], why[320];
	size_t n = 0;
	key_name(k, kname, sizeof kname);
	snprintf(why, sizeof why,
		 "%s key %s could not re-target it "
		 "(%s)%s",
		 what, kname,
		 err == -EPERM && (sc_sealed() & STATIC_CALL_SEAL_UPDATES) ?
			 "updates are sealed" :
			 strerrorname_np(-err),
		 err == -EACCES || (err == -EPERM && !sc_sealed()) ?
			 ": a W^X policy? call static_call_seal() before it" :
			 "");
	for (size_t i = 0; i < k->nsites; i++) {
		struct sc_site *s = k->sites[i];
		int form;
		if (s->code.state != SC_CODE_OK || !s->code.prot ||
		    sc_site_reaches(s, &form, v) == v)
			continue;
		if (++n <= SC_STALE_SHOWN)
			sc_report_stale(s, why);
	}
	if (n > SC_STALE_SHOWN)
		sc_report_stale_more(n - SC_STALE_SHOWN, kname);
}

/* Its sites into their keys' lists, whose room attach() made (none of a
 * deferred object's yet). */
static void attach_sites(struct sc_object *o)
{
	for (size_t i = 0; i < o->nsites && !o->deferred; i++) {
		struct sc_key *k = o->sites[i].tramp->key;
		if (k)
			k->sites[k->nsites++] = &o->sites[i];
	}
}

/* Attach an object's trampolines and sites to their keys. */
static int attach(struct sc_object *o)
{
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_tramp *t = &o->tramps[i];
		void *var = o->abi->descs_begin[i].key;
		if (t->key_refused) /* reported (key_check.c) */
			continue;
		if (!key_var_ok(var)) {
			sc_log(SC_LOG_WARN,
			       "%s: key descriptor %zu has a bad key "
			       "address %p: its sites stay as compiled",
			       o->name, i, var);
			t->code.state = SC_CODE_UNVERIFIED;
			t->code.reason =
				"key descriptor names no valid variable";
			continue;
		}
		struct sc_key *k = key_get(var);
		if (!k || grow(&k->tramps, &k->cap_tramps, k->ntramps + 1,
			       sizeof *k->tramps))
			return -ENOMEM;
		t->key = k;
		k->tramps[k->ntramps++] = t;
		uintptr_t a = (uintptr_t)var;
		if (!o->keys_hi || a < o->keys_lo)
			o->keys_lo = a;
		if (a + sizeof(void *) > o->keys_hi)
			o->keys_hi = a + sizeof(void *);
	}
	/* each key's array grown once, to its exact new size (a deferred
	 * object's sites too, counted per trampoline: attaching them later
	 * never allocates, so it cannot fail) */
	if (o->deferred) {
		for (size_t i = 0; i < o->ntramps; i++) {
			struct sc_tramp *t = &o->tramps[i];
			if (!t->key)
				continue;
			t->deferred = t->unbound;
			t->key->reserved += t->deferred;
		}
	} else {
		for (size_t i = 0; i < o->nsites; i++)
			if (o->sites[i].tramp->key)
				o->sites[i].tramp->key->incoming++;
	}
	int err = 0; /* every count is cleared, also after a failure */
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		if (k) {
			/* room for other deferred objects' sites too */
			size_t need = k->nsites + k->reserved + k->incoming;
			k->incoming = 0;
			if (!err && need > k->cap_sites) {
				struct sc_site **a = sc_mem_realloc(
					k->sites, need * sizeof *a);
				if (!a) {
					err = -ENOMEM;
					continue;
				}
				k->sites = a;
				k->cap_sites = need;
			}
		}
	}
	if (err)
		return err;
	attach_sites(o);
	return 0;
}

/*
 * A deferred object (object.c): every record filled and verified now,
 * its sites attached to their keys (room reserved by attach), so that
 * what follows (an update, a report, a seal) sees every site.
 */
static void release_room(struct sc_object *o)
{
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_tramp *t = &o->tramps[i];
		if (t->key)
			t->key->reserved -= t->deferred;
		t->deferred = 0;
	}
}

static void undefer(struct sc_object *o)
{
	if (!o->deferred)
		return;
	sc_object_fill_all(o);
	o->deferred = 0;
	release_room(o); /* ... and filled at once */
	attach_sites(o);
}

int sc_lock_sites(sigset_t *saved)
{
	int err = sc_lock(saved);
	if (!err)
		for (struct sc_object *o = objects; o; o = o->next)
			undefer(o);
	return err;
}

static void detach(struct sc_object *o)
{
	release_room(o); /* a deferred object's, never attached */
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		if (!k)
			continue;
		size_t n = 0;
		for (size_t j = 0; j < k->nsites; j++)
			if (k->sites[j]->object != o)
				k->sites[n++] = k->sites[j];
		k->nsites = n;
		n = 0;
		for (size_t j = 0; j < k->ntramps; j++)
			if (k->tramps[j]->object != o)
				k->tramps[n++] = k->tramps[j];
		k->ntramps = n;
	}
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		if (!k)
			continue;
		/* clear the other references first: drop frees k */
		for (size_t j = i + 1; j < o->ntramps; j++)
			if (o->tramps[j].key == k)
				o->tramps[j].key = NULL;
		key_drop_if_empty(k);
	}
}

struct sc_object *sc_registered_objects(void)
{
	return objects;
}

struct sc_object *sc_registered_object(const struct sc_abi_object *abi)
{
	for (struct sc_object *o = objects; o; o = o->next)
		if (o->abi == abi)
			return o;
	return NULL;
}

/*
 * Bring a new object's sites and trampolines to their keys' values, all in
 * one batch: one set of page runs and one core sync for the whole object,
 * whatever its number of keys; work in proportion to the object, not to
 * the keys' sites elsewhere. Pieces that cannot be written are reported
 * one by one inside; an error here means nothing was written.
 */
static void patch_object_keys(struct sc_object *o)
{
	int err = sc_patch_object(o);
	if (!err)
		return;
	if (err == -ENOMEM) {
		sc_log(SC_LOG_ERROR,
		       "%s: out of memory: its sites stay on their "
		       "trampolines",
		       o->name);
		return;
	}
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		size_t j = 0;
		while (j < i && o->tramps[j].key != k) /* once per key */
			j++;
		if (k && j == i)
			sc_report_stale_sites(k, "registering an object using",
					      err);
	}
}

/* Every trampoline with deferred sites still has its key (attach may
 * refuse one) and lazy binding is on. */
static int deferred_still_lazy(const struct sc_object *o)
{
	for (size_t i = 0; i < o->ntramps; i++)
		if (o->tramps[i].unbound &&
		    (!o->tramps[i].key ||
		     o->tramps[i].code.state != SC_CODE_OK))
			return 0;
	return sc_bind_lazy();
}

static int own_register(const struct sc_abi_object *abi)
{
	sigset_t saved;
	int err = sc_lock(&saved);
	if (err) {
		sc_log(SC_LOG_ERROR,
		       "registration of table %p from inside the "
		       "runtime (a signal handler?): refused",
		       (const void *)abi);
		return err;
	}
	if (sc_registered_object(abi))
		goto out;
	struct sc_object *o = sc_object_load(abi);
	if (!o) {
		err = -EINVAL;
		goto out;
	}
	if ((err = attach(o))) {
		detach(o);
		sc_object_free(o);
		goto out;
	}
	o->next = objects;
	objects = o;
	/* published before the keys are read (key_ranges.c) */
	o->range_slot = o->keys_hi ? sc_ranges_add(o->keys_lo, o->keys_hi) : -1;
	if (o->deferred && !deferred_still_lazy(o)) {
		/* a key refused by attach: registered the usual way */
		undefer(o);
		for (size_t i = 0; i < o->nsites; i++)
			o->sites[i].bind = SC_SITE_BOUND;
		for (size_t i = 0; i < o->ntramps; i++)
			o->tramps[i].unbound = 0;
	}
	sc_bind_object_loaded(o);
	sc_frags_register(o); /* before its keys' sites are patched */
	patch_object_keys(o);
	sc_log(SC_LOG_INFO,
	       "registered %s: %zu sites%s, %zu keys; re-target "
	       "(registration): %zu sites changed",
	       o->name, o->nsites,
	       o->deferred ? " (deferred: each checked when it binds)" : "",
	       o->ntramps, sc_patch_sites_changed());
out:
	sc_unlock(&saved);
	return err;
}

static int own_unregister(const struct sc_abi_object *abi)
{
	if (sc_lock_held_by_me())
		return -EDEADLK;
	sc_verify_at_exit();
	sigset_t saved;
	/* the plain lock: an object going away need not fill its deferred
	 * records (detach never meets them in the keys' lists), unless
	 * STATICCALL_REPORT lists them */
	if (sc_lock(&saved))
		return -EDEADLK;
	struct sc_object **pp = &objects;
	while (*pp && (*pp)->abi != abi)
		pp = &(*pp)->next;
	struct sc_object *o = *pp;
	if (o) {
		if (sc_env()->report_at_exit)
			undefer(o);
		*pp = o->next;
		sc_report_at_exit(o);
		sc_ranges_remove(o->range_slot);
		detach(o);
		sc_frags_unregister(o);
		sc_log(SC_LOG_INFO, "unregistered %s", o->name);
		sc_object_free(o);
	}
	sc_unlock(&saved);
	return o ? 0 : -ENOENT;
}

static int own_update(void *var, void *target)
{
	if (!key_var_ok(var))
		return -EINVAL;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES) {
		sc_log(SC_LOG_INFO,
		       "update %p -> %p refused: updates are "
		       "sealed",
		       var, target);
		return -EPERM;
	}
	sigset_t saved;
	if (sc_lock_sites(&saved)) {
		sc_log(SC_LOG_ERROR,
		       "update of key %p from inside the runtime "
		       "(a signal handler?): refused, nothing changed",
		       var);
		return -EDEADLK;
	}
	int err = sc_update_locked(var, target,
				   !target ? "update_null" :
				   target == (void *)__staticcall_ret0 ?
					     "update_ret0" :
					     "update");
	sc_unlock(&saved);
	return err;
}

/* Does a site of k hold a multi-instruction inline form (inline.c)? Such
 * a site changes only while the process is single-threaded. */
static int holds_multi_insn(const struct sc_key *k)
{
	for (size_t i = 0; i < k->nsites; i++)
		if (k->sites[i]->code.inline_form & SC_INLINE_MULTI)
			return 1;
	return 0;
}

int sc_update_locked(void *var, void *target, const char *cause)
{
	void *now = __atomic_load_n((void **)var, __ATOMIC_ACQUIRE);
	struct sc_key *k = sc_key_find(var);
	if (k && now != target && holds_multi_insn(k)) {
		sc_single_threaded_forget();
		if (!sc_single_threaded()) {
			char kname[200];
			key_name(k, kname, sizeof kname);
			sc_log(SC_LOG_ERROR,
			       "update of key %s: a site holds a "
			       "multi-instruction fragment, which may be "
			       "replaced only while the process is "
			       "single-threaded: refused (-EAGAIN), nothing "
			       "changed",
			       kname);
			return -EAGAIN;
		}
	}
	int err = k ? sc_patch_key(k, target, SC_PATCH_EXACT) : 0;
	if (!err)
		__atomic_store_n((void **)var, target, __ATOMIC_RELEASE);
	if (k)
		sc_log_retarget(k, target, cause, err);
	else
		sc_log(SC_LOG_INFO, "%s %p -> %p: no registered site", cause,
		       var, target);
	return err;
}

/* update_const / update_ret_arg: the generated function (inline.c), made
 * under the lock, then the update to it. */
static int own_update_inline(void *var, int ret_arg, uint64_t v, int size)
{
	if (!key_var_ok(var))
		return -EINVAL;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return -EPERM;
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return -EDEADLK;
	int err = 0;
	/* near the key's first site: its object's sites call it directly */
	struct sc_key *k = sc_key_find(var);
	const void *near = k && k->nsites ? k->sites[0]->code.insn : NULL;
	void *fn = ret_arg ? sc_inline_ret_arg_fn((int)v, near, &err) :
			     sc_inline_const_fn(v, size, near, &err);
	if (fn)
		err = sc_update_locked(
			var, fn, ret_arg ? "update_ret_arg" : "update_const");
	else
		sc_log(SC_LOG_ERROR, "%s of key %p: no function for it (%s)",
		       ret_arg ? "update_ret_arg" : "update_const", var,
		       err == -ENOSPC ? "too many generated functions" :
		       err == -EINVAL ? "no such argument or size" :
					"no executable memory");
	sc_unlock(&saved);
	return err;
}

static int own_update_const(void *var, unsigned long long v, int size)
{
	return own_update_inline(var, 0, v, size);
}

static int own_update_ret_arg(void *var, int n)
{
	return own_update_inline(var, 1, (uint64_t)n, 0);
}

static int own_update_ret0(void *var)
{
	return own_update(var, (void *)__staticcall_ret0);
}

/* A plain assignment `key = value` compiled by a plugin: C semantics say
 * the value is stored whatever happens, so store first, then re-target. */
static int own_store(void *var, void *value)
{
	sigset_t saved;
	if (sc_lock_sites(&saved)) {
		__atomic_store_n((void **)var, value, __ATOMIC_RELEASE);
		sc_report_stale_key(var,
				    "assigned from inside the runtime (a "
				    "signal handler?): sites not re-targeted "
				    "(static_call_resync() re-patches them)");
		return -EDEADLK;
	}
	__atomic_store_n((void **)var, value, __ATOMIC_RELEASE);
	struct sc_key *k = sc_key_find(var);
	int err = k ? sc_patch_key(k, value, 0) : 0;
	if (k)
		sc_log_retarget(k, value, "store", err);
	if (err)
		sc_report_stale_sites(k, "an assignment to", err);
	sc_unlock(&saved);
	return err;
}

/* The registered keys inside [lo, hi), each once (allocated; NULL with
 * *n == 0 when none or out of memory). Under the lock. */
static struct sc_key **keys_in_range(uintptr_t lo, uintptr_t hi, size_t *n)
{
	static unsigned long gen;
	struct sc_key **keys = NULL;
	size_t cap = 0;
	*n = 0;
	gen++;
	for (struct sc_object *o = objects; o; o = o->next) {
		if (o->keys_hi <= lo || o->keys_lo >= hi)
			continue;
		for (size_t i = 0; i < o->ntramps; i++) {
			struct sc_key *k = o->tramps[i].key;
			uintptr_t a = k ? (uintptr_t)k->var : 0;
			if (!k || a < lo || a >= hi || k->store_gen == gen)
				continue;
			k->store_gen = gen;
			if (grow(&keys, &cap, *n + 1, sizeof *keys)) {
				sc_log(SC_LOG_ERROR,
				       "out of memory: a store into "
				       "keys not followed");
				break;
			}
			keys[(*n)++] = k;
		}
	}
	return keys;
}

/* A routed store into [addr, addr+len) may hold keys: take the lock (0),
 * or say why not (after the store, its sites are then reported). */
static int range_lock(void *addr, size_t len, int after, uintptr_t *hi,
		      sigset_t *saved)
{
	uintptr_t lo = (uintptr_t)addr;
	*hi = lo + len < lo ? UINTPTR_MAX : lo + len;
	if (!len || !sc_ranges_may_hold(lo, len))
		return -ENOENT;
	if (sc_lock_sites(saved)) {
		if (!after)
			return -EDEADLK;
		sc_report_stale_key(addr,
				    "store into memory that may hold keys, "
				    "from inside the runtime (a signal "
				    "handler?): sites not re-targeted "
				    "(static_call_resync() re-patches them)");
		return -EDEADLK;
	}
	return 0;
}

/*
 * Before a store into [addr, addr+len) the plugin could not pin to one
 * key (a copy from src, when the plugin knows it): the sites of every key
 * inside whose value the store may change go to their trampolines' slow
 * path, which loads the key on each call. A struct holding a key and its data
 * (`g = *src`: a function and its ctx) then never pairs the old function
 * with the new ctx while the store's own batch runs: calls read both from
 * memory, as plain C does (docs/PATCHING.md, "A key and its data in one
 * struct"). All or nothing: when the code cannot be written, the window
 * stays for this store, and the store's re-targeting reports the rest.
 */
static void own_store_range_begin(void *addr, const void *src, size_t len)
{
	sigset_t saved;
	uintptr_t hi;
	if (sc_sealed() || range_lock(addr, len, 0, &hi, &saved))
		return; /* sealed: the code is never written again */
	size_t n, m = 0;
	struct sc_key **keys = keys_in_range((uintptr_t)addr, hi, &n);
	/* A copy that keeps a key's value leaves its sites alone: most
	 * copies of a struct holding keys do (6 us, not two batches). */
	for (size_t i = 0; i < n; i++) {
		size_t off = (uintptr_t)keys[i]->var - (uintptr_t)addr;
		void *now = __atomic_load_n(keys[i]->var, __ATOMIC_ACQUIRE);
		void *next = NULL;
		int known = src && off + sizeof next <= len;
		if (known) /* src may be unaligned */
			memcpy(&next, (const char *)src + off, sizeof next);
		if (known && next == now)
			continue;
		keys[i]->begin_value = now;
		keys[i]->begun = 1;
		keys[m++] = keys[i];
	}
	n = m;
	if (n) {
		int err = sc_patch_keys(keys, NULL, n,
					SC_PATCH_EXACT | SC_PATCH_SLOW);
		sc_log(SC_LOG_DEBUG,
		       "store into %zu key(s) at %p: %zu sites "
		       "to their trampolines first%s",
		       n, addr, sc_patch_sites_changed(),
		       err ? ": failed" : "");
	}
	sc_mem_free(keys);
	sc_unlock(&saved);
}

/* After a store into [addr, addr+len) the plugin could not pin to one key
 * (struct assignment, memcpy, memset): re-patch every key inside to the
 * value it now holds. Most such stores meet no key and take no lock. */
static void own_store_range(void *addr, size_t len)
{
	sigset_t saved;
	uintptr_t hi;
	if (range_lock(addr, len, 1, &hi, &saved))
		return;
	size_t n;
	struct sc_key **keys = keys_in_range((uintptr_t)addr, hi, &n);
	for (size_t i = 0; i < n; i++) {
		struct sc_key *k = keys[i];
		void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
		int err = sc_patch_key(k, v, 0);
		/* back from the slow path to the value it had: no
		 * re-targeting to speak of (a debug line) */
		int kept = k->begun && v == k->begin_value;
		k->begun = 0;
		sc_log_retarget(
			k, v, kept ? "range store, value kept" : "range store",
			err);
		if (err)
			sc_report_stale_sites(k,
					      "a store (struct copy, "
					      "memcpy, memset) into",
					      err);
	}
	sc_mem_free(keys);
	sc_unlock(&saved);
}

SC_EXPORT const struct sc_registry_ops __staticcall_registry_v1 = {
	.abi_version = SC_ABI_VERSION,
	.reg = own_register,
	.unreg = own_unregister,
	.update = own_update,
	.update_ret0 = own_update_ret0,
	.verify = sc_own_verify,
	.store = own_store,
	.sites = sc_own_sites,
	.store_range = own_store_range,
	.seal = sc_own_seal,
	.store_range_begin = own_store_range_begin,
	.bind = sc_own_bind,
	.bind_now = sc_own_bind_now,
	.jump_register = sc_own_jump_register,
	.jump_unregister = sc_own_jump_unregister,
	.key_change = sc_own_key_change,
	.key_sites = sc_own_key_sites,
	.update_const = own_update_const,
	.update_ret_arg = own_update_ret_arg,
};
