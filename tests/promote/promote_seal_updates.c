/*
 * promote_seal_updates.c - static_call_seal(STATIC_CALL_SEAL_UPDATES) in
 * a program whose only patched code is promoted indirect calls
 * (tests/promote/run.sh): the text of its object and the stubs its sites
 * reach are sealed with mseal(2) (smaps' "sl" flag), not only the text
 * of objects with static calls (before, "text of 0 of 0 objects sealed"
 * and neither was). The site stays on its stub, every call right while
 * the targets change (its stub falls back for a target it lacks), and
 * STATIC_CALL_SEAL_CODE after it is refused (-EPERM). Exit status 0 and
 * "seal updates: ok" on stdout; 77 and a reason when the kernel has no
 * mseal (before 6.10); else 1 and a reason on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mseal
#define SYS_mseal 462 /* x86-64 and arm64 alike */
#endif

#include "staticcall.h"
#include "staticcall/promote.h"
#include "site_code.h"

typedef long (*fn)(long);

__attribute__((noinline)) static long t0(long x)
{
	return x + 1;
}

__attribute__((noinline)) static long t1(long x)
{
	return x + 2;
}

static fn volatile tab[2] = { t0, t1 };

__attribute__((noinline, used)) static long site(fn f, long x)
{
	return f(x) + 10;
}

/* Is the mapping holding p sealed (smaps' VmFlags "sl")? -1: not found,
 * or a kernel whose smaps has no such flag. */
static int sealed_at(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, r = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char c;
		if (sscanf(line, "%lx-%lx %c", &lo, &hi, &c) == 3) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " sl") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

static int site_info(struct static_call_promote_site_info *out)
{
	struct static_call_promote_site_info si[4];
	int n = static_call_promote_sites(si, 4);
	for (int i = 0; i < n && i < 4; i++)
		if ((uintptr_t)si[i].address - (uintptr_t)(void *)site < 64) {
			*out = si[i];
			return 1;
		}
	return 0;
}

/* Does this kernel have mseal (and smaps show it)? Asked on a page of
 * the test's own, independently of the runtime. */
static int kernel_has_mseal(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	return p != MAP_FAILED && !syscall(SYS_mseal, p, 4096, 0UL) &&
	       sealed_at(p) == 1;
}

int main(void)
{
	if (!kernel_has_mseal()) {
		printf("seal updates: no mseal in this kernel\n");
		return 77;
	}
	long wrong = 0;
	struct static_call_promote_site_info si;
	int promoted = 0;
	for (long i = 0; i < 20000000 && !promoted; i++) {
		wrong += site(tab[0], i) != i + 11;
		if (!(i % 10000))
			promoted = site_info(&si) &&
				   si.state == STATIC_CALL_PROMOTE_PROMOTED;
	}
	if (!promoted) {
		fprintf(stderr, "seal updates: the site was not promoted\n");
		return 1;
	}
	const void *stub = call_dest(si.address);
	if (!stub || sealed_at(si.address) != 0 || sealed_at(stub) != 0) {
		fprintf(stderr, "seal updates: before: stub %p, sealed %d %d\n",
			stub, sealed_at(si.address), sealed_at(stub));
		return 1;
	}
	if (static_call_seal(STATIC_CALL_SEAL_UPDATES)) {
		fprintf(stderr, "seal updates: static_call_seal refused\n");
		return 1;
	}
	for (long x = 0; x < 300000; x++)
		wrong += site(tab[x & 1], x) != x + 11 + (x & 1);
	struct static_call_promote_site_info after;
	if (wrong || sealed_at(si.address) != 1 || sealed_at(stub) != 1 ||
	    call_dest(si.address) != stub || !site_info(&after) ||
	    after.state != STATIC_CALL_PROMOTE_PROMOTED ||
	    static_call_seal(STATIC_CALL_SEAL_CODE) != -EPERM) {
		fprintf(stderr,
			"seal updates: %ld wrong; text sealed %d, stub sealed "
			"%d, site on its stub %d, state %s\n",
			wrong, sealed_at(si.address), sealed_at(stub),
			call_dest(si.address) == stub,
			static_call_promote_state_name(after.state));
		return 1;
	}
	printf("seal updates: ok\n");
	return 0;
}
