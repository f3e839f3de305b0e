/*
 * promote_mseal.c - a program that seals its own code with mseal(2)
 * while promotion runs (tests/promote/run.sh): the runtime cannot make
 * the code writable any more (mprotect: EPERM). Site `a` is promoted
 * before the seal, site `b` only called after it. The first write that
 * fails locks the object: the runtime says so once on stderr, both sites
 * report STATIC_CALL_PROMOTE_UNWRITABLE (a on its stub, b on its slow
 * path, left there), the statistics count them, and every call stays
 * right while the targets change (a's stub falls back to its slow path
 * for a target it lacks). Sealing (static_call_seal) then succeeds,
 * leaving them so. Exit status 0 and "mseal: ok" on stdout; 77 and a
 * reason when the kernel has no mseal (before 6.10); else 1 and a
 * reason on stderr. With the argument `wait` (the inspector's test,
 * tools/tests/test_inspect_promote.py) it prints "ready" instead, its
 * own checks passed, and waits for its standard input to close.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "staticcall.h"
#include "staticcall/promote.h"
#include "hold.h"
#include "site_code.h"

#ifndef SYS_mseal
#define SYS_mseal 462 /* x86-64 and arm64 alike */
#endif

typedef long (*fn)(long);

/* its own function, called for real (GCC and Clang) */
#define SITE __attribute__((noinline, used)) static

__attribute__((noinline)) static long t0(long x)
{
	return x + 1;
}

__attribute__((noinline)) static long t1(long x)
{
	return x + 2;
}

__attribute__((noinline)) static long t2(long x)
{
	return x + 3;
}

static fn volatile tab[3] = { t0, t1, t2 };
static long wrong;

SITE long a(fn f, long x)
{
	return f(x) + 10;
}

SITE long b(fn f, long x)
{
	return f(x) + 20;
}

static long want(int k, long x)
{
	return x + 1 + k;
}

/* The site within f (a, b): its state, or -1 if not found. */
static int state_in(void *f, const void **address)
{
	struct static_call_promote_site_info si[8];
	int n = static_call_promote_sites(si, 8);
	for (int i = 0; i < n && i < 8; i++)
		if ((uintptr_t)si[i].address - (uintptr_t)f < 64) {
			if (address)
				*address = si[i].address;
			return si[i].state;
		}
	return -1;
}

static int si_ntargets(void *f)
{
	struct static_call_promote_site_info si[8];
	int n = static_call_promote_sites(si, 8);
	for (int i = 0; i < n && i < 8; i++)
		if ((uintptr_t)si[i].address - (uintptr_t)f < 64)
			return si[i].ntargets;
	return -1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Calls through site a with targets [0, k) until it reaches `state`,
 * or 10 s: 1 if it did. */
static int call_a_until(int k, int state)
{
	const double end = now_s() + 10;
	for (long i = 0; now_s() < end; i++) {
		for (int j = 0; j < 20000; j++) {
			long x = i * 20000 + j;
			wrong += a(tab[j % k], x) != want(j % k, x) + 10;
		}
		if (state_in((void *)a, NULL) == state)
			return 1;
	}
	return 0;
}

static int seal_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	int *err = arg;
	if (info->dlpi_name[0])
		return 0; /* the executable is the first, named "" */
	*err = ENOENT;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[k];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X))
			continue;
		uintptr_t lo = (info->dlpi_addr + p->p_vaddr) & ~4095ul;
		uintptr_t hi = (info->dlpi_addr + p->p_vaddr + p->p_memsz +
				4095) & ~4095ul;
		*err = syscall(SYS_mseal, lo, hi - lo, 0) ? errno : 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const int hold = argc > 1 && !strcmp(argv[1], "wait");
	if (!call_a_until(1, STATIC_CALL_PROMOTE_PROMOTED)) {
		fprintf(stderr, "mseal: site a not promoted before the seal "
				"(state %d)\n",
			state_in((void *)a, NULL));
		return 1;
	}
	int err = 0;
	dl_iterate_phdr(seal_text, &err);
	if (err == ENOSYS || err == EINVAL) {
		printf("mseal: kernel without mseal (%s)\n", strerror(err));
		return 77;
	}
	if (err) {
		fprintf(stderr, "mseal: sealing the code: %s\n", strerror(err));
		return 1;
	}
	/* b learns; its promotion's write fails and locks the object */
	const double end = now_s() + 10;
	int sb = -1;
	for (long i = 0; now_s() < end; i++) {
		for (int j = 0; j < 20000; j++) {
			long x = i * 20000 + j;
			wrong += b(tab[0], x) != want(0, x) + 20;
		}
		sb = state_in((void *)b, NULL);
		if (sb == STATIC_CALL_PROMOTE_UNWRITABLE)
			break;
	}
	/* a's targets change: its stub falls back for the new ones */
	for (long x = 0; x < 300000; x++) {
		wrong += a(tab[x % 3], x) != want((int)(x % 3), x) + 10;
		wrong += b(tab[x % 3], x) != want((int)(x % 3), x) + 20;
	}
	const void *at;
	int sa = state_in((void *)a, &at);
	sb = state_in((void *)b, NULL);
	struct static_call_promote_stats st;
	memset(&st, 0, sizeof st);
	static_call_promote_stats(&st);
	if (wrong || sa != STATIC_CALL_PROMOTE_UNWRITABLE ||
	    sb != STATIC_CALL_PROMOTE_UNWRITABLE || st.unwritable != 2) {
		fprintf(stderr,
			"mseal: %ld wrong results; site a %s, b %s; %zu "
			"unwritable\n",
			wrong, static_call_promote_state_name(sa),
			static_call_promote_state_name(sb), st.unwritable);
		return 1;
	}
	/* a still on its stub: a direct call out of the executable (into
	 * the runtime's memory), reported with the stub's target */
	const void *dest = call_dest(at);
	Dl_info dl;
	if (!dest || dladdr(dest, &dl) || si_ntargets((void *)a) != 1) {
		fprintf(stderr, "mseal: site a left its stub (to %p)\n", dest);
		return 1;
	}
	if (static_call_seal(STATIC_CALL_SEAL_CODE)) {
		fprintf(stderr, "mseal: static_call_seal refused\n");
		return 1;
	}
	for (long x = 0; x < 30000; x++)
		wrong += a(tab[x % 3], x) != want((int)(x % 3), x) + 10;
	if (wrong || state_in((void *)a, NULL) != STATIC_CALL_PROMOTE_UNWRITABLE) {
		fprintf(stderr, "mseal: after static_call_seal: %ld wrong, "
				"site a %s\n",
			wrong,
			static_call_promote_state_name(
				state_in((void *)a, NULL)));
		return 1;
	}
	if (hold)
		return hold_for_the_inspector();
	printf("mseal: ok\n");
	return 0;
}
