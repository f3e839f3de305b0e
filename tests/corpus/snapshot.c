/* Values read from a key are values: a copy taken before an update still
 * calls the old target; a callee chosen between two keys is a plain
 * indirect call of whichever value was chosen; (*k)(x) and (k)(x) are
 * calls through the key like k(x). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int ta(int x) { return x + 1; }
static int tb(int x) { return x + 20; }
static int tc(int x) { return x + 300; }
int (*STATIC_CALL sk)(int) = ta;
int (*STATIC_CALL sj)(int) = tc;

static int (*volatile saved)(int);

__attribute__((noinline)) int old_then_new(int x)
{
	int (*copy)(int) = sk;      /* the target now */
	int r0 = sk(x);
	static_call_update(sk, sk == ta ? tb : ta);
	int r1 = copy(x);           /* must call the old target */
	int r2 = sk(x);             /* must call the new target */
	return r0 * 10000 + r1 * 100 + r2;
}

__attribute__((noinline)) int choose(int c, int x) { return (c ? sk : sj)(x); }
__attribute__((noinline)) int star(int x) { return (*sk)(x) + (sk)(x); }

int main(void)
{
	/* both are also read as values and called (choose, old_then_new);
	 * sj has no site of its own */
	sc_live_key_flags(&sk, "sk", SC_LIVE_VALUE_CALLS);
	sc_live_key_flags(&sj, "sj", SC_LIVE_NOSITES | SC_LIVE_VALUE_CALLS);
	printf("choose: %d %d star=%d\n", choose(1, 1), choose(0, 1), star(1));
	printf("old_then_new: %d\n", old_then_new(1));
	SC_CHECK();
	printf("old_then_new: %d\n", old_then_new(2));
	SC_CHECK();
	saved = sk;
	SC_UPDATE(sk, tc);
	printf("saved=%d now=%d choose: %d %d\n", saved(5), sk(5), choose(1, 2),
	       choose(0, 2));
	SC_UPDATE(sj, ta);
	printf("choose: %d %d star=%d\n", choose(1, 3), choose(0, 3), star(3));
	return sc_live_exit();
}
