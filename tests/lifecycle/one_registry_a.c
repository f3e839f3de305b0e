/* Library A: defines key `ka`, calls it, and carries its own static copy of
 * the runtime (linked -Bsymbolic, so it calls that copy, not B's). */
#include "staticcall.h"

static int a_default(int x) { return x + 1; }
int (*STATIC_CALL ka)(int) = a_default;

int triple(int x) { return 3 * x; }

int a_call(int x) { return ka(x) + 0 * x; }

/* Sites of ka as seen through A's copy of the runtime. */
int a_sites(struct static_call_site_info *buf, size_t n)
{
	return static_call_sites(ka, buf, n);
}
