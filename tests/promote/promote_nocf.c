/*
 * promote_nocf.c - calls through `nocf_check` function pointers under
 * -fcf-protection (tests/promote/run.sh): GCC prints them as calls of
 * the thunk's `_nt_` twin, which each promotable unit defines (the
 * same retpoline; in a promote-plain unit `notrack jmp *%reg`, since
 * their targets have no ENDBR). A call site and a tail site, two
 * targets each, every result checked; the sites must be learned: a
 * promote unit's promoted, a promote-plain unit's in place as `notrack
 * call *%reg` / `notrack jmp *%reg` (argument `plain`). Before the twin
 * existed for calls such a unit did not link. Exit status 0 and
 * "nocf: ok" on stdout, else a reason on stderr. With a last argument
 * `wait` (the inspector's test, tools/tests/test_inspect_promote.py) it
 * prints "ready" instead and waits for its standard input to close.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "staticcall.h"
#include "staticcall/promote.h"
#include "hold.h"

typedef long (*nfn)(long) __attribute__((nocf_check));

__attribute__((nocf_check, noinline)) static long n0(long x)
{
	return x + 1;
}

__attribute__((nocf_check, noinline)) static long n1(long x)
{
	return x + 2;
}

static nfn volatile tab[2] = { n0, n1 };

__attribute__((noipa)) static long site(nfn f, long x)
{
	return f(x) + 10;
}

__attribute__((noipa)) static long tail_site(nfn f, long x)
{
	return f(x);
}

/* In place, notrack: `66 90 3E FF D0+r` (%rax..%rdi) or `90 3E 41 FF
 * D0+r` (%r8..%r15); a tail site E0+r. */
static int notrack_in_place(const unsigned char *p, int tail)
{
	unsigned op = tail ? 0xe0 : 0xd0;
	return (p[0] == 0x66 && p[1] == 0x90 && p[2] == 0x3e && p[3] == 0xff &&
		(p[4] & 0xf8) == op) ||
	       (p[0] == 0x90 && p[1] == 0x3e && p[2] == 0x41 && p[3] == 0xff &&
		(p[4] & 0xf8) == op);
}

int main(int argc, char **argv)
{
	int plain = argc > 1 && !strcmp(argv[1], "plain");
	int hold = argc > 1 && !strcmp(argv[argc - 1], "wait");
	long wrong = 0;
	for (long i = 0; i < 400000; i++) {
		wrong += site(tab[i & 1], i) != i + 11 + (i & 1);
		wrong += tail_site(tab[i & 1], i) != i + 1 + (i & 1);
	}
	if (wrong) {
		fprintf(stderr, "nocf: %ld wrong results\n", wrong);
		return 1;
	}
	struct static_call_promote_site_info si[8];
	int n = static_call_promote_sites(si, 8), learned = 0;
	for (int i = 0; i < n && i < 8; i++) {
		const unsigned char *p = si[i].address;
		int want = plain ? STATIC_CALL_PROMOTE_PLAIN :
				   STATIC_CALL_PROMOTE_PROMOTED;
		if (si[i].state != want ||
		    (plain && !notrack_in_place(p, si[i].tail))) {
			fprintf(stderr,
				"nocf: site %d (tail %d): %s, bytes %02x %02x "
				"%02x %02x %02x\n",
				i, si[i].tail,
				static_call_promote_state_name(si[i].state),
				p[0], p[1], p[2], p[3], p[4]);
			return 1;
		}
		learned++;
	}
	if (learned != 2) {
		fprintf(stderr, "nocf: %d sites, want 2\n", learned);
		return 1;
	}
	if (hold)
		return hold_for_the_inspector();
	printf("nocf: ok\n");
	return 0;
}
