/*
 * Many keys patched in one batch (sc_patch_keys, what registration of an
 * object does): the pages are opened and restored once per page run and
 * the cores synced at most once per phase, however many keys there are.
 * Counted through injected text operations.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define NKEYS 64
#define PER_KEY 8
#define NSITES (NKEYS * PER_KEY)

static int nopen, nrestore, nsync, ncas;

static int c_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c; (void)p; (void)l; (void)prot;
	nopen++;
	return 0;
}
static int c_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c; (void)p; (void)l; (void)prot;
	nrestore++;
	return 0;
}
static int fail_cas_at; /* the CAS (1-based) that finds another writer */

static int c_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	if (fail_cas_at && ncas + 1 == fail_cas_at) {
		fail_cas_at = 0;
		return 0;
	}
	if (*w != e)
		return 0;
	*w = v;
	ncas++;
	return 1;
}
static void c_sync(void *c)
{
	(void)c;
	nsync++;
}
static const struct sc_text_ops count_ops = { c_open, c_restore, c_cas,
					       c_sync, NULL };

/* Two pages of fake code: NSITES calls 8 bytes apart on the first (site
 * i belongs to key i % NKEYS: the keys interleave, as in a real
 * program), the keys' trampoline slots on the second. */
static uint8_t *text;
static struct sc_object obj;
static struct sc_tramp tramps[NKEYS];
static struct sc_site sites[NSITES];
static struct sc_site *site_ptrs[NKEYS][PER_KEY];
static struct sc_tramp *tramp_ptrs[NKEYS];
static struct sc_key keys[NKEYS];
static void *vars[NKEYS];

static void put_call(uint8_t *insn, const void *dest)
{
	int32_t rel = (int32_t)((intptr_t)dest - (intptr_t)(insn + 5));
	insn[0] = 0xe8;
	memcpy(insn + 1, &rel, 4);
}

static void setup(void)
{
	size_t ps = sc_page_size();
	cr_assert_geq(ps, (size_t)NSITES * 8);
	text = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(text, MAP_FAILED);
	memset(text, 0x90, 2 * ps);
	memset(&obj, 0, sizeof obj);
	obj.nsegs = 1;
	obj.segs[0] = (struct sc_segment){ (uintptr_t)text,
					   (uintptr_t)text + 2 * ps,
					   PROT_READ | PROT_EXEC };
	uint64_t slow = 0xcccccccccccc06ebull; /* the slot's slow path */
	for (int k = 0; k < NKEYS; k++) {
		struct sc_tramp *t = &tramps[k];
		memset(t, 0, sizeof *t);
		t->code.insn = text + ps + 16 * k;
		t->code.len = 8;
		t->code.kind = SC_INSN_SLOT;
		t->code.state = SC_CODE_OK;
		t->code.prot = PROT_READ | PROT_EXEC;
		memcpy(t->code.insn, &slow, 8);
		memcpy(t->code.bytes, &slow, 8);
		t->object = &obj;
		t->key = &keys[k];
		tramp_ptrs[k] = t;
		memset(&keys[k], 0, sizeof keys[k]);
		keys[k].var = &vars[k];
		keys[k].sites = site_ptrs[k];
		keys[k].tramps = &tramp_ptrs[k];
		keys[k].ntramps = 1;
	}
	for (int i = 0; i < NSITES; i++) {
		struct sc_site *s = &sites[i];
		struct sc_key *k = &keys[i % NKEYS];
		memset(s, 0, sizeof *s);
		s->code.insn = s->record_addr = text + 8 * i;
		put_call(s->code.insn, tramps[i % NKEYS].code.insn);
		s->code.len = 5;
		s->code.kind = SC_INSN_CALL;
		memcpy(s->code.bytes, s->code.insn, 5);
		sc_arch_keep_compiled(&s->code, s->code.insn);
		s->code.state = SC_CODE_OK;
		s->code.prot = PROT_READ | PROT_EXEC;
		s->tramp = &tramps[i % NKEYS];
		s->object = &obj;
		k->sites[k->nsites++] = s;
	}
	nopen = nrestore = nsync = ncas = 0;
	fail_cas_at = 0;
	sc_set_text_ops(&count_ops);
}

static void teardown(void)
{
	sc_set_text_ops(NULL);
	munmap(text, 2 * sc_page_size());
}

TestSuite(batch, .init = setup, .fini = teardown);

/* Where key k's calls go: a made-up function per key, in rel32 range. */
static void *target_of(int k)
{
	return text + 2 * sc_page_size() + 64 * k;
}

static void check_all_direct(void)
{
	for (int i = 0; i < NSITES; i++) {
		int32_t rel;
		cr_assert_eq(text[8 * i], 0xe8, "site %d is no call", i);
		memcpy(&rel, text + 8 * i + 1, 4);
		cr_assert_eq((void *)(text + 8 * i + 5 + rel), target_of(i % NKEYS),
			     "site %d does not call its key's target", i);
	}
}

Test(batch, many_keys_cost_one_batch)
{
	struct sc_key *kp[NKEYS];
	void *targets[NKEYS];
	for (int k = 0; k < NKEYS; k++) {
		kp[k] = &keys[k];
		targets[k] = target_of(k);
	}
	cr_assert_eq(sc_patch_keys(kp, targets, NKEYS, 0), 0);
	check_all_direct();
	/* both pages, contiguous, one protection: one run */
	cr_assert_eq(nopen, 1, "%d page runs opened for %d keys", nopen, NKEYS);
	cr_assert_eq(nrestore, 1);
	cr_assert_leq(nsync, SC_PHASES, "%d core syncs for %d keys", nsync,
		      NKEYS);
	cr_assert_geq(ncas, NSITES * 5 / 8, "too few words written: %d", ncas);

	/* Nothing left to change: a second batch writes nothing. */
	nopen = nrestore = nsync = ncas = 0;
	cr_assert_eq(sc_patch_keys(kp, targets, NKEYS, 0), 0);
	cr_assert_eq(nopen + nrestore + nsync + ncas, 0);
}

