/*
 * a64_stub_decode.c - the inspector reads the arm64 stubs the runtime
 * makes: for every register and 1-16 targets, each stub form of
 * runtime/promote_aarch64.c (plain, and counting: its hit counters
 * stopping at STATIC_CALL_PROMOTE_HITS_MAX) encoded for an address of a
 * fake process image, then decoded by tools/inspect_promote.c's
 * decode_a64_stub reading that image: every target, and for a counting
 * stub every hit count and the misses. A changed instruction is refused.
 * Built on the host (the arm64 encoder is plain C): live arm64
 * processes are not inspectable under qemu-user, so nothing else checks
 * the two files agree.
 */
#include "inspect_promote.c"

#include "promote.h"

/* promote_aarch64.c's slow stubs name the sampler's countdown */
__thread int __staticcall_promote_tick;

/* what inspect_promote.c needs of the rest of the inspector: unused here */
int opt_json, opt_source;
const uint8_t *elf_bytes_at(const struct elf *e, uint64_t va, size_t *avail)
{
	(void)e, (void)va, (void)avail;
	return NULL;
}
const struct sc_elf_sym *sym_at(const struct elf *e, uint64_t addr,
				int functions, int exact)
{
	(void)e, (void)addr, (void)functions, (void)exact;
	return NULL;
}
void *xcalloc(size_t n, size_t sz)
{
	return calloc(n, sz);
}

#define BASE 0x40000000u /* the image's address: stub at 0, counters */
#define COUNTERS 0x4000u /*   at +0x4000, targets at +0x8000 and on */
static uint8_t image[1 << 16];

static int read_image(uint64_t a, void *buf, size_t n)
{
	if (a < BASE || a - BASE + n > sizeof image)
		return -1;
	memcpy(buf, image + (a - BASE), n);
	return 0;
}

static int check(int reg, int n, int counting, int corrupt)
{
	void *t[SC_PROMOTE_MAX_TARGETS];
	uint8_t out[SC_PSTUB_MAX];
	uint64_t cnt[SC_PROMOTE_MAX_TARGETS + 1];
	const uint8_t *at = (const uint8_t *)(uintptr_t)BASE;
	const uint8_t *miss = at + 0x9000;
	for (int k = 0; k < n; k++)
		t[k] = (void *)(uintptr_t)(BASE + 0x8000 + 64 * k);
	size_t len = counting ? sc_parch_counted_stub_size(n) :
				sc_parch_stub_size(n);
	int ok = counting ? sc_parch_counted_stub_encode(
				    at, reg, t, n, miss,
				    (uint64_t *)(uintptr_t)(BASE + COUNTERS),
				    out) :
			    sc_parch_stub_encode(at, reg, t, n, miss, out);
	if (!ok || len > sizeof out) {
		printf("x%d, %d targets: not encoded\n", reg, n);
		return 0;
	}
	memset(image, 0, sizeof image);
	memcpy(image, out, len);
	for (int k = 0; k <= n; k++)
		cnt[k] = k < n && k % 3 == 1 ? STATIC_CALL_PROMOTE_HITS_MAX :
					       100 + (uint64_t)k;
	memcpy(image + COUNTERS, cnt, sizeof cnt);
	if (corrupt)
		image[4 * (n - 1) * (counting ? 9 : 4) + corrupt] ^= 1;
	struct promote_site p;
	memset(&p, 0, sizeof p);
	p.reg = reg;
	int decoded = decode_a64_stub(&p, BASE, image, len, read_image);
	int good = decoded && p.ntargets == n && p.counted == counting &&
		   (!counting || p.misses == cnt[n]);
	for (int k = 0; k < n && good; k++)
		good = p.targets[k] == (uint64_t)(uintptr_t)t[k] &&
		       (!counting || p.hits[k] == cnt[k]);
	if (corrupt)
		good = !good;
	if (!good)
		printf("x%d, %d targets, %s%s: decoded %d, %d targets, "
		       "counted %d, misses %llu\n",
		       reg, n, counting ? "counting" : "plain",
		       corrupt ? ", changed" : "", decoded, p.ntargets,
		       p.counted, (unsigned long long)p.misses);
	return good;
}

int main(void)
{
	int fails = 0, runs = 0;
	for (int reg = 0; reg <= 15; reg++)
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++)
			for (int counting = 0; counting <= 1; counting++) {
				/* the last pair's cmp (plain, 4) / tbnz
				 * (counting, 20): the one byte changed */
				fails += !check(reg, n, counting, 0);
				fails += !check(reg, n, counting,
						counting ? 20 : 4);
				runs += 2;
			}
	printf("%d of %d decodes wrong\n", fails, runs);
	return fails != 0;
}
