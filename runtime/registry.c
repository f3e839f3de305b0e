/*
 * registry.c - the linked objects, their keys, and the one lock.
 *
 * One registry per process: several objects may each carry a static copy
 * of the runtime, and two patchers that do not share a lock would corrupt
 * each other's sites. Every copy exports __staticcall_registry_v1; the
 * first object in load order that exports one (found through the dynamic
 * linker) serves the whole process and is pinned with RTLD_NODELETE.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sc_object *objects;

/*
 * Every entry point takes the lock through runtime_lock(), which blocks
 * the thread's asynchronous signals first and restores them after the
 * unlock: a handler (SIGALRM, SIGUSR1, a timer) that calls the runtime can
 * then never run on a thread holding the lock, so it never waits for
 * itself; its call simply runs once the interrupted one has finished. Two
 * rt_sigprocmask calls per entry, next to the mprotects and membarriers of
 * an update. Faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS) stay
 * deliverable: a blocked fault would kill the process instead of reaching
 * the program's handler. A call made while this thread holds the lock (from
 * such a handler, or from code the runtime calls, e.g. an interposed
 * malloc) is refused with -EDEADLK instead of locking again: lock_owner
 * names the holding thread.
 */
static uintptr_t lock_owner;

static int held_by_me(void)
{
	return __atomic_load_n(&lock_owner, __ATOMIC_RELAXED) ==
	       (uintptr_t)pthread_self();
}

static int runtime_lock(sigset_t *saved)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
				      SIGSYS };
	if (held_by_me())
		return -EDEADLK;
	sigset_t block;
	sigfillset(&block);
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		sigdelset(&block, faults[i]);
	pthread_sigmask(SIG_BLOCK, &block, saved);
	pthread_mutex_lock(&lock);
	__atomic_store_n(&lock_owner, (uintptr_t)pthread_self(), __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return 0;
}

static void runtime_unlock(const sigset_t *saved)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&lock_owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

#define KEY_BUCKETS 1024
static struct sc_key *key_hash[KEY_BUCKETS];

static size_t key_bucket(const void *var)
{
	uintptr_t x = (uintptr_t)var >> 3;
	return (x ^ (x >> 10) ^ (x >> 20)) % KEY_BUCKETS;
}

