/* Built with Clang into the executable: updates the key defined in the
 * Clang library and called from GCC and Clang code in both objects. */
#include <stdio.h>

#include "staticcall.h"

extern int (*STATIC_CALL mixed_key)(int);
int lib_call(int), gcc_call(int), lib_default(int);
static int exe_b(int x) { return x + 7; }

int clang_call(int x) { return mixed_key(x) - 1; }

int main(void)
{
	int bad = 0;
	if (lib_call(1) != 101 || gcc_call(1) != 202 || clang_call(1) != 100)
		bad++;
	if (static_call_update(mixed_key, exe_b) != 0)
		bad++;
	if (lib_call(1) != 8 || gcc_call(1) != 16 || clang_call(1) != 7)
		bad++;
	struct static_call_site_info si[16];
	int n = static_call_sites(mixed_key, si, 16), verified = 0;
	for (int i = 0; i < n && i < 16; i++) {
		printf("site in %s: %s%s%s\n", si[i].object,
		       static_call_form_name(si[i].form), si[i].reason ? ": " : "",
		       si[i].reason ? si[i].reason : "");
		if (si[i].form != STATIC_CALL_SITE_UNVERIFIED &&
		    si[i].reaches == (void *)exe_b)
			verified++;
	}
	/* the executable's own sites are in range of exe_b: direct */
	for (int i = 0; i < n && i < 16; i++)
		if (si[i].form == STATIC_CALL_SITE_UNVERIFIED)
			bad++;
	printf("%d sites, %d reach the new target, %d problems\n", n, verified, bad);
	return bad || n < 3 || verified != n;
}
