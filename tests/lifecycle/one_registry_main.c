/*
 * One patcher per process: two shared objects each link the runtime
 * statically and bind to their own copy (-Bsymbolic). An update made
 * through B's copy must re-target A's sites too, and both copies must
 * report the same sites: they share one registry and one lock.
 */
#include <stdio.h>

#include "staticcall.h"

int a_call(int), b_call(int), b_update(int (*)(int)), b_update_const(int);
int a_sites(struct static_call_site_info *, size_t);
int b_sites(struct static_call_site_info *, size_t);

/* In library A: near both libraries' sites (the executable may be more
 * than 2 GiB away, which would keep the sites on their trampolines). */
int triple(int x);

int main(void)
{
	struct static_call_site_info sa[8], sb[8];
	int fails = 0;
	if (a_call(1) != 2 || b_call(1) != 2)
		fails++, fprintf(stderr, "initial target wrong\n");
	if (b_update(triple) != 0)
		fails++, fprintf(stderr, "update failed\n");
	if (a_call(2) != 6 || b_call(2) != 6)
		fails++, fprintf(stderr, "calls after update wrong\n");
	int na = a_sites(sa, 8), nb = b_sites(sb, 8);
	if (na != 2 || nb != 2)
		fails++, fprintf(stderr, "A sees %d sites, B sees %d; expected 2 each\n",
				 na, nb);
	for (int i = 0; i < na && i < 8; i++) {
		printf("site in %s: %s%s%s\n", sa[i].object ? sa[i].object : "?",
		       static_call_form_name(sa[i].form), sa[i].reason ? ": " : "",
		       sa[i].reason ? sa[i].reason : "");
		if ((sa[i].form != STATIC_CALL_SITE_DIRECT &&
		     sa[i].form != STATIC_CALL_SITE_TAIL_JUMP) ||
		    sa[i].reaches != (void *)triple)
			fails++, fprintf(stderr, "site %p not direct to the new target\n",
					 sa[i].address);
	}
	/* return-constant through B's copy: both libraries' sites */
	if (b_update_const(77) != 0)
		fails++, fprintf(stderr, "update_const failed\n");
	if (a_call(2) != 77 || b_call(2) != 77)
		fails++, fprintf(stderr, "calls after update_const wrong: %d %d\n",
				 a_call(2), b_call(2));
	na = a_sites(sa, 8);
	for (int i = 0; i < na && i < 8; i++)
		printf("site in %s after update_const: %s\n",
		       sa[i].object ? sa[i].object : "?",
		       static_call_form_name(sa[i].form));
	printf("%s\n", fails ? "FAIL" : "PASS");
	return fails != 0;
}
