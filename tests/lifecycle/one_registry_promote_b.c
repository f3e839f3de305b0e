/* Library B of the promotion case: promotable indirect calls, its own
 * static copy of the runtime (-Bsymbolic), loaded after library A, whose
 * copy serves the process. */
#include "staticcall/promote.h"

static int add1(int x)
{
	return x + 1;
}
static int twice(int x)
{
	return 2 * x;
}
int (*volatile bp_fns[2])(int) = { add1, twice };

long bp_calls(int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += bp_fns[(i >> 10) & 1](i);
	return s;
}

/* Objects with promoted sites, as B's copy sees them. */
int bp_objects(void)
{
	struct static_call_promote_stats st;
	if (static_call_promote_stats(&st))
		return -1;
	return (int)st.objects;
}
