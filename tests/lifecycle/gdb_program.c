/* Under gdb: a breakpoint on a function called between updates, hit and
 * continued every time; updates and calls keep working. Then a breakpoint
 * on a site itself: updates of that key are refused (-EBUSY) while gdb's
 * int3 is there, never written over. */
#include <errno.h>
#include <stdio.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
int (*STATIC_CALL gk)(int) = a;

__attribute__((noinline)) int call(int x) { return gk(x); }
__attribute__((noinline)) void checkpoint(int i) { __asm__ volatile("" ::"r"(i)); }

int main(void)
{
	int bad = 0;
	for (int i = 0; i < 20; i++) {
		int (*fn)(int) = (i & 1) ? b : a;
		checkpoint(i);
		if (static_call_update(gk, fn) != 0 || call(5) != fn(5))
			bad++;
	}
	struct static_call_site_info si[4];
	int n = static_call_sites(gk, si, 4);
	printf("site %p\n", n > 0 ? si[0].address : NULL);
	fflush(stdout);
	checkpoint(-1); /* gdb puts a breakpoint on the site here */
	int rc = static_call_update(gk, a);
	printf("update with a breakpoint on the site: %d (%s)\n", rc,
	       rc == -EBUSY ? "refused" : "written");
	printf("%d problems\n", bad);
	return bad != 0;
}
