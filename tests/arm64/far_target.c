/*
 * far_target.c - a target more than 128 MiB away from every site (b/bl
 * reach +-128 MiB): built with the aarch64 GCC plugin, run under qemu.
 *
 * A small function is written into a page mapped far from this program's
 * code; the key is updated to it and back to near targets, and after each
 * update the calls must stay correct, the sites must report the
 * trampoline form with the out-of-range reason (and reach the target
 * through it), and the live-code checker (livecode_aarch64.c) must agree.
 * Exit 0 on success.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "livecode.h"
#include "staticcall.h"

__attribute__((noinline)) static int near1(int x) { return x + 1; }
__attribute__((noinline)) static int near2(int x) { return x * 3; }

int (*STATIC_CALL k)(int) = near1;

__attribute__((noinline)) int call_k(int x) { return k(x) + 1000; }
__attribute__((noinline)) int tail_k(int x) { return k(x); }

static int failures;
#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			failures++;                                           \
			fprintf(stderr, "far_target: FAIL line %d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

/* `add w0, w0, #7; ret` in a page at least 1 GiB away from our code. */
static int (*map_far(void))(int)
{
	uintptr_t here = (uintptr_t)&call_k & ~(uintptr_t)0xfff;
	for (int i = 1; i <= 64; i++) {
		uintptr_t want = here + (uintptr_t)i * (1ul << 30);
		void *p = mmap((void *)want, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		if (p == MAP_FAILED)
			continue;
		if ((uintptr_t)p != want) {
			munmap(p, 4096);
			continue;
		}
		static const uint32_t insns[] = { 0x11001c00u, 0xd65f03c0u };
		memcpy(p, insns, sizeof insns);
		__builtin___clear_cache((char *)p, (char *)p + sizeof insns);
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
			return NULL;
		return (int (*)(int))p;
	}
	return NULL;
}

static void check_sites(const char *what, int want_direct)
{
	struct static_call_site_info s[16];
	int n = static_call_sites(k, s, 16);
	CHECK(n >= 2, "%s: %d sites", what, n);
	for (int i = 0; i < n && i < 16; i++) {
		long d = (long)((uintptr_t)static_call_query(k) -
				(uintptr_t)s[i].address);
		if (want_direct) {
			CHECK(s[i].form == (s[i].tail ? STATIC_CALL_SITE_TAIL_JUMP
						      : STATIC_CALL_SITE_DIRECT),
			      "%s: site %p form %s", what, s[i].address,
			      static_call_form_name(s[i].form));
		} else {
			CHECK(s[i].form == STATIC_CALL_SITE_TRAMPOLINE,
			      "%s: site %p (distance %ld) form %s, want trampoline",
			      what, s[i].address, d,
			      static_call_form_name(s[i].form));
			CHECK(s[i].reason && strstr(s[i].reason, "range"),
			      "%s: site %p reason '%s'", what, s[i].address,
			      s[i].reason ? s[i].reason : "(none)");
			CHECK(s[i].reaches == (void *)static_call_query(k),
			      "%s: site %p reaches %p", what, s[i].address,
			      s[i].reaches);
			if (i == 0)
				printf("far target %+ld MiB from a site: %s "
				       "(%s)\n", d >> 20,
				       static_call_form_name(s[i].form),
				       s[i].reason);
		}
	}
}

int main(void)
{
	int (*far)(int) = map_far();
	if (!far) {
		fprintf(stderr, "far_target: cannot map a page 1+ GiB away\n");
		return 77;
	}
	SC_LIVE_KEY(k);
	SC_CHECK();
	CHECK(call_k(1) == 1002 && tail_k(1) == 2, "initial calls");
	check_sites("initial", 1);

	SC_UPDATE(k, far);
	CHECK(call_k(1) == 1008 && tail_k(1) == 8, "far calls: %d %d",
	      call_k(1), tail_k(1));
	check_sites("far", 0);

	SC_UPDATE(k, near2);
	CHECK(call_k(2) == 1006 && tail_k(2) == 6, "near again");
	check_sites("near2", 1);

	SC_UPDATE(k, far);
	CHECK(call_k(5) == 1012 && tail_k(5) == 12, "far again");
	check_sites("far again", 0);

	SC_UPDATE(k, near1);
	CHECK(call_k(1) == 1002 && tail_k(1) == 2, "back to near1");
	check_sites("near1", 1);

	printf("far_target: %s\n", failures || sc_live_failures() ? "FAILED" : "ok");
	return failures ? 1 : sc_live_exit();
}
