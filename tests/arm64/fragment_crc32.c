/*
 * fragment_crc32.c - an arm64 one-instruction fragment, `crc32cx w0, w0,
 * x1` (one instruction there: w0 is both the first argument and the
 * result), built with -march=armv8-a+crc and a plugin, run under qemu.
 *
 * arm64 sites may change only to and from B, BL and NOP while threads run,
 * so a site never holds the crc32cx: each call site is a direct `bl` to
 * the fragment's function (reported `direct`, reaching it), each tail
 * site a `b`; the results are those of the portable C version, and the
 * live-code checker (livecode_aarch64.c) agrees. Exit 0 on success.
 */
#include <arm_acle.h>
#include <stdint.h>
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

/* crc32c of the 8 bytes of v, from crc (what crc32cx computes) */
static uint32_t crc_soft(uint32_t crc, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		crc ^= (uint32_t)(v >> (8 * i)) & 0xff;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

/* With the Clang plugin the body is `[bti c] crc32cx w0, w0, x1; ret`;
 * GCC keeps the C body on AArch64 (no naked functions there), the text
 * checked all the same. */
STATIC_CALL_FRAGMENT("crc32cx w0, w0, x1")
uint32_t crc_hw(uint32_t crc, uint64_t v)
{
	return __crc32cd(crc, v);
}

uint32_t (*STATIC_CALL crc)(uint32_t, uint64_t) = crc_soft;

__attribute__((noinline)) uint32_t call_crc(uint32_t c, uint64_t v)
{
	return crc(c, v) ^ 0x5a5a5a5au;
}
__attribute__((noinline)) uint32_t tail_crc(uint32_t c, uint64_t v)
{
	return crc(c, v);
}

static int failures;
#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			printf("FAIL: " __VA_ARGS__);                         \
			printf("\n");                                         \
			failures++;                                           \
		}                                                             \
	} while (0)

static const uint64_t in[] = { 0, 1, 0xff, 0x123456789abcdef0ull,
			       0xdeadbeefcafef00dull, ~0ull };

static void check_results(const char *what)
{
	for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
		uint32_t c = (uint32_t)in[(i + 1) % 6], want = crc_soft(c, in[i]);
		CHECK(call_crc(c, in[i]) == (want ^ 0x5a5a5a5au) &&
			      tail_crc(c, in[i]) == want,
		      "%s: crc(%#x, %#llx)", what, c,
		      (unsigned long long)in[i]);
	}
}

/* Every site a branch to the key's value: bl (direct) or b (tail). */
static void check_sites(const char *what, void *target)
{
	struct static_call_site_info s[16];
	int n = static_call_sites(crc, s, 16);
	CHECK(n >= 2, "%s: %d sites", what, n);
	for (int i = 0; i < n && i < 16; i++) {
		CHECK(s[i].form == (s[i].tail ? STATIC_CALL_SITE_TAIL_JUMP :
						STATIC_CALL_SITE_DIRECT),
		      "%s: site %p form %s, want a branch", what,
		      s[i].address, static_call_form_name(s[i].form));
		CHECK(s[i].reaches == target, "%s: site %p reaches %p, not %p",
		      what, s[i].address, s[i].reaches, target);
	}
}

int main(void)
{
	SC_LIVE_KEY(crc);
	check_results("portable");
	check_sites("portable", (void *)crc_soft);
	CHECK(static_call_update(crc, crc_hw) == 0, "update to crc_hw");
	SC_CHECK();
	check_results("crc32cx");
	check_sites("crc32cx", (void *)crc_hw);
	CHECK(static_call_update(crc, crc_soft) == 0, "update back");
	SC_CHECK();
	check_results("portable again");
	check_sites("portable again", (void *)crc_soft);
	printf("%s fragment_crc32\n", failures ? "FAIL" : "PASS");
	return failures || sc_live_exit();
}
