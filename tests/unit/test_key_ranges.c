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