struct sc_key *sc_key_find(const void *var)
{
	for (struct sc_key *k = key_hash[key_bucket(var)]; k; k = k->hash_next)
		if (k->var == var)
			return k;
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

static void *effective_target(const struct sc_site *s, int *form,
			      void *var_value);

/* "name (address)" of a key: the variable's symbol in the object that
 * defines it, when one of the objects using it does. */
static void key_name(const struct sc_key *k, char *buf, size_t n)
{
	char sym[128];
	for (size_t i = 0; i < k->ntramps; i++) {
		const struct sc_object *o = k->tramps[i]->object;
		for (int j = 0; j < o->nsegs; j++)
			if ((uintptr_t)k->var >= o->segs[j].lo &&
			    (uintptr_t)k->var < o->segs[j].hi &&
			    sc_symbolize(o, k->var, sym, sizeof sym)) {
				/* "wk+0x0": the whole variable */
				size_t l = strlen(sym);
				if (l > 4 && !strcmp(sym + l - 4, "+0x0"))
					sym[l - 4] = 0;
				snprintf(buf, n, "%s (%p)", sym, (void *)k->var);
				return;
			}
	}
	snprintf(buf, n, "%p", (void *)k->var);
}

/*
 * A store changed key k but its sites could not follow (err from
 * sc_patch_key): report, loudly, every site that does not reach the key's
 * value now; a few by name, then a count. `what` says which store.
 */
static void report_stale_sites(struct sc_key *k, const char *what, int err)
{
	void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
	char kname[160], why[320];
	size_t n = 0;
	key_name(k, kname, sizeof kname);
	snprintf(why, sizeof why, "%s key %s could not re-target it "
		 "(%s)%s", what, kname,
		 err == -EPERM && (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		 ? "updates are sealed" : strerrorname_np(-err),
		 err == -EACCES || (err == -EPERM && !sc_sealed())
		 ? ": a W^X policy? call static_call_seal() before it" : "");
	for (size_t i = 0; i < k->nsites; i++) {
		struct sc_site *s = k->sites[i];
		int form;
		if (s->code.state != SC_CODE_OK || !s->code.prot ||
		    effective_target(s, &form, v) == v)
			continue;
		if (++n <= SC_STALE_SHOWN)
			sc_report_stale(s, why);
	}
	if (n > SC_STALE_SHOWN)
		sc_report_stale_more(n - SC_STALE_SHOWN, kname);
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
			sc_log(SC_LOG_WARN, "%s: key descriptor %zu has a bad key "
			       "address %p: its sites stay as compiled", o->name, i, var);
			t->code.state = SC_CODE_UNVERIFIED;
			t->code.reason = "key descriptor names no valid variable";
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
	/* each key's array grown once, to its exact new size */
	for (size_t i = 0; i < o->nsites; i++)
		if (o->sites[i].tramp->key)
			o->sites[i].tramp->key->incoming++;
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		if (k && k->incoming) {
			size_t need = k->nsites + k->incoming;
			k->incoming = 0;
			if (need > k->cap_sites) {
				struct sc_site **a = sc_mem_realloc(k->sites,
								    need * sizeof *a);
				if (!a)
					return -ENOMEM;
				k->sites = a;
				k->cap_sites = need;
			}
		}
	}
	for (size_t i = 0; i < o->nsites; i++) {
		struct sc_key *k = o->sites[i].tramp->key;
		if (k)
			k->sites[k->nsites++] = &o->sites[i];
	}
	return 0;
}

static void detach(struct sc_object *o)
{
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

static struct sc_object *find_object(const struct sc_abi_object *abi)
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
		sc_log(SC_LOG_ERROR, "%s: out of memory: its sites stay on their "
		       "trampolines", o->name);
		return;
	}
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		size_t j = 0;
		while (j < i && o->tramps[j].key != k) /* once per key */
			j++;
		if (k && j == i)
			report_stale_sites(k, "registering an object using", err);
	}
}

static int own_register(const struct sc_abi_object *abi)
{
	sigset_t saved;
	int err = runtime_lock(&saved);
	if (err) {
		sc_log(SC_LOG_ERROR, "registration of table %p from inside the "
		       "runtime (a signal handler?): refused", (const void *)abi);
		return err;
	}
	if (find_object(abi))
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
	patch_object_keys(o);
	sc_log(SC_LOG_INFO, "registered %s: %zu sites, %zu keys", o->name,
	       o->nsites, o->ntramps);
out:
	runtime_unlock(&saved);
	return err;
}

static int report_enabled, verify_enabled, verified_at_exit;
static void report_object(const struct sc_object *only);
static int own_verify(int resync);

static int own_unregister(const struct sc_abi_object *abi)
{
	if (held_by_me())
		return -EDEADLK;
	if (verify_enabled && !verified_at_exit) {
		/* before the first object goes: at exit, or a dlclose */
		verified_at_exit = 1;
		fprintf(stderr, "staticcall: verify: %d stale sites\n", own_verify(0));
	}
	sigset_t saved;
	if (runtime_lock(&saved))
		return -EDEADLK;
	struct sc_object **pp = &objects;
	while (*pp && (*pp)->abi != abi)
		pp = &(*pp)->next;
	struct sc_object *o = *pp;
	if (o) {
		*pp = o->next;
		if (report_enabled)
			report_object(o);
		sc_ranges_remove(o->range_slot);
		detach(o);
		sc_log(SC_LOG_INFO, "unregistered %s", o->name);
		sc_object_free(o);
	}
	runtime_unlock(&saved);
	return o ? 0 : -ENOENT;
}

