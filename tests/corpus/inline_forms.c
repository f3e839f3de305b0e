/* Inline forms: static_call_update_const and static_call_update_ret_arg
 * for integer and pointer return types, in call and tail position (tail
 * sites jump to the generated function), a constant that needs 64 bits
 * (a generated function at call sites too), -1 in 64 bits, argument 0
 * and argument 5; the key's value is a callable function doing the same
 * (called through a plain pointer below); back to real targets after. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static long big(int x) { return 1000L * x; }
static int small(int x) { return x + 1; }
static const char *name(int x) { return x ? "one" : "zero"; }
static long pick(long a, long b, long c, long d, long e, long f)
{
	return a + b + c + d + e + f;
}
static unsigned char byte(void) { return 0xab; }

long (*STATIC_CALL lk)(int) = big;
int (*STATIC_CALL ik)(int) = small;
const char *(*STATIC_CALL pk)(int) = name;
long (*STATIC_CALL ak)(long, long, long, long, long, long) = pick;
unsigned char (*STATIC_CALL bk)(void) = byte;

static const char hello[] = "hello";

__attribute__((noinline)) long call_l(int x) { return lk(x) + 1; }
__attribute__((noinline)) long tail_l(int x) { return lk(x); }
__attribute__((noinline)) int call_i(int x) { return ik(x) * 2; }
__attribute__((noinline)) const char *call_p(int x) { return pk(x); }
__attribute__((noinline)) long call_a(long v)
{
	return ak(v, 2, 3, 4, 5, 6) * 10 + ak(1, 2, 3, 4, 5, v);
}
__attribute__((noinline)) long tail_a(long v) { return ak(v, 2, 3, 4, 5, 6); }
__attribute__((noinline)) int call_b(void) { return bk() + 1; }

/* x86-64 with a plugin: at least one call site of key k holds `form`
 * inline, none of its tail sites does (silent: the plain build prints the
 * same). */
static int inlined(const void *k, int form)
{
#if defined(__STATICCALL_PLUGIN__) && defined(__x86_64__)
	struct static_call_site_info s[16];
	int n = __staticcall_list_sites(k, s, 16), seen = 0, fits = 0;
	for (int i = 0; i < n && i < 16; i++) {
		if (s[i].form == form && s[i].tail)
			return 0;
		seen += s[i].form == form;
		/* a call site inside one aligned word: one write changes it
		 * (Clang's anchored sites may straddle: they call instead) */
		fits += !s[i].tail && ((unsigned long)s[i].address & 7) <= 3;
	}
	return seen > 0 || !fits;
#else
	(void)k;
	(void)form;
	return 1;
#endif
}

/* What C says the calls return, checked here too: the plain build uses
 * the same generated functions, so matching it is not enough. */
static int wrong;
static void expect(long got, long want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "%s: %ld, not %ld\n", what, got, want);
		wrong = 1;
	}
}

static void show(const char *when)
{
	const char *p = call_p(1);
	/* the key's own value, called through a plain pointer */
	long (*plain)(int) = static_call_query(lk);
	printf("%s: %ld %ld %ld %d %s %ld %ld %d\n", when, call_l(7), tail_l(7),
	       plain(7), call_i(3), p ? p : "(null)", call_a(9), tail_a(9),
	       call_b());
}

int main(void)
{
	SC_LIVE_KEY(lk);
	SC_LIVE_KEY(ik);
	SC_LIVE_KEY(pk);
	SC_LIVE_KEY(ak);
	SC_LIVE_KEY(bk);
	show("targets");
	if (static_call_update_const(lk, 42) || static_call_update_const(ik, -5) ||
	    static_call_update_const(pk, hello) ||
	    static_call_update_ret_arg(ak, 0) ||
	    static_call_update_const(bk, 0xcd))
		return 1;
	SC_CHECK();
	show("constants, argument 0");
	expect(call_l(7), 43, "lk 42");
	expect(tail_l(7), 42, "lk 42, tail");
	expect(call_i(3), -10, "ik -5");
	expect(call_a(9), 91, "ak arg 0");
	expect(tail_a(9), 9, "ak arg 0, tail");
	expect(call_b(), 0xce, "bk 0xcd");
	expect(call_p(0) == hello, 1, "pk hello");
	if (!inlined(&lk, STATIC_CALL_SITE_RETURN_CONST) ||
	    !inlined(&bk, STATIC_CALL_SITE_RETURN_CONST) ||
	    !inlined(&ak, STATIC_CALL_SITE_RETURN_ARG))
		return 2;
	if (static_call_update_const(lk, -1L) ||
	    static_call_update_const(ik, 0x3fffffff) ||
	    static_call_update_ret_arg(ak, 5))
		return 1;
	SC_CHECK();
	show("-1, 0x3fffffff, argument 5");
	expect(call_l(7), 0, "lk -1");
	expect(tail_l(7), -1, "lk -1, tail");
	expect(call_i(3), 0x7ffffffe, "ik 0x3fffffff");
	expect(call_a(9), 69, "ak arg 5");
	if (!inlined(&lk, STATIC_CALL_SITE_RETURN_CONST) ||
	    !inlined(&ak, STATIC_CALL_SITE_RETURN_ARG))
		return 3;
	if (static_call_update_const(lk, 0x123456789abcL) ||
	    static_call_update_const(lk, -2L) ||
	    static_call_update_const(ik, 0))
		return 1;
	SC_CHECK();
	show("64-bit constants, zero");
	expect(call_l(7), -1, "lk -2");
	expect(tail_l(7), -2, "lk -2, tail");
	expect(call_i(3), 0, "ik 0");
	/* the same value again: the same generated function */
	void *before = (void *)static_call_query(lk);
	if (static_call_update_const(lk, 0x123456789abcL) ||
	    static_call_update_const(lk, -2L) ||
	    (void *)static_call_query(lk) != before)
		return 1;
	/* the runtime's own check, past the macro's (n must be a constant:
	 * a constant this large is the plugins' compile error) */
	volatile int beyond = 8;
	if (__staticcall_update_ret_arg((void *)&ak, beyond) != -22) /* EINVAL */
		return 1;
	SC_UPDATE(lk, big);
	SC_UPDATE(ik, small);
	SC_UPDATE(pk, name);
	SC_UPDATE(ak, pick);
	SC_UPDATE(bk, byte);
	show("targets again");
	return wrong ? 4 : sc_live_exit();
}
