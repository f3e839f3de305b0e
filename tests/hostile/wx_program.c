/*
 * Under a W^X policy (run by wx_exec) the program stays correct on its
 * trampolines, updates still succeed, every site says why it is not
 * direct, and the runtime said so once on stderr (checked by the script).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
int (*STATIC_CALL wk)(int) = a;

__attribute__((noinline)) int call(int x) { return wk(x); }
__attribute__((noinline)) int tail(int x) { return wk(x + 1); }

int main(void)
{
	int bad = 0;
	/* the policy is really in force */
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		printf("W^X policy not in force\n");
		return 1;
	}
	for (int i = 0; i < 100; i++) {
		int (*fn)(int) = (i & 1) ? b : a;
		if (static_call_update(wk, fn) != 0)
			bad++;
		if (call(5) != fn(5) || tail(5) != fn(6))
			bad++;
	}
	struct static_call_site_info si[8];
	int n = static_call_sites(wk, si, 8);
	for (int i = 0; i < n && i < 8; i++)
		if (si[i].form != STATIC_CALL_SITE_TRAMPOLINE || !si[i].reason ||
		    !strstr(si[i].reason, "W^X"))
			bad++;
	printf("%d sites, %d problems: %s\n", n, bad,
	       n > 0 && si[0].reason ? si[0].reason : "-");
	return bad || n < 2;
}
