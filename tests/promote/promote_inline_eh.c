/*
 * promote_inline_eh.c - a unit that run.sh builds with -fexceptions and
 * promote-inline (with and without -flto, beside a unit without
 * -fexceptions, which is this file again with its functions renamed):
 * no call site of the first takes the inline form (its slow
 * path's call would have no entry in the call-site table an unwinding
 * exception reads; docs/PATCHING.md "Inline sites"). with_cleanup runs a
 * cleanup when an exception unwinds through it.
 */
typedef long (*fn_t)(long);

static void done(long *p)
{
	(void)p;
}

__attribute__((noinline)) long with_cleanup(fn_t f, long x)
{
	long c __attribute__((cleanup(done))) = x;
	return f(c) + 1;
}

__attribute__((noinline)) long plain_call(fn_t f, long x)
{
	return f(x) + 2;
}
