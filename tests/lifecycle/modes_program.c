/*
 * modes_program MODE - the same program in each runtime mode; MODE says
 * what the environment asked for and what every site must then be:
 *   direct      (no switch)            sites direct, slot direct
 *   disabled    STATICCALL_DISABLE=1   sites on trampolines, slow path
 *   trampoline  STATICCALL_SITES=trampoline  sites on trampolines whose
 *                                      slots jump straight to the target
 *   late        (no switch at start-up; the program sets STATICCALL_DISABLE
 *               and STATICCALL_SITES=trampoline itself, as for a child it
 *               is about to spawn): sites direct, since the switches are
 *               read once, at start-up (runtime/env.c)
 * Calls must be correct in every mode. Also built with -static.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
int (*STATIC_CALL mk)(int) = a;

__attribute__((noinline)) int call(int x) { return mk(x); }
__attribute__((noinline)) int tail(int x) { return mk(x + 1); }

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "direct", *mode = name;
	int bad = 0;
	if (!strcmp(mode, "late")) {
		setenv("STATICCALL_DISABLE", "1", 1);
		setenv("STATICCALL_SITES", "trampoline", 1);
		mode = "direct"; /* what every site must still be */
	}
	for (int i = 0; i < 10; i++) {
		int (*fn)(int) = (i & 1) ? a : b;
		if (static_call_update(mk, fn) != 0)
			bad++;
		if (call(7) != fn(7) || tail(7) != fn(8))
			bad++;
	}
	struct static_call_site_info si[8];
	int n = static_call_sites(mk, si, 8);
	for (int i = 0; i < n && i < 8; i++) {
		int direct = si[i].form == STATIC_CALL_SITE_DIRECT ||
			     si[i].form == STATIC_CALL_SITE_TAIL_JUMP;
		/* the trampoline's slot, decoded here: E9 = direct jump */
		int slot_direct = *(const uint8_t *)si[i].trampoline == 0xe9;
		const char *r = si[i].reason ? si[i].reason : "";
		if (!strcmp(mode, "direct") && !direct)
			bad++;
		if (!strcmp(mode, "disabled") &&
		    (direct || slot_direct || !strstr(r, "STATICCALL_DISABLE")))
			bad++;
		if (!strcmp(mode, "trampoline") &&
		    (direct || !slot_direct || !strstr(r, "STATICCALL_SITES")))
			bad++;
		if (si[i].reaches != (void *)a) /* the last update (i = 9) */
			bad++;
	}
	printf("%s: %d sites, %d problems\n", name, n, bad);
	return bad || n < 2;
}