static int own_update(void *var, void *target)
{
	if (!key_var_ok(var))
		return -EINVAL;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES) {
		sc_log(SC_LOG_INFO, "update %p -> %p refused: updates are "
		       "sealed", var, target);
		return -EPERM;
	}
	sigset_t saved;
	if (runtime_lock(&saved)) {
		sc_log(SC_LOG_ERROR, "update of key %p from inside the runtime "
		       "(a signal handler?): refused, nothing changed", var);
		return -EDEADLK;
	}
	struct sc_key *k = sc_key_find(var);
	int err = k ? sc_patch_key(k, target, SC_PATCH_EXACT) : 0;
	if (!err)
		__atomic_store_n((void **)var, target, __ATOMIC_RELEASE);
	sc_log(SC_LOG_INFO, "update %p -> %p: %zu sites: %s", var, target,
	       k ? k->nsites : 0, err ? "failed" : "ok");
	runtime_unlock(&saved);
	return err;
}

static int own_update_ret0(void *var)
{
	return own_update(var, (void *)__staticcall_ret0);
}

/* Where a site's live bytes send control, following its trampoline. */
static void *effective_target(const struct sc_site *s, int *form, void *var_value)
{
	uint8_t live[SC_MAX_INSN];
	memcpy(live, s->code.insn, s->code.len);
	struct sc_decoded d = sc_decode_site(&s->code, live, s->tramp->code.insn);
	*form = d.form;
	switch (d.form) {
	case STATIC_CALL_SITE_NOP:
		return NULL;
	case STATIC_CALL_SITE_RETURN_ZERO:
		return (void *)__staticcall_ret0;
	case STATIC_CALL_SITE_TRAMPOLINE: {
		void *via = NULL;
		if (s->tramp->code.prot &&
		    sc_arch_decode_slot(s->tramp->code.insn,
					sc_code_load64((const uint64_t *)s->tramp->code.insn),
					&via) && via)
			return via;
		return var_value; /* the slow path reads the key */
	}
	default:
		return d.reaches;
	}
}

/* Every verified site against its key's value; with resync, re-patch. */
static int own_verify(int resync)
{
	int stale = 0, err = 0;
	size_t total = 0;
	sigset_t saved;
	if (runtime_lock(&saved))
		return -EDEADLK;
	for (size_t b = 0; b < KEY_BUCKETS; b++)
		for (struct sc_key *k = key_hash[b]; k; k = k->hash_next) {
			void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
			if (resync) {
				int e = sc_patch_key(k, v, 0);
				if (e) {
					err = e;
					report_stale_sites(k, "resync of", e);
				}
				continue;
			}
			for (size_t i = 0; i < k->nsites; i++) {
				struct sc_site *s = k->sites[i];
				int form;
				if (s->code.state != SC_CODE_OK)
					continue;
				total++;
				void *t = effective_target(s, &form, v);
				if (t == v)
					continue;
				stale++;
				sc_log(SC_LOG_ERROR, "stale site %p (%s+%#lx, %s): "
				       "reaches %p but key %p holds %p (a store "
				       "the runtime did not see?)",
				       (void *)s->code.insn, s->object->name,
				       (unsigned long)((uintptr_t)s->code.insn -
						       s->object->base),
				       static_call_form_name(form), t,
				       (void *)k->var, v);
			}
		}
	if (!resync)
		sc_log(stale ? SC_LOG_ERROR : SC_LOG_INFO,
		       "verify: %zu sites checked, %d stale", total, stale);
	runtime_unlock(&saved);
	return resync ? err : stale;
}

/* A plain assignment `key = value` compiled by a plugin: C semantics say
 * the value is stored whatever happens, so store first, then re-target. */
static int own_store(void *var, void *value)
{
	sigset_t saved;
	if (runtime_lock(&saved)) {
		__atomic_store_n((void **)var, value, __ATOMIC_RELEASE);
		sc_report_stale_key(var, "assigned from inside the runtime (a "
				    "signal handler?): sites not re-targeted "
				    "(static_call_resync() re-patches them)");
		return -EDEADLK;
	}
	__atomic_store_n((void **)var, value, __ATOMIC_RELEASE);
	struct sc_key *k = sc_key_find(var);
	int err = k ? sc_patch_key(k, value, 0) : 0;
	if (err)
		report_stale_sites(k, "an assignment to", err);
	runtime_unlock(&saved);
	return err;
}

/* After a store into [addr, addr+len) the plugin could not pin to one key
 * (struct assignment, memcpy, memset): re-patch every key inside to the
 * value it now holds. Most such stores meet no key and take no lock. */
