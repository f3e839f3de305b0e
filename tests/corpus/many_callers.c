/* One key called from many functions (noinline, inlinable, static). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int id(int x) { return x; }
static int neg(int x) { return -x; }
static int plus7(int x) { return x + 7; }
int (*STATIC_CALL hk)(int) = id;

#define CALLER(n)                                                             \
	__attribute__((noinline)) int caller##n(int x)                        \
	{                                                                     \
		return hk(x * n) + n;                                         \
	}                                                                     \
	static inline int inl##n(int x) { return hk(x + n); }

CALLER(1) CALLER(2) CALLER(3) CALLER(4) CALLER(5) CALLER(6) CALLER(7)
CALLER(8) CALLER(9) CALLER(10) CALLER(11) CALLER(12) CALLER(13) CALLER(14)
CALLER(15) CALLER(16)

static int (*const callers[])(int) = {
	caller1, caller2, caller3, caller4, caller5, caller6, caller7, caller8,
	caller9, caller10, caller11, caller12, caller13, caller14, caller15,
	caller16,
};

__attribute__((noinline)) int inlined_all(int x)
{
	return inl1(x) + inl2(x) + inl3(x) + inl4(x) + inl5(x) + inl6(x) +
	       inl7(x) + inl8(x) + inl9(x) + inl10(x) + inl11(x) + inl12(x) +
	       inl13(x) + inl14(x) + inl15(x) + inl16(x);
}

static void show(const char *when)
{
	long s = 0;
	printf("%s:", when);
	for (int i = 0; i < 16; i++) {
		int r = callers[i](i);
		s += r;
		printf(" %d", r);
	}
	printf(" | %ld %d\n", s, inlined_all(3));
}

int main(void)
{
	SC_LIVE_KEY(hk);
	show("initial");
	SC_UPDATE(hk, neg);
	show("neg");
	SC_UPDATE(hk, plus7);
	show("plus7");
	SC_UPDATE(hk, id);
	show("id");
	struct static_call_site_info info[1];
	int n = static_call_sites(hk, info, 0);
	/* plugin: at least the 16 noinline callers; plain build: 0 */
	printf("sites ok: %d\n", n == 0 || n >= 17);
	return sc_live_exit();
}
