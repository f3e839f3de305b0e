/*
 * The text writer's protocol, watched step by step through injected
 * operations: verify everything, open pages, one CAS per word, restore the
 * exact protections, one core sync; and on any failure, nothing changed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

enum ev_kind { EV_OPEN, EV_CAS, EV_RESTORE, EV_SYNC };
struct event {
	enum ev_kind kind;
	uintptr_t addr;
	size_t len;
	int prot;
	uint64_t expect, value;
	int ok;
};

static struct event ev[256];
static int nev;
static int fail_open_at = -1, fail_cas_at = -1, nopen, ncas;
static int opened_now; /* pages currently writable (simulated) */

static int t_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	ev[nev++] = (struct event){ EV_OPEN, p, l, prot, 0, 0, 1 };
	if (nopen++ == fail_open_at)
		return -EACCES;
	opened_now++;
	return 0;
}
static int t_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	ev[nev++] = (struct event){ EV_RESTORE, p, l, prot, 0, 0, 1 };
	opened_now--;
	return 0;
}
static int t_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	int ok = ncas++ != fail_cas_at && *w == e;
	cr_assert_gt(opened_now, 0, "a word was written while no page was writable");
	if (ok)
		*w = v;
	ev[nev++] = (struct event){ EV_CAS, (uintptr_t)w, 8, 0, e, v, ok };
	return ok;
}
static void t_sync(void *c)
{
	(void)c;
	ev[nev++] = (struct event){ EV_SYNC, 0, 0, 0, 0, 0, 1 };
}
static const struct sc_text_ops test_ops = { t_open, t_restore, t_cas, t_sync, NULL };

static uint64_t *pages;   /* 3 pages of fake code */
static uint64_t *words[6];
static uint64_t orig[6];
static struct sc_write writes[6];

static void setup(void)
{
	size_t ps = sc_page_size();
	pages = aligned_alloc(ps, 3 * ps);
	cr_assert_not_null(pages);
	memset(pages, 0x90, 3 * ps);
	/* two words on page 0, one on page 1, two on page 2 (non-contiguous
	 * with page 0's run only if page 1 were missing) */
	size_t at[6] = { 0, 64, ps + 8, 2 * ps, 2 * ps + 4088, 16 };
	for (int i = 0; i < 6; i++) {
		uint64_t *w = (uint64_t *)((char *)pages + at[i]);
		*w = orig[i] = 0x1111111100000000ull | (uint64_t)i;
		words[i] = w;
		writes[i] = (struct sc_write){ w, orig[i],
					       0x2222222200000000ull | (uint64_t)i,
					       2, 1, PROT_READ | PROT_EXEC };
	}
	nev = nopen = ncas = opened_now = 0;
	fail_open_at = fail_cas_at = -1;
	sc_set_text_ops(&test_ops);
}
static void teardown(void)
{
	sc_set_text_ops(NULL);
	free(pages);
}

TestSuite(text_writer, .init = setup, .fini = teardown);

static int count(enum ev_kind k)
{
	int n = 0;
	for (int i = 0; i < nev; i++)
		n += ev[i].kind == k;
	return n;
}

Test(text_writer, batch_order_and_exact_restore)
{
	cr_assert_eq(sc_text_apply(writes, 6), 0);
	/* opens, then CASes, then restores, then exactly one sync */
	int phase = EV_OPEN;
	for (int i = 0; i < nev; i++) {
		cr_assert_geq((int)ev[i].kind, phase, "event %d out of order", i);
		phase = ev[i].kind;
	}
	cr_assert_eq(count(EV_SYNC), 1);
	cr_assert_eq(count(EV_CAS), 6);
	/* pages 0,1,2 are contiguous with equal protection: one run */
	cr_assert_eq(count(EV_OPEN), 1);
	cr_assert_eq(count(EV_RESTORE), 1);
	for (int i = 0; i < nev; i++)
		if (ev[i].kind == EV_OPEN || ev[i].kind == EV_RESTORE) {
			cr_assert_eq(ev[i].addr, (uintptr_t)pages);
			cr_assert_eq(ev[i].len, 3 * sc_page_size());
			cr_assert_eq(ev[i].prot, PROT_READ | PROT_EXEC);
		}
	for (int i = 0; i < 6; i++)
		cr_assert_eq(*words[i], writes[i].new_value);
	cr_assert_eq(opened_now, 0);
}

Test(text_writer, each_store_is_old_or_new_whole_word)
{
	cr_assert_eq(sc_text_apply(writes, 6), 0);
	/* The only intermediate states another thread can see are the words
	 * between CASes: each word is either its old or its new value. */
	for (int i = 0; i < nev; i++)
		if (ev[i].kind == EV_CAS) {
			cr_assert_eq(ev[i].addr % 8, 0, "unaligned store");
			int found = 0;
			for (int j = 0; j < 6; j++)
				if ((uintptr_t)words[j] == ev[i].addr) {
					cr_assert_eq(ev[i].expect, 0x1111111100000000ull | (uint64_t)j);
					cr_assert_eq(ev[i].value, writes[j].new_value);
					found = 1;
				}
			cr_assert(found, "store to an address outside the batch");
		}
}

Test(text_writer, verify_before_any_write)
{
	*words[4] = 0xcc; /* a breakpoint appeared */
	cr_assert_eq(sc_text_apply(writes, 6), -EBUSY);
	cr_assert_eq(count(EV_OPEN), 0);
	cr_assert_eq(count(EV_CAS), 0);
	for (int i = 0; i < 6; i++)
		if (i != 4)
			cr_assert_eq(*words[i], orig[i]);
}

Test(text_writer, cas_failure_rolls_back_everything)
{
	fail_cas_at = 3;
	cr_assert_eq(sc_text_apply(writes, 6), -EBUSY);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(*words[i], orig[i], "word %d not restored", i);
	cr_assert_eq(count(EV_RESTORE), count(EV_OPEN));
	cr_assert_eq(count(EV_SYNC), 1);
	cr_assert_eq(opened_now, 0);
}

Test(text_writer, refused_protection_changes_nothing)
{
	/* Split the pages into two runs with different protections so the
	 * second open can fail after the first succeeded. */
	writes[3].prot = writes[4].prot = PROT_EXEC;
	fail_open_at = 1;
	cr_assert_eq(sc_text_apply(writes, 6), -EACCES);
	cr_assert_eq(count(EV_CAS), 0);
	cr_assert_eq(count(EV_RESTORE), 1, "the run that was opened is restored");
	for (int i = 0; i < 6; i++)
		cr_assert_eq(*words[i], orig[i]);
}