static void own_store_range(void *addr, size_t len)
{
	static unsigned long gen;
	uintptr_t lo = (uintptr_t)addr;
	uintptr_t hi = lo + len < lo ? UINTPTR_MAX : lo + len;
	if (!len || !sc_ranges_may_hold(lo, len))
		return;
	sigset_t saved;
	if (runtime_lock(&saved)) {
		sc_report_stale_key(addr, "store into memory that may hold keys, "
				    "from inside the runtime (a signal "
				    "handler?): sites not re-targeted "
				    "(static_call_resync() re-patches them)");
		return;
	}
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
			void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
			int err = sc_patch_key(k, v, 0);
			if (err)
				report_stale_sites(k, "a store (struct copy, "
						   "memcpy, memset) into", err);
		}
	}
	runtime_unlock(&saved);
}

static const char *reason_for(const struct sc_site *s, int form, void *target)
{
	if (form == STATIC_CALL_SITE_DIRECT || form == STATIC_CALL_SITE_TAIL_JUMP)
		return NULL;
	if (form == STATIC_CALL_SITE_NOP)
		return "key is NULL: the guarded call is a NOP";
	if (form == STATIC_CALL_SITE_RETURN_ZERO)
		return "key returns zero: inline return 0, no call";
	if (s->code.state != SC_CODE_OK)
		return s->code.reason ? s->code.reason : "site not verified";
	if (sc_patching_off_reason())
		return sc_patching_off_reason();
	if (!target && !s->code.cond)
		return "target is NULL";
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return sc_env()->seal == 2 ? "updates sealed by STATICCALL_SEAL=updates"
					   : SC_REASON_UPDATES_SEALED;
	const char *why = sc_site_indirect_reason(s, target);
	return why ? why : "not patched";
}

static int own_sites(const void *var, struct static_call_site_info *buf,
		     size_t n)
{
	sigset_t saved;
	if (runtime_lock(&saved))
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
			o->reaches = effective_target(s, &form, target);
		/* bytes never verified: whatever they decode as, the runtime
		 * does not own them (an arm64 NOP word is no NULL-key NOP) */
		if (s->code.state != SC_CODE_OK)
			form = STATIC_CALL_SITE_UNVERIFIED;
		o->form = form;
		o->reason = reason_for(s, form, target);
	}
	runtime_unlock(&saved);
	return count > (size_t)INT32_MAX ? INT32_MAX : (int)count;
}

/* STATIC_CALL_SEAL_CODE: every site of every key onto its trampoline's
 * slow path, in one batch; then patching is off for good. Caller holds
 * the lock. */
static int seal_code(void)
{
	/* Off already (STATICCALL_DISABLE, a W^X policy refused the first
	 * write): nothing was ever written, every site is as compiled. */
	if (sc_patching_off_reason()) {
		sc_seal_set(STATIC_CALL_SEAL_CODE);
		return 0;
	}
	size_t n = 0, i = 0;
	for (size_t b = 0; b < KEY_BUCKETS; b++)
		for (struct sc_key *k = key_hash[b]; k; k = k->hash_next)
			n++;
	struct sc_key **keys = sc_mem_alloc((n ? n : 1) * sizeof *keys);
	if (!keys)
		return -ENOMEM;
	for (size_t b = 0; b < KEY_BUCKETS; b++)
		for (struct sc_key *k = key_hash[b]; k; k = k->hash_next)
			keys[i++] = k;
	int err = sc_patch_seal_code(keys, n);
	sc_mem_free(keys);
	if (err) {
		sc_log(SC_LOG_ERROR, "static_call_seal(CODE): the code could not "
		       "be moved to the trampolines (%s): not sealed",
		       strerrorname_np(-err));
		return err;
	}
	sc_patching_turn_off(SC_REASON_SEALED);
	sc_seal_set(STATIC_CALL_SEAL_CODE);
	return 0;
}

/* mseal the text of every object registered now; each is pinned first
 * (an mseal'ed mapping cannot be unmapped: dlclose leaves it loaded).
 * Called without the lock: pinning takes the dynamic linker's. */
