/*
 * static_keys.c - static keys (jump labels): include/staticcall/kernel.h's
 * `asm goto` sites, registered per linked object by the header's hidden
 * constructor, switched between a NOP and a direct jump while threads run
 * them.
 *
 * A site is compiled as a jump to its own out-of-line load and test of the
 * key (correct with no runtime at all). Registration checks each record
 * against the object's segments and the bytes the header emits (the site
 * must jump to a load and test that reads this record's key and branches
 * to this record's label), then moves every site to the NOP or the jump
 * its key's count asks for, in one batch. A change of a key's state is one
 * batch over every site of the key in every registered object: each site
 * is one instruction inside one aligned 8-byte word, changed by one
 * compare-and-swap of that word (the text writer verifies every word
 * first; docs/PATCHING.md, "Static keys"). The count is stored after the
 * code is written, so a failed batch changes nothing.
 *
 * Everything runs under the registry lock (lock.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct sk_key;
struct sk_table;

struct sk_site {
	uint8_t *insn;	 /* the site's one instruction */
	uint8_t *target; /* the branch's label */
	uint8_t *test;	 /* its load and test, where it jumps as compiled */
	struct static_key *var;
	struct sk_key *key; /* NULL until attached */
	struct sk_table *table;
	uint8_t compiled[SC_MAX_INSN]; /* the jump to the load and test */
	uint8_t bytes[SC_MAX_INSN];    /* what it holds now */
	uint8_t likely;		       /* jumps while the key is disabled */
	uint8_t form;		       /* enum static_key_site_form */
	int prot;		       /* its segment's, for the writer */
	const char *reason;	       /* why it is on its load and test */
};

struct sk_table {
	const struct sc_abi_jump *begin, *end;
	struct sc_object *obj; /* name and segments only */
	struct sk_site *sites;
	size_t nsites;
	struct sk_table *next;
};

struct sk_key {
	struct static_key *var;
	struct sk_site **sites;
	size_t nsites, cap;
	struct sk_key *hash_next;
};

static struct sk_table *tables;

#define SK_BUCKETS 256
static struct sk_key *key_hash[SK_BUCKETS];

static size_t bucket(const void *var)
{
	return sc_addr_bucket(var, SK_BUCKETS);
}

static struct sk_key *key_find(const void *var)
{
	for (struct sk_key *k = key_hash[bucket(var)]; k; k = k->hash_next)
		if (k->var == var)
			return k;
	return NULL;
}

static struct sk_key *key_get(struct static_key *var)
{
	struct sk_key *k = key_find(var);
	if (k)
		return k;
	k = sc_mem_alloc(sizeof *k);
	if (!k)
		return NULL;
	k->var = var;
	k->hash_next = key_hash[bucket(var)];
	key_hash[bucket(var)] = k;
	return k;
}

static void key_drop_if_empty(struct sk_key *k)
{
	if (k->nsites)
		return;
	struct sk_key **pp = &key_hash[bucket(k->var)];
	while (*pp != k)
		pp = &(*pp)->hash_next;
	*pp = k->hash_next;
	sc_mem_free(k->sites);
	sc_mem_free(k);
}

/* ---- counts ------------------------------------------------------------ */

int sc_key_count_next(int c, int op, int *next)
{
	switch (op) {
	case __SK_ENABLE:
		*next = c > 0 ? c : 1;
		return 0;
	case __SK_DISABLE:
		*next = 0;
		return 0;
	case __SK_INC:
		if (c < 0 || c == INT_MAX)
			return -ERANGE;
		*next = c + 1;
		return 0;
	case __SK_DEC:
		if (c <= 0)
			return -ERANGE;
		*next = c - 1;
		return 0;
	}
	return -EINVAL;
}

static int key_ok(const void *var)
{
	return var && ((uintptr_t)var & 7) == 0;
}

