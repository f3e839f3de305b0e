/*
 * badkey_main LIB - dlopen a library whose table names a bad key address
 * (badkey_lib.S): no crash, and its good key is patched as usual.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "staticcall.h"

static int twice(int x) { return 2 * x; }

int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	void **good = dlsym(h, "bk_good");
	int (*call_good)(int) = (int (*)(int))dlsym(h, "bk_call_good");
	void *site_good = dlsym(h, "bk_site_good");
	void *add1 = dlsym(h, "bk_add1");
	int bad = 0;
	/* registration patched the good key's site: direct to bk_add1 */
	struct static_call_site_info si[4];
	int n = __staticcall_list_sites(good, si, 4);
	if (n != 1 || si[0].address != site_good ||
	    si[0].form != STATIC_CALL_SITE_DIRECT || si[0].reaches != add1)
		bad++;
	if (call_good(4) != 5)
		bad++;
	/* and it follows updates (twice may be out of the site's range) */
	if (__staticcall_update(good, (void *)twice) || call_good(4) != 8)
		bad++;
	if (__staticcall_list_sites(good, si, 4) != 1 ||
	    si[0].reaches != (void *)twice)
		bad++;
	if (static_call_verify() != 0)
		bad++;
	dlclose(h);
	printf("badkey: %d sites of the good key, %d problems\n", n, bad);
	return bad;
}