static void seal_text(void)
{
	size_t n = 0, i = 0, sealed = 0;
	sigset_t saved;
	if (runtime_lock(&saved))
		return;
	for (struct sc_object *o = objects; o; o = o->next)
		n++;
	const struct sc_abi_object **abis = sc_mem_alloc((n ? n : 1) * sizeof *abis);
	for (struct sc_object *o = objects; o && abis; o = o->next)
		abis[i++] = o->abi;
	runtime_unlock(&saved);
	if (!abis)
		return;
	for (i = 0; i < n; i++) {
		if (!sc_pin_object_of(abis[i]))
			continue;
		if (runtime_lock(&saved))
			break;
		struct sc_object *o = find_object(abis[i]);
		int err = o ? sc_mseal_object(o) : 0;
		if (o && err && err != -ENOSYS && err != -EINVAL)
			sc_log(SC_LOG_WARN, "static_call_seal: mseal of %s "
			       "failed (%s)", o->name, strerrorname_np(-err));
		else if (o && !err)
			sealed++;
		runtime_unlock(&saved);
		if (err == -ENOSYS || err == -EINVAL) {
			sc_log(SC_LOG_INFO, "static_call_seal: no mseal in this "
			       "kernel (%s): text pages not sealed",
			       strerrorname_np(-err));
			break;
		}
	}
	sc_log(SC_LOG_INFO, "static_call_seal: text of %zu of %zu objects "
	       "sealed", sealed, n);
	sc_mem_free(abis);
}

static int own_seal(int how)
{
	const int all = STATIC_CALL_SEAL_CODE | STATIC_CALL_SEAL_UPDATES;
	if (!how || (how & ~all))
		return -EINVAL;
	int err = 0, text = 0;
	sigset_t saved;
	if (runtime_lock(&saved))
		return -EDEADLK;
	int cur = sc_sealed();
	if ((how & STATIC_CALL_SEAL_CODE) && !(cur & STATIC_CALL_SEAL_CODE))
		err = (cur & STATIC_CALL_SEAL_UPDATES) ? -EPERM : seal_code();
	if (!err && (how & STATIC_CALL_SEAL_UPDATES) &&
	    !(cur & STATIC_CALL_SEAL_UPDATES)) {
		sc_seal_set(STATIC_CALL_SEAL_UPDATES);
		text = 1;
	}
	runtime_unlock(&saved);
	if (text)
		seal_text();
	if (!err)
		sc_log(SC_LOG_INFO, "static_call_seal(%s%s%s): sealed",
		       how & STATIC_CALL_SEAL_CODE ? "CODE" : "",
		       how == all ? "|" : "",
		       how & STATIC_CALL_SEAL_UPDATES ? "UPDATES" : "");
	return err;
}

SC_EXPORT const struct sc_registry_ops __staticcall_registry_v1 = {
	.abi_version = SC_ABI_VERSION,
	.reg = own_register,
	.unreg = own_unregister,
	.update = own_update,
	.update_ret0 = own_update_ret0,
	.verify = own_verify,
	.store = own_store,
	.sites = own_sites,
	.store_range = own_store_range,
	.seal = own_seal,
};

/* fork(): the child must never inherit the lock held by another thread,
 * nor the dynamic linker's lock held by a thread choosing the registry
 * (dl_iterate_phdr): finish choosing first, then hold our lock across
 * fork. */
static void atfork_prepare(void);
static void atfork_release(void) { pthread_mutex_unlock(&lock); }

struct pick_ctx {
	const struct sc_registry_ops *found;
	size_t size; /* st_size of the table found */
	char *pin_name; /* the shared object to keep loaded */
};

static int pick_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct pick_ctx *pc = data;
	(void)size;
	size_t table_size = 0;
	const struct sc_registry_ops *r =
		sc_dynsym_lookup_sized(info, "__staticcall_registry_v1",
				       &table_size);
	if (!r)
		return 0;
	if (r->abi_version != SC_ABI_VERSION) {
		sc_log(SC_LOG_WARN, "%s carries a staticcall runtime of another "
		       "version: not shared", info->dlpi_name && info->dlpi_name[0]
		       ? info->dlpi_name : "the main program");
		return 0;
	}
	pc->found = r;
	pc->size = table_size;
	/* The main program (empty name) is never unloaded: no pin needed. */
	if (info->dlpi_name && info->dlpi_name[0])
		pc->pin_name = strdup(info->dlpi_name);
	return 1;
}