/* One key of the batch whose code changed behind the runtime's back:
 * an exact batch (an update) is refused, nothing written. */
Test(batch, all_or_nothing)
{
	struct sc_key *kp[NKEYS];
	void *targets[NKEYS];
	for (int k = 0; k < NKEYS; k++) {
		kp[k] = &keys[k];
		targets[k] = target_of(k);
	}
	uint8_t before[4096];
	memcpy(before, text, sizeof before);
	text[8 * (NSITES - 3) + 2] ^= 0x40; /* changed behind the runtime's back */
	before[8 * (NSITES - 3) + 2] ^= 0x40;
	cr_assert_eq(sc_patch_keys(kp, targets, NKEYS, SC_PATCH_EXACT), -EBUSY);
	cr_assert_eq(memcmp(text, before, sizeof before), 0);
	cr_assert_eq(ncas, 0);
	/* not exact (registration, stores): every other piece is written,
	 * the changed site is left alone (and reported stale) */
	cr_assert_eq(sc_patch_keys(kp, targets, NKEYS, 0), 0);
	cr_assert_eq(text[8 * (NSITES - 3) + 2], before[8 * (NSITES - 3) + 2]);
	for (int i = 0; i < NSITES - 3; i++) {
		int32_t rel;
		memcpy(&rel, text + 8 * i + 1, 4);
		cr_assert_eq((void *)(text + 8 * i + 5 + rel), target_of(i % NKEYS));
	}
}

/* sc_patch_key is the batch of one key. */
Test(batch, one_key)
{
	cr_assert_eq(sc_patch_key(&keys[5], target_of(5), 0), 0);
	cr_assert_eq(nopen, 1);
	cr_assert_eq(nrestore, 1);
	for (int i = 5; i < NSITES; i += NKEYS) {
		int32_t rel;
		memcpy(&rel, text + 8 * i + 1, 4);
		cr_assert_eq((void *)(text + 8 * i + 5 + rel), target_of(5));
	}
	int32_t rel;
	memcpy(&rel, text + 8 * 6 + 1, 4);
	cr_assert_eq((void *)(text + 8 * 6 + 5 + rel), tramps[6].code.insn,
		     "a site of another key changed");
}

/* Registration (sc_patch_object): the object's own sites and slots, each
 * to its key's value, in one batch planned in address order; a key that
 * was refused (no key) leaves its sites as compiled. */
Test(batch, object_batch)
{
	obj.sites = sites;
	obj.nsites = NSITES;
	obj.tramps = tramps;
	obj.ntramps = NKEYS;
	for (int k = 0; k < NKEYS; k++)
		vars[k] = target_of(k);
	tramps[7].key = NULL; /* refused */
	cr_assert_eq(sc_patch_object(&obj), 0);
	cr_assert_eq(nopen, 1, "%d page runs", nopen);
	cr_assert_leq(nsync, SC_PHASES);
	for (int i = 0; i < NSITES; i++) {
		int32_t rel;
		memcpy(&rel, text + 8 * i + 1, 4);
		void *want = i % NKEYS == 7 ? tramps[7].code.insn : target_of(i % NKEYS);
		cr_assert_eq((void *)(text + 8 * i + 5 + rel), want,
			     "site %d does not reach its key's value", i);
	}
	/* the slots follow their keys too (no longer the slow path) */
	uint64_t slow = 0xcccccccccccc06ebull;
	cr_assert_neq(memcmp(tramps[3].code.insn, &slow, 8), 0);
	cr_assert_eq(memcmp(tramps[7].code.insn, &slow, 8), 0);
	/* planned again: nothing to write */
	nopen = nrestore = nsync = ncas = 0;
	cr_assert_eq(sc_patch_object(&obj), 0);
	cr_assert_eq(nopen + ncas, 0);
}

/* A batch whose write found another writer is planned again (REPLANS):
 * a site left behind is reported once, not once per planning. */
Test(batch, left_behind_reported_once)
{
	struct sc_key *kp[NKEYS];
	void *targets[NKEYS];
	for (int k = 0; k < NKEYS; k++) {
		kp[k] = &keys[k];
		targets[k] = target_of(k);
	}
	int bad = NSITES - 3;
	text[8 * bad + 2] ^= 0x40; /* changed behind the runtime's back */
	fail_cas_at = 3;           /* the first write attempt fails */
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fds[1], 2);
	int err = sc_patch_keys(kp, targets, NKEYS, 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	char buf[16384];
	ssize_t n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = 0;
	cr_assert_eq(err, 0);
	cr_assert_eq(fail_cas_at, 0, "the injected write failure never happened");
	int reports = 0;
	for (char *q = buf; (q = strstr(q, "STALE site")); q++)
		reports++;
	cr_assert_eq(reports, 1, "%d stale reports for one site:\n%s", reports,
		     buf);
	for (int i = 0; i < NSITES; i++) {
		int32_t rel;
		if (i == bad)
			continue;
		memcpy(&rel, text + 8 * i + 1, 4);
		cr_assert_eq((void *)(text + 8 * i + 5 + rel), target_of(i % NKEYS));
	}
}