int sc_key_change_count(void *var, int op)
{
	if (!key_ok(var))
		return -EINVAL;
	int *cnt = &((struct static_key *)var)->enabled;
	int c = __atomic_load_n(cnt, __ATOMIC_RELAXED), n, err;
	do {
		if ((err = sc_key_count_next(c, op, &n)))
			return err;
	} while (!__atomic_compare_exchange_n(cnt, &c, n, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return 0;
}

/* ---- the forms of one site --------------------------------------------- */

static unsigned site_len(void)
{
	return (unsigned)sc_arch_jump_len();
}

/* The bytes the site must hold for a key whose count is c. */
static int wanted(const struct sk_site *s, int c, uint8_t out[SC_MAX_INSN])
{
	int jump = (c > 0) != s->likely;
	return sc_arch_jump_encode(s->insn, jump ? s->target : NULL, out);
}

/* Why patching is off for every site (they stay on their load and test,
 * which reads the count), or NULL. */
static const char *writing_off(void)
{
	const char *why = sc_patching_off_reason();
	if (why)
		return why;
	if (sc_sealed() & STATIC_CALL_SEAL_CODE)
		return SC_REASON_SEALED;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return SC_REASON_UPDATES_SEALED;
	return NULL;
}

static int cmp_write(const void *a, const void *b)
{
	const struct sc_write *x = a, *y = b;
	return x->word < y->word ? -1 : x->word > y->word;
}

/*
 * Bring sites[0..n) to the bytes in to[i] (SC_MAX_INSN each), one batch:
 * each site's aligned word read, its bytes checked against what the site
 * should hold now (else -EBUSY, nothing written), sites sharing a word
 * (two arm64 sites) composed into one write. 0 or -errno; on success each
 * site's bytes are updated.
 */
static int write_sites(struct sk_site **sites, const uint8_t *to, size_t n)
{
	if (!n)
		return 0;
	struct sc_write *w = sc_mem_alloc(n * sizeof *w);
	if (!w)
		return -ENOMEM;
	unsigned len = site_len();
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct sk_site *s = sites[i];
		uint64_t *word = (uint64_t *)((uintptr_t)s->insn & ~7ul);
		w[m++] = (struct sc_write){ word,	   0, 0,
					    SC_PHASES - 1, 1, s->prot };
	}
	sc_sort(w, m, sizeof *w, cmp_write);
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (!k || w[k - 1].word != w[i].word)
			w[k++] = w[i];
	m = k;
	for (size_t i = 0; i < m; i++)
		w[i].old_value = w[i].new_value = sc_code_load64(w[i].word);
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		struct sk_site *s = sites[i];
		uint64_t *word = (uint64_t *)((uintptr_t)s->insn & ~7ul);
		size_t lo = 0, hi = m; /* the site's write */
		while (lo + 1 < hi) {
			size_t mid = (lo + hi) / 2;
			if (w[mid].word <= word)
				lo = mid;
			else
				hi = mid;
		}
		unsigned off = (unsigned)((uintptr_t)s->insn & 7);
		if (memcmp((uint8_t *)&w[lo].old_value + off, s->bytes, len))
			err = -EBUSY; /* not what we left there */
		else
			memcpy((uint8_t *)&w[lo].new_value + off,
			       to + i * SC_MAX_INSN, len);
	}
	if (!err)
		err = sc_text_apply(w, m);
	sc_mem_free(w);
	if (!err)
		for (size_t i = 0; i < n; i++) {
			struct sk_site *s = sites[i];
			void *dest = NULL;
			memcpy(s->bytes, to + i * SC_MAX_INSN, len);
			s->form = (uint8_t)sc_arch_jump_read(s->insn, s->bytes,
							     &dest);
			if (!memcmp(s->bytes, s->compiled, len))
				s->form = STATIC_KEY_SITE_TEST;
			s->reason = s->form == STATIC_KEY_SITE_TEST ?
					    s->reason :
					    NULL;
		}
	return err;
}

/* ---- registration ------------------------------------------------------ */

/* Inside one readable segment of o (the table and the key pointers: on
 * arm64 read-only data shares the text segment; the pointers are RELRO).
 * What ties a record to its site is the check of the site's code. */
static int in_readable(const struct sc_object *o, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	for (int i = 0; i < o->nsegs; i++)
		if (a >= o->segs[i].lo && a + len <= o->segs[i].hi &&
		    a + len >= a)
			return (o->segs[i].prot & PROT_READ) != 0;
	return 0;
}

/* Check one record; 0 with s->reason set when it cannot be used (the
 * site then stays on its load and test, which is always correct). */
