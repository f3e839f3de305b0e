/*
 * promote_rate.c - demotion by miss rate (tests/promote/run.sh): one site
 * calls t0 95% of the time and 12 others the rest. Its misses reach the
 * demotion limit again and again; with hit counters (the default) they
 * stay rare next to its hits and the site keeps its stub (no demotion);
 * without (STATICCALL_PROMOTE_COUNT=0) it is demoted, by its miss count.
 * Prints "rate: STATE demotions=N kept=N hits=N misses=N".
 */
#include <stdio.h>

#include "staticcall/promote.h"

typedef long (*fn)(long);
#define F(n)                                        \
	__attribute__((noinline)) long t##n(long x) \
	{                                           \
		__asm__ volatile("");               \
		return x ^ n;                       \
	}
F(0)
F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12)

	static fn volatile table[13] = { t0, t1, t2, t3,  t4,  t5, t6,
					 t7, t8, t9, t10, t11, t12 };

__attribute__((noinline)) long site(fn f, long x)
{
	return f(x) + 1;
}

int main(void)
{
	long s = 0;
	unsigned r = 7;
	for (long i = 0; i < 3000000; i++) {
		r = r * 1103515245u + 12345u;
		unsigned k = (r >> 16) % 240;
		s += site(table[k < 228 ? 0 : 1 + k % 12], i);
	}
	struct static_call_promote_site_info si[4];
	int n = static_call_promote_sites(si, 4);
	for (int i = 0; i < n && i < 4; i++)
		if (si[i].address > (void *)site &&
		    si[i].address < (void *)((char *)site + 64))
			printf("rate: %s demotions=%lu kept=%lu hits=%lu "
			       "misses=%lu (%ld)\n",
			       static_call_promote_state_name(si[i].state), si[i].demotions, si[i].kept,
			       si[i].hits[0], si[i].misses, s & 1);
	return 0;
}
