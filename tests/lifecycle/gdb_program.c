/* Under gdb: a breakpoint on a function called between updates, hit and
 * continued every time; updates and calls keep working. Then a breakpoint
 * on a site itself (gdb's int3 over its first byte): updates that keep the
 * site's opcode are written around it, so every call after gdb's restore
 * reaches the new target; a form change there falls back to an
 * opcode-keeping form (return-zero: a call of __staticcall_ret0); only a
 * change that must replace the first byte itself (the inline return-zero
 * form back to a call) is refused, -EBUSY, nothing changed; a plain store
 * there reports the site STALE. */
#include <errno.h>
#include <stdio.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
int (*STATIC_CALL gk)(int) = a;

/* not a tail call: the site is a call, whose return-zero form is inline */
__attribute__((noinline)) int call(int x)
{
	int r = gk(x);
	__asm__ volatile("" ::: "memory");
	return r;
}
__attribute__((noinline)) void checkpoint(int i) { __asm__ volatile("" ::"r"(i)); }

static int bad;

static void expect(const char *what, int got, int want)
{
	printf("%s: %d%s\n", what, got, got == want ? "" : " (WRONG)");
	bad += got != want;
}

int main(void)
{
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
	expect("update with a breakpoint on the site", static_call_update(gk, b), 0);
	expect("call through it", call(5), 10);
	expect("return-zero with a breakpoint on the site",
	       static_call_update_ret0(gk), 0);
	expect("call through it", call(5), 0);
	expect("back to a function", static_call_update(gk, a), 0);
	expect("call through it", call(5), 6);
	checkpoint(-2); /* gdb removes the breakpoint */
	expect("return-zero without a breakpoint", static_call_update_ret0(gk), 0);
	checkpoint(-3); /* gdb puts a breakpoint on the inline form */
	expect("update that must replace the breakpointed byte",
	       static_call_update(gk, a), -EBUSY);
	expect("key unchanged", static_call_query(gk) == (void *)__staticcall_ret0, 1);
	/* a plain store cannot be refused: the site is reported STALE */
	gk = b;
	fflush(stdout);
	checkpoint(-4); /* gdb removes it */
	expect("resync after the breakpoint went", static_call_resync(), 0);
	expect("call", call(5), 10);
	expect("update", static_call_update(gk, a), 0);
	expect("call", call(5), 6);
	printf("%d problems\n", bad);
	return bad != 0;
}
