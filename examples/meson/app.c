/*
 * app.c - the program every example builds: one key, two call sites
 * (a call and a tail call), an update, and the runtime's report of what
 * it patched. Exits 0 when every site reaches the new target directly, or
 * stays on its trampoline because its instruction straddles an 8-byte word
 * (Clang places sites anywhere; docs/PATCHING.md), or, built without a
 * plugin, when the plain indirect calls work.
 */
#include <staticcall.h>
#include <stdio.h>
#include <string.h>

static int add_one(int x) { return x + 1; }
static int twice(int x) { return x * 2; }

/* The key: a global function pointer marked STATIC_CALL. */
int (*STATIC_CALL op)(int) = add_one;

__attribute__((noinline)) int apply(int x) { return op(x) + 1; } /* call */
__attribute__((noinline)) int apply_tail(int x) { return op(x); } /* tail jump */

int main(void)
{
	if (static_call_update(op, twice) != 0) {
		fprintf(stderr, "static_call_update failed\n");
		return 1;
	}
	/* Lazy binding (the default, docs/GUIDE.md): a call site is patched
	 * the second time it runs; until then its trampoline reaches the key. */
	int ok = apply(20) == 41 && apply(20) == 41 && apply_tail(21) == 42 &&
		 apply_tail(21) == 42;

	struct static_call_site_info info[8];
	int n = static_call_sites(op, info, 8), direct = 0, straddling = 0;
	for (int i = 0; i < n && i < 8; i++) {
		direct += info[i].form == STATIC_CALL_SITE_DIRECT ||
			  info[i].form == STATIC_CALL_SITE_TAIL_JUMP;
		straddling += info[i].form == STATIC_CALL_SITE_TRAMPOLINE &&
			      info[i].reason && strstr(info[i].reason, "straddles");
		printf("site %p: %s%s%s\n", info[i].address,
		       static_call_form_name(info[i].form),
		       info[i].reason ? " - " : "",
		       info[i].reason ? info[i].reason : "");
	}
#ifdef __STATICCALL_PLUGIN__
	printf("sites: %d registered, %d direct\n", n, direct);
	return ok && n == 2 && direct + straddling == 2 ? 0 : 1;
#else
	printf("built without a staticcall plugin: plain indirect calls\n");
	return ok ? 0 : 1;
#endif
}
