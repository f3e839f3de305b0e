/* key_ranges.c: the lock-free answer to "might [addr, addr+len) hold a
 * key?" must never say no for a range that meets a registered span (a
 * stale site would follow), and says no for ranges that meet none. */
#include <criterion/criterion.h>

#include "internal.h"

Test(key_ranges, overlap_edges)
{
	int s = sc_ranges_add(0x1000, 0x1040);
	cr_assert(s >= 0);
	cr_expect(sc_ranges_may_hold(0x1000, 8));
	cr_expect(sc_ranges_may_hold(0x1038, 8));
	cr_expect(sc_ranges_may_hold(0xff8, 9), "ends one byte inside");
	cr_expect(!sc_ranges_may_hold(0xff8, 8), "ends right before");
	cr_expect(!sc_ranges_may_hold(0x1040, 64), "starts right after");
	cr_expect(sc_ranges_may_hold(0, 0x100000), "covers the span");
	cr_expect(sc_ranges_may_hold(0x1010, 1), "inside");
	cr_expect(sc_ranges_may_hold(UINTPTR_MAX - 4, 100) == 0,
		  "wrapping length far away");
	cr_expect(sc_ranges_may_hold(0x0, SIZE_MAX), "wrapping length covers");
	sc_ranges_remove(s);
	cr_expect(!sc_ranges_may_hold(0x1000, 0x40), "removed");
}

Test(key_ranges, slots_are_reused_and_overflow_answers_yes)
{
	int first = sc_ranges_add(0x10000, 0x10008);
	int second = sc_ranges_add(0x20000, 0x20008);
	cr_assert(first >= 0 && second >= 0 && first != second);
	sc_ranges_remove(first);
	cr_expect(!sc_ranges_may_hold(0x10000, 8));
	cr_expect(sc_ranges_may_hold(0x20000, 8));
	cr_expect_eq(sc_ranges_add(0x30000, 0x30008), first, "freed slot reused");
	int n = 0;
	while (sc_ranges_add(0x100000 + 0x100 * (uintptr_t)n,
			     0x100008 + 0x100 * (uintptr_t)n) >= 0)
		n++;
	cr_expect(n < 4096, "the table is bounded");
	/* full: every query must take the slow path */
	cr_expect(sc_ranges_may_hold(0x7000000, 8));
}

/* The plugins' inline check (docs/FIELD_KEYS.md): it must answer yes for
 * every range that meets a span, whatever the bounds. */
static int inline_meets(uintptr_t addr, size_t len)
{
	return addr < __staticcall_key_bounds[1] &&
	       addr + len > __staticcall_key_bounds[0];
}

Test(key_ranges, inline_bounds_cover_every_span)
{
	/* (the test binary may have registered objects of its own) */
	uintptr_t lo0 = __staticcall_key_bounds[0];
	uintptr_t hi0 = __staticcall_key_bounds[1];
	int a = sc_ranges_add(0x5000, 0x5010);
	int b = sc_ranges_add(0x9000, 0x9008);
	cr_assert(a >= 0 && b >= 0);
	cr_expect(inline_meets(0x5000, 8) && inline_meets(0x9000, 8));
	cr_expect(inline_meets(0x4ff8, 9) && inline_meets(0x9007, 1));
	uintptr_t lo = __staticcall_key_bounds[0];
	uintptr_t hi = __staticcall_key_bounds[1];
	cr_expect(lo <= 0x5000 && hi >= 0x9008, "bounds %#lx..%#lx",
		  (unsigned long)lo, (unsigned long)hi);
	/* narrowed only where membarrier pays for the writers' fence */
	if (lo == 0 && hi == UINTPTR_MAX)
		return;
	if (lo0 > hi0) { /* no span before ours */
		cr_expect(lo == 0x5000 && hi == 0x9008);
		cr_expect(!inline_meets(0x1000, 0x40), "below every span");
		cr_expect(!inline_meets(0x9008, 0x40), "above every span");
	}
	sc_ranges_remove(b);
	cr_expect(inline_meets(0x5008, 8), "a remaining span");
	sc_ranges_remove(a);
	if (lo0 || hi0 != UINTPTR_MAX) /* (narrowed before ours) */
		cr_expect(__staticcall_key_bounds[0] == lo0 &&
			  __staticcall_key_bounds[1] == hi0,
			  "narrowed on removal");
}