static int load_site(struct sk_table *t, struct sk_site *s,
		     const struct sc_abi_jump *r, struct sc_key_checker *kc)
{
	const struct sc_object *o = t->obj;
	unsigned len = site_len();
	s->table = t;
	s->insn = (uint8_t *)&r->site_rel + r->site_rel;
	s->target = (uint8_t *)&r->target_rel + r->target_rel;
	s->likely = (r->flags & SC_JUMP_LIKELY) != 0;
	s->form = STATIC_KEY_SITE_UNVERIFIED;
	const uint8_t *keyref = (const uint8_t *)&r->keyref_rel + r->keyref_rel;
	if (r->flags & ~SC_JUMP_LIKELY)
		return s->reason = "record has unknown flags", 0;
	if (((uintptr_t)keyref & 7) || !in_readable(o, keyref, 8))
		return s->reason =
			       "record's key pointer is not data of its object",
		       0;
	struct static_key *var;
	memcpy(&var, keyref, sizeof var);
	const char *why = key_ok(var) ? sc_key_check(o, var, kc) :
					"key is not an aligned address";
	if (why)
		return s->reason = why, 0;
	s->prot = sc_object_exec_prot(o, s->insn, len);
	if (!s->prot || !sc_object_exec_prot(o, s->target, 1))
		return s->reason = "site or label outside its object's code", 0;
	if (((uintptr_t)s->insn & ~7ul) !=
	    (((uintptr_t)s->insn + len - 1) & ~7ul))
		return s->reason = "site straddles an 8-byte word", 0;
	uint64_t word = sc_code_load64((uint64_t *)((uintptr_t)s->insn & ~7ul));
	memcpy(s->bytes, (uint8_t *)&word + ((uintptr_t)s->insn & 7), len);
	void *test = NULL;
	if (sc_arch_jump_read(s->insn, s->bytes, &test) != STATIC_KEY_SITE_JUMP)
		return s->reason = "site does not hold the jump kernel.h emits",
		       0;
	s->test = test;
	size_t tlen = sc_arch_id() == SC_ABI_ARCH_X86_64 ? SC_JUMP_TEST_X86 :
							   SC_JUMP_TEST_A64;
	if (!sc_object_exec_prot(o, s->test, tlen) ||
	    !sc_arch_jump_test_ok(s->test, s->insn, keyref, s->target,
				  s->likely))
		return s->reason = "site's load and test is not what kernel.h "
				   "emits for its record",
		       0;
	memcpy(s->compiled, s->bytes, len);
	s->form = STATIC_KEY_SITE_TEST;
	s->var = var;
	return 1;
}