/* Weak: a -static program has one copy of the runtime and never needs to
 * pin a shared object; not referencing dlopen keeps glibc's static-dlopen
 * warning out of the user's link. */
#pragma weak dlopen

static const struct sc_registry_ops *chosen;
static size_t chosen_size;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static char *pin_name;
static int pinned;

static void choose(void)
{
	struct pick_ctx pc = { NULL, 0, NULL };
	dl_iterate_phdr(pick_cb, &pc);
	chosen = pc.found ? pc.found : &__staticcall_registry_v1;
	chosen_size = pc.found ? pc.size : sizeof __staticcall_registry_v1;
	pin_name = pc.pin_name;
}

static void atfork_prepare(void)
{
	sc_registry();
	pthread_mutex_lock(&lock);
}

/* Every copy guards its own lock; only the chosen one is ever taken.
 * Choosing at load time, usually before any thread exists, keeps the
 * dynamic linker's lock out of later updates. */

/* "name" of an address: its dynamic symbol, else the object and offset. */
static void describe(const void *p, char *buf, size_t n)
{
	Dl_info di;
	if (p && dladdr(p, &di) && di.dli_sname && di.dli_saddr == p)
		snprintf(buf, n, "%s", di.dli_sname);
	else if (p && dladdr(p, &di) && di.dli_sname)
		snprintf(buf, n, "%s+%#lx", di.dli_sname,
			 (unsigned long)((uintptr_t)p - (uintptr_t)di.dli_saddr));
	else
		snprintf(buf, n, "%p", p);
}

/* STATICCALL_REPORT=1: when an object goes away (at exit, or dlclose),
 * the state of each of its sites, then a summary. Caller holds the lock. */
static void report_object(const struct sc_object *only)
{
	size_t n = 0, direct = 0, tramp = 0, unverified = 0, other = 0;
	for (size_t b = 0; b < KEY_BUCKETS; b++)
		for (struct sc_key *k = key_hash[b]; k; k = k->hash_next) {
			void *v = __atomic_load_n(k->var, __ATOMIC_ACQUIRE);
			char kname[128];
			describe(k->var, kname, sizeof kname);
			for (size_t i = 0; i < k->nsites; i++) {
				struct sc_site *s = k->sites[i];
				if (s->object != only)
					continue;
				int form = STATIC_CALL_SITE_UNVERIFIED;
				void *t = s->code.prot ? effective_target(s, &form, v) : NULL;
				char where[160], to[160];
				describe(s->code.insn, where, sizeof where);
				describe(t, to, sizeof to);
				const char *why = reason_for(s, form, v);
				fprintf(stderr, "staticcall: site %s:%s (%p) key %s %s -> %s%s%s\n",
					s->object->name, where, (void *)s->code.insn, kname,
					static_call_form_name(form), to, why ? ": " : "",
					why ? why : "");
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
	fprintf(stderr, "staticcall: report: %s: %zu sites, %zu direct, %zu "
		"trampoline, %zu unverified, %zu nop or return-zero\n", only->name,
		n, direct, tramp, unverified, other);
}

__attribute__((constructor)) static void runtime_init(void)
{
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
	sc_registry();
	/* STATICCALL_VERIFY=1: check every site against its key at exit. */
	verify_enabled = sc_env()->verify_at_exit;
	report_enabled = sc_env()->report_at_exit;
}

size_t sc_registry_size(void)
{
	sc_registry();
	return chosen_size;
}

const struct sc_registry_ops *sc_registry(void)
{
	pthread_once(&chosen_once, choose);
	/* The object serving the registry must outlive every user: pin it,
	 * outside the once and outside any lock, since dlopen may run
	 * constructors that call back into the runtime. */
	if (pin_name && !__atomic_load_n(&pinned, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(&pinned, 1, __ATOMIC_ACQ_REL) && dlopen)
		dlopen(pin_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
	return chosen;
}
