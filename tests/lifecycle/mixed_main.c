/* Built with Clang into the executable: updates the key defined in the
 * Clang library and called from GCC and Clang code in both objects. */
#include <stdio.h>

#include "staticcall.h"

extern int (*STATIC_CALL mixed_key)(int);
int lib_call(int), gcc_call(int), lib_default(int);
static int exe_b(int x) { return x + 7; }

int clang_call(int x) { return mixed_key(x) - 1; }

struct mixed_ops { long pad; int (*STATIC_CALL op)(int); };
extern struct mixed_ops mixed_ops;
int lib_op(int), gcc_op(int);
void gcc_set_op(struct mixed_ops *o, int (*f)(int));
static struct mixed_ops *volatile ops_ptr = &mixed_ops;
int clang_op(int x) { return mixed_ops.op(x) - 1; }

/* Every site of the field key, from both compilers, reaches `want`. */
static int field_sites_reach(void *want)
{
	struct static_call_site_info si[16];
	int n = static_call_sites(mixed_ops.op, si, 16), bad = 0;
	for (int i = 0; i < n && i < 16; i++)
		if (si[i].form == STATIC_CALL_SITE_UNVERIFIED || si[i].reaches != want)
			bad++;
	printf("field key: %d sites, %d not reaching %p\n", n, bad, want);
	return bad || n < 3;
}

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
	if (lib_op(1) != 101 || gcc_op(1) != 202 || clang_op(1) != 100)
		bad++;
	if (static_call_update(mixed_ops.op, exe_b) != 0 || field_sites_reach((void *)exe_b))
		bad++;
	gcc_set_op(ops_ptr, lib_default);
	if (lib_op(1) != 101 || gcc_op(1) != 202 || clang_op(1) != 100 ||
	    field_sites_reach((void *)lib_default))
		bad++;
	printf("%d sites, %d reach the new target, %d problems\n", n, verified, bad);
	return bad || n < 3 || verified != n;
}
