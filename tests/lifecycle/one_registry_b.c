/* Library B: calls A's key and updates it through its own static copy of
 * the runtime. */
#include "staticcall.h"

extern int (*STATIC_CALL ka)(int);

int b_call(int x) { return ka(x) + 0 * x; }

int b_update(int (*fn)(int)) { return static_call_update(ka, fn); }

int b_sites(struct static_call_site_info *buf, size_t n)
{
	return static_call_sites(ka, buf, n);
}

/* Inline forms through B's copy: the generated function and the inline
 * table are the serving copy's (A's), whose planner writes every site. */
int b_update_const(int v) { return static_call_update_const(ka, v); }