static int cmp_site(const void *a, const void *b)
{
	const struct sk_site *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static void table_free(struct sk_table *t)
{
	for (size_t i = 0; i < t->nsites; i++) {
		struct sk_key *k = t->sites[i].key;
		if (!k)
			continue;
		size_t n = 0;
		for (size_t j = 0; j < k->nsites; j++)
			if (k->sites[j]->table != t)
				k->sites[n++] = k->sites[j];
		k->nsites = n;
		/* the other sites of k in t point at it too */
		for (size_t j = i + 1; j < t->nsites; j++)
			if (t->sites[j].key == k)
				t->sites[j].key = NULL;
		key_drop_if_empty(k);
	}
	sc_mem_free(t->sites);
	sc_object_free(t->obj);
	sc_mem_free(t);
}

static int attach(struct sk_table *t)
{
	for (size_t i = 0; i < t->nsites; i++) {
		struct sk_site *s = &t->sites[i];
		if (s->form == STATIC_KEY_SITE_UNVERIFIED)
			continue;
		struct sk_key *k = key_get(s->var);
		s->key = k;
		if (!k)
			return -ENOMEM;
		if (k->nsites == k->cap) {
			size_t nc = k->cap ? 2 * k->cap : 8;
			void *p =
				sc_mem_realloc(k->sites, nc * sizeof *k->sites);
			if (!p)
				return -ENOMEM;
			k->sites = p;
			k->cap = nc;
		}
		k->sites[k->nsites++] = s;
	}
	return 0;
}

static struct sk_table *load_table(const struct sc_abi_jump *b,
				   const struct sc_abi_jump *e)
{
	struct sk_table *t = sc_mem_alloc(sizeof *t);
	struct sc_object *o = sc_mem_alloc(sizeof *o);
	if (!t || !o) {
		sc_mem_free(t);
		sc_mem_free(o);
		return NULL;
	}
	t->obj = o;
	t->begin = b;
	t->end = e;
	o->range_slot = -1;
	size_t bytes = (size_t)((const char *)e - (const char *)b);
	if (sc_object_locate(o, b) || ((uintptr_t)b & 3) || bytes % sizeof *b ||
	    !in_readable(o, b, bytes)) {
		sc_log(SC_LOG_WARN,
		       "%s: static key table %p..%p is not inside one "
		       "object: its sites keep their load and test",
		       o->name ? o->name : "?", (const void *)b,
		       (const void *)e);
		table_free(t);
		return NULL;
	}
	t->nsites = bytes / sizeof *b;
	t->sites = sc_mem_alloc((t->nsites ? t->nsites : 1) * sizeof *t->sites);
	if (!t->sites) {
		table_free(t);
		return NULL;
	}
	struct sc_key_checker kc = { 0, 0, 0, 0 };
	for (size_t i = 0; i < t->nsites; i++)
		if (!load_site(t, &t->sites[i], &b[i], &kc))
			sc_log(SC_LOG_WARN,
			       "%s: static key site %zu at %p: %s: left as "
			       "compiled",
			       o->name, i, (void *)t->sites[i].insn,
			       t->sites[i].reason);
	/* one record per site: a second one naming it is refused */
	sc_sort(t->sites, t->nsites, sizeof *t->sites, cmp_site);
	for (size_t i = 1; i < t->nsites; i++)
		if (t->sites[i].insn == t->sites[i - 1].insn &&
		    t->sites[i].form != STATIC_KEY_SITE_UNVERIFIED) {
			t->sites[i].form = STATIC_KEY_SITE_UNVERIFIED;
			t->sites[i].reason = "a second record for this site";
		}
	return t;
}

/* Every verified site of a new table to its key's state, one batch. */
static void patch_table(struct sk_table *t)
{
	const char *off = writing_off();
	size_t n = 0;
	struct sk_site **sites = sc_mem_alloc((t->nsites + 1) * sizeof *sites);
	uint8_t *to = sc_mem_alloc((t->nsites + 1) * SC_MAX_INSN);
	int err = sites && to ? 0 : -ENOMEM;
	for (size_t i = 0; i < t->nsites && !err; i++) {
		struct sk_site *s = &t->sites[i];
		if (s->form != STATIC_KEY_SITE_TEST)
			continue;
		if (off) {
			s->reason = off;
			continue;
		}
		int c = __atomic_load_n(&s->key->var->enabled,
					__ATOMIC_ACQUIRE);
		if (!wanted(s, c, to + n * SC_MAX_INSN)) {
			s->reason = "label out of the jump's range";
			continue;
		}
		sites[n++] = s;
	}
	if (!err)
		err = write_sites(sites, to, n);
	if (err) {
		sc_log(SC_LOG_WARN,
		       "%s: static key sites not written (%s): they keep "
		       "their load and test",
		       t->obj->name, strerrorname_np(-err));
		for (size_t i = 0; i < n; i++)
			sites[i]->reason = "its object's batch could not be "
					   "written at registration";
	}
	sc_mem_free(sites);
	sc_mem_free(to);
}

void sc_own_jump_register(const void *begin, const void *end)
{
	sigset_t saved;
	if (!begin || sc_lock(&saved))
		return; /* the sites keep their load and test */
	for (struct sk_table *t = tables; t; t = t->next)
		if ((const void *)t->begin == begin)
			goto out; /* one table per object, however many
				     constructors run */
	struct sk_table *t = load_table(begin, end);
	if (!t)
		goto out;
	if (attach(t)) {
		sc_log(SC_LOG_ERROR,
		       "%s: out of memory: static key sites "
		       "keep their load and test",
		       t->obj->name);
		table_free(t);
		goto out;
	}
	t->next = tables;
	tables = t;
	patch_table(t);
	sc_log(SC_LOG_INFO, "registered %s: %zu static key sites", t->obj->name,
	       t->nsites);
out:
	sc_unlock(&saved);
}

static const char *form_name(int form)
{
	switch (form) {
	case STATIC_KEY_SITE_TEST:
		return "load-and-test";
	case STATIC_KEY_SITE_NOP:
		return "nop";
	case STATIC_KEY_SITE_JUMP:
		return "jump";
	}
	return "unverified";
}

/* STATICCALL_REPORT=1: when an object's table goes away (at exit, or
 * dlclose), each of its static key sites (form, and why it is not patched),
 * then a summary line. Under the lock. */
static void report_table(const struct sk_table *t)
{
	if (!sc_env()->report_at_exit)
		return;
	struct sc_namer code = { 0 }, keys = { 0 };
	size_t count[4] = { 0 };
	for (size_t i = 0; i < t->nsites; i++) {
		const struct sk_site *s = &t->sites[i];
		char where[160], label[160], kname[128] = "?";
		sc_namer_name(&code, s->insn, where, sizeof where);
		sc_namer_name(&code, s->target, label, sizeof label);
		if (s->var)
			sc_namer_name(&keys, s->var, kname, sizeof kname);
		sc_log_report("static key site %s:%s (%p) key %s %s: %s, "
			      "label %s%s%s",
			      t->obj->name, where, (void *)s->insn, kname,
			      s->likely ? "likely" : "unlikely",
			      form_name(s->form), label, s->reason ? ": " : "",
			      s->reason ? s->reason : "");
		count[s->form < 4 ? s->form : STATIC_KEY_SITE_UNVERIFIED]++;
	}
	sc_namer_done(&code);
	sc_namer_done(&keys);
	sc_log_report("report: %s: %zu static key sites, %zu nop, %zu jump, "
		      "%zu load-and-test, %zu unverified",
		      t->obj->name, t->nsites, count[STATIC_KEY_SITE_NOP],
		      count[STATIC_KEY_SITE_JUMP], count[STATIC_KEY_SITE_TEST],
		      count[STATIC_KEY_SITE_UNVERIFIED]);
}

void sc_own_jump_unregister(const void *begin)
{
	if (sc_lock_held_by_me())
		return;
	sc_verify_at_exit(); /* STATICCALL_VERIFY: before the first object goes */
	sigset_t saved;
	if (sc_lock(&saved))
		return;
	struct sk_table **pp = &tables;
	while (*pp && (const void *)(*pp)->begin != begin)
		pp = &(*pp)->next;
	struct sk_table *t = *pp;
	if (t) {
		*pp = t->next;
		report_table(t);
		table_free(t);
	}
	sc_unlock(&saved);
}

/* ---- changing a key ---------------------------------------------------- */

/* Every patched site of k to the state of count c, one batch. */
static int patch_key(struct sk_key *k, int c)
{
	struct sk_site **sites = sc_mem_alloc((k->nsites + 1) * sizeof *sites);
	uint8_t *to = sc_mem_alloc((k->nsites + 1) * SC_MAX_INSN);
	size_t n = 0;
	int err = sites && to ? 0 : -ENOMEM;
	for (size_t i = 0; i < k->nsites && !err; i++) {
		struct sk_site *s = k->sites[i];
		if (s->form == STATIC_KEY_SITE_TEST)
			continue; /* reads the count */
		if (!wanted(s, c, to + n * SC_MAX_INSN))
			err = -ERANGE; /* was in range at registration */
		sites[n++] = s;
	}
	if (!err && n && writing_off())
		err = -EPERM; /* sealed after these sites were written */
	if (!err)
		err = write_sites(sites, to, n);
	sc_mem_free(sites);
	sc_mem_free(to);
	return err;
}

static const char *op_name(int op)
{
	static const char *const names[] = { "enable", "disable", "inc",
					     "dec" };
	return op >= 0 && op < 4 ? names[op] : "?";
}

int sc_own_key_change(void *var, int op)
{
	if (!key_ok(var))
		return -EINVAL;
	if (sc_sealed() & STATIC_CALL_SEAL_UPDATES)
		return -EPERM;
	sigset_t saved;
	if (sc_lock(&saved))
		return -EDEADLK;
	int *cnt = &((struct static_key *)var)->enabled;
	int c = __atomic_load_n(cnt, __ATOMIC_ACQUIRE), n = c;
	int err = sc_key_count_next(c, op, &n);
	struct sk_key *k = key_find(var);
	if (!err && k && (c > 0) != (n > 0))
		err = patch_key(k, n);
	if (!err)
		__atomic_store_n(cnt, n, __ATOMIC_RELEASE);
	/* a refused count (-ERANGE) is the caller's error, returned */
	sc_log(err && err != -ERANGE ? SC_LOG_WARN : SC_LOG_INFO,
	       "static key %p %s: count %d -> %d%s%s, %zu sites", var,
	       op_name(op), c, err ? c : n, err ? ": refused, " : "",
	       err ? strerrorname_np(-err) : "", k ? k->nsites : 0);
	sc_unlock(&saved);
	return err;
}

int sc_keys_seal_code(void)
{
	size_t total = 0;
	for (struct sk_table *t = tables; t; t = t->next)
		total += t->nsites;
	struct sk_site **sites = sc_mem_alloc((total + 1) * sizeof *sites);
	uint8_t *to = sc_mem_alloc((total + 1) * SC_MAX_INSN);
	size_t n = 0;
	int err = sites && to ? 0 : -ENOMEM;
	for (struct sk_table *t = tables; t && !err; t = t->next)
		for (size_t i = 0; i < t->nsites; i++) {
			struct sk_site *s = &t->sites[i];
			if (s->form == STATIC_KEY_SITE_NOP ||
			    s->form == STATIC_KEY_SITE_JUMP) {
				memcpy(to + n * SC_MAX_INSN, s->compiled,
				       SC_MAX_INSN);
				sites[n++] = s;
			}
		}
	if (!err)
		err = write_sites(sites, to, n);
	for (size_t i = 0; i < n && !err; i++)
		sites[i]->reason = SC_REASON_SEALED;
	sc_mem_free(sites);
	sc_mem_free(to);
	return err;
}

/* ---- introspection ----------------------------------------------------- */

int sc_own_key_sites(const void *var, struct static_key_site_info *buf,
		     size_t n)
{
	sigset_t saved;
	if (sc_lock(&saved))
		return -EDEADLK;
	struct sk_key *k = key_find(var);
	size_t total = k ? k->nsites : 0;
	for (size_t i = 0; i < total && i < n; i++) {
		const struct sk_site *s = k->sites[i];
		buf[i] = (struct static_key_site_info){
			.address = s->insn,
			.target = s->target,
			.object = s->table->obj->name,
			.reason = s->reason,
			.form = s->form,
			.likely = s->likely,
		};
	}
	sc_unlock(&saved);
	return total > INT_MAX ? INT_MAX : (int)total;
}

int sc_keys_verify(size_t *checked)
{
	int stale = 0;
	unsigned len = site_len();
	for (const struct sk_table *t = tables; t; t = t->next)
		for (size_t i = 0; i < t->nsites; i++) {
			const struct sk_site *s = &t->sites[i];
			if (s->form == STATIC_KEY_SITE_UNVERIFIED)
				continue;
			++*checked;
			uint64_t word = sc_code_load64(
				(uint64_t *)((uintptr_t)s->insn & ~7ul));
			const uint8_t *live =
				(uint8_t *)&word + ((uintptr_t)s->insn & 7);
			uint8_t want[SC_MAX_INSN];
			const char *why = NULL;
			int c = __atomic_load_n(&s->var->enabled,
						__ATOMIC_ACQUIRE);
			if (memcmp(live, s->bytes, len))
				why = "does not hold what the runtime wrote";
			else if (s->form != STATIC_KEY_SITE_TEST &&
				 (!wanted(s, c, want) ||
				  memcmp(want, s->bytes, len)))
				why = "is not in the form its key's count asks";
			if (!why)
				continue;
			stale++;
			sc_log(SC_LOG_ERROR,
			       "stale static key site %p (%s, %s): %s (key %p, "
			       "count %d)",
			       (void *)s->insn, t->obj->name,
			       form_name(s->form), why, (void *)s->var, c);
		}
	return stale;
}
