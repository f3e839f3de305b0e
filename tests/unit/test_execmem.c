/*
 * The executable-memory allocator (runtime/execmem.c), alone:
 *
 *  - never writable and executable: after every step (reserve, room,
 *    seal, data page, release) no mapping of the process is rwx and each
 *    page of the region is ---, rw- (the open page, a data page) or r-x
 *    (sealed), as /proc/self/maps says;
 *  - reach: every byte of a region is within the caller's reach of the
 *    range it was reserved for, for a rel32 (+-2 GiB) and an arm64 `bl`
 *    sized reach (+-128 MiB);
 *  - placement: a region goes in a 16 MiB block of its code when one
 *    has room (the first page at least), else as near as before, and
 *    never in the 512 MiB above the program break;
 *  - exhaustion returns NULL (ENOSPC) and changes nothing: the open page
 *    stays open and writable, the region's state and maps are as before;
 *  - a sealed page keeps its bytes, the rest of it is the fill, a
 *    4-byte word repeated (an arm64 `brk` as well as x86 int3s);
 *  - the statistics follow reserve, seal, data pages and release;
 *  - a generated function (genfn.c) comes sealed and shared.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "execmem.h"
#include "internal.h"
#include "proc_maps.h"
#include "under_valgrind.h"

/* No mapping of the process is writable and executable (checked in the
 * plain run: under_valgrind.h). */
static void assert_no_wx(void)
{
	if (under_valgrind())
		return;
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;
	char perms[5];
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &a, &b, perms) == 3)
		cr_assert(perms[1] != 'w' || perms[2] != 'x', "%lx-%lx is %s",
			  a, b, perms);
	fclose(f);
}

static void assert_perms(const void *p, const char *want)
{
	char perm[5];
	perms_of(p, perm);
	cr_assert_str_eq(perm, want, "%p: %s, want %s", p, perm, want);
	assert_no_wx();
}

static int reach_2g(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	intptr_t a = (intptr_t)(p - lo), b = (intptr_t)(p - hi);
	return a > -(1l << 31) && a < (1l << 31) && b > -(1l << 31) &&
	       b < (1l << 31);
}

static int reach_128m(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	intptr_t a = (intptr_t)(p - lo), b = (intptr_t)(p - hi);
	return a > -(1l << 27) && a < (1l << 27) && b > -(1l << 27) &&
	       b < (1l << 27);
}

static int reach_nothing(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	(void)p, (void)lo, (void)hi;
	return 0;
}

static uintptr_t code_lo(void)
{
	return (uintptr_t)perms_of & ~(uintptr_t)0xfff;
}

Test(execmem, pages_are_never_writable_and_executable)
{
	struct sc_execmem m;
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + ps;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, 3 * ps, reach_2g,
					0xccccccccu),
		     0);
	assert_perms(m.base, "---p");
	uint8_t *a = sc_execmem_room(&m, 16);
	cr_assert_eq(a, m.base);
	assert_perms(a, "rw-p");
	memset(a, 0xc3, 16);
	cr_assert_eq(sc_execmem_seal(&m), 0);
	assert_perms(a, "r-xp");
	cr_assert_eq(a[0], 0xc3);
	cr_assert_eq(a[16], 0xcc); /* the rest of the page is the fill */
	cr_assert_eq(sc_execmem_seal(&m), 0); /* nothing open: nothing done */
	uint8_t *d = sc_execmem_data_page(&m);
	cr_assert_eq(d, m.base + ps);
	assert_perms(d, "rw-p");
	cr_assert_eq(d[0], 0);
	uint8_t *b = sc_execmem_room(&m, 32);
	cr_assert_eq(b, m.base + 2 * ps);
	assert_perms(b, "rw-p");
	assert_perms(a, "r-xp");
	/* A page that no longer has room is sealed before the next one is
	 * opened: here there is none, so nothing changes. */
	cr_assert_null(sc_execmem_room(&m, ps));
	assert_perms(b, "rw-p");
	cr_assert_eq(sc_execmem_seal(&m), 0);
	assert_perms(b, "r-xp");
	assert_perms(d, "rw-p");
	sc_execmem_release(&m);
	cr_assert_null(m.base);
	assert_perms(a, "????");
}

/* The fill is a word repeated (arm64's stubs: `brk #0x5c`, whose bytes
 * differ), every word of a fresh page. */
Test(execmem, a_fresh_page_is_the_fill_word_repeated)
{
	struct sc_execmem m;
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + ps;
	const uint32_t brk = 0xd4200b80u;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, ps, reach_2g, brk), 0);
	uint8_t *a = sc_execmem_room(&m, 8);
	cr_assert_not_null(a);
	for (size_t i = 0; i < ps; i += 4) {
		uint32_t w;
		memcpy(&w, a + i, 4);
		cr_assert_eq(w, brk, "word at %zu: %#x", i, w);
	}
	sc_execmem_release(&m);
}

Test(execmem, a_full_page_is_sealed_before_the_next_opens)
{
	struct sc_execmem m;
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + ps;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, 2 * ps, reach_2g,
					0xccccccccu),
		     0);
	uint8_t *a = sc_execmem_room(&m, ps - 8);
	assert_perms(a, "rw-p");
	uint8_t *b = sc_execmem_room(&m, 16);
	cr_assert_eq(b, m.base + ps);
	assert_perms(a, "r-xp");
	assert_perms(b, "rw-p");
	sc_execmem_release(&m);
}

/* A page filled exactly ends where the next one starts: the next room
 * is still a new page, opened writable (64 slow stubs of 64 bytes). */
Test(execmem, a_page_filled_exactly_opens_the_next)
{
	struct sc_execmem m;
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + ps;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, 2 * ps, reach_2g, 0xcc), 0);
	for (size_t i = 0; i < ps / 64; i++)
		memset(sc_execmem_room(&m, 64), 0x90, 64);
	uint8_t *b = sc_execmem_room(&m, 64);
	cr_assert_eq(b, m.base + ps);
	assert_perms(m.base, "r-xp");
	assert_perms(b, "rw-p");
	memset(b, 0x90, 64);
	sc_execmem_release(&m);
}

Test(execmem, every_byte_is_within_reach)
{
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + 64 * ps;
	sc_execmem_reach_fn *reach[2] = { reach_2g, reach_128m };
	for (int r = 0; r < 2; r++) {
		struct sc_execmem m[4];
		for (int i = 0; i < 4; i++) {
			cr_assert_eq(sc_execmem_reserve(&m[i], lo, hi,
							256 << 10, reach[r],
							0xccccccccu),
				     0);
			uintptr_t b = (uintptr_t)m[i].base;
			cr_assert(reach[r](b, lo, hi));
			cr_assert(reach[r](b + m[i].size, lo, hi));
			cr_assert(b + m[i].size <= lo || b >= hi);
		}
		for (int i = 0; i < 4; i++)
			sc_execmem_release(&m[i]);
	}
	/* A reach nothing satisfies: an error, nothing reserved. */
	struct sc_execmem_stats s0, s1;
	sc_execmem_stats(&s0);
	struct sc_execmem m;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, ps, reach_nothing,
					0xccccccccu),
		     -ENOMEM);
	cr_assert_null(m.base);
	sc_execmem_stats(&s1);
	cr_assert_eq(s0.regions, s1.regions);
}

/* A 48 MiB stretch of address space starting at a 16 MiB boundary, all
 * of it free but `keep` ranges (offsets in MiB, PROT_NONE placeholders
 * the allocator may not take). */
#define MIB ((uintptr_t)1 << 20)
static uintptr_t three_blocks(const unsigned (*keep)[2], int nkeep)
{
	/* clear of the heap's room above the break, which the allocator
	 * keeps (under valgrind the client's mappings start near it) */
	uintptr_t brk = (uintptr_t)sbrk(0);
	uint8_t *p = mmap((void *)(brk + 1024 * MIB), 64 * MIB, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(p, MAP_FAILED);
	cr_assert((uintptr_t)p + 64 * MIB <= brk ||
			  (uintptr_t)p >= brk + 600 * MIB,
		  "no room for the test clear of the heap");
	uintptr_t a = ((uintptr_t)p + 16 * MIB - 1) & ~(16 * MIB - 1);
	munmap(p, 64 * MIB);
	for (int i = 0; i < nkeep; i++) {
		void *k = mmap((void *)(a + keep[i][0] * MIB),
			       (keep[i][1] - keep[i][0]) * MIB, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				       MAP_FIXED_NOREPLACE,
			       -1, 0);
		cr_assert_eq((uintptr_t)k, a + keep[i][0] * MIB);
	}
	return a;
}

static unsigned block_of(uintptr_t a, uintptr_t p)
{
	return (unsigned)((p - a) / (16 * MIB));
}

/* A region goes in a 16 MiB block its code touches when one has room,
 * before the nearer address across the boundary (benchmarks/README.md
 * "Stub placement"); with no room there, as near as before. */
Test(execmem, a_region_prefers_its_codes_16_mib_block)
{
	struct sc_execmem m;
	/* Code at 28-29 MiB: the first address above it (32) is the next
	 * block's, one below (25) is its own. */
	static const unsigned code[][2] = { { 28, 29 } };
	uintptr_t a = three_blocks(code, 1);
	cr_assert_eq(sc_execmem_reserve(&m, a + 28 * MIB, a + 29 * MIB, MIB,
					reach_2g, 0),
		     0);
	cr_assert_eq(block_of(a, (uintptr_t)m.base), 1);
	cr_assert_eq(block_of(a, (uintptr_t)m.base + m.size - 1), 1);
	sc_execmem_release(&m);
	munmap((void *)a, 48 * MIB);

	/* Code at 18-19 MiB, 12 MiB wanted, 22-24 taken: no whole region
	 * fits the block; one starting in it (24) comes before the nearer
	 * one below (4, the block before). */
	static const unsigned full[][2] = { { 18, 19 }, { 22, 24 } };
	a = three_blocks(full, 2);
	cr_assert_eq(sc_execmem_reserve(&m, a + 18 * MIB, a + 19 * MIB,
					12 * MIB, reach_2g, 0),
		     0);
	cr_assert_eq((uintptr_t)m.base, a + 24 * MIB);
	sc_execmem_release(&m);
	munmap((void *)a, 48 * MIB);

	/* The code's block taken but for the code: the nearest in reach,
	 * above first, as before. */
	static const unsigned taken[][2] = { { 16, 32 } };
	a = three_blocks(taken, 1);
	cr_assert_eq(sc_execmem_reserve(&m, a + 28 * MIB, a + 29 * MIB, MIB,
					reach_2g, 0),
		     0);
	cr_assert_eq((uintptr_t)m.base, a + 32 * MIB);
	sc_execmem_release(&m);
	munmap((void *)a, 48 * MIB);
}

/* Nothing goes where the heap grows: a program whose code (or .bss)
 * ends at the break, as a non-PIE program's or a PIE's run with ASLR
 * off, keeps its brk heap (a review's PIE had 1.5 MiB of it left). The
 * runtime keeps 512 MiB from the break the process started with; this
 * process's heap has grown a little since, so 256 MiB are asked of it. */
Test(execmem, a_region_keeps_clear_of_the_heaps_room)
{
	struct sc_execmem m;
	uintptr_t brk = (uintptr_t)sbrk(0), ps = sc_page_size();
	cr_assert_eq(sc_execmem_reserve(&m, brk - ps, brk, MIB, reach_2g, 0),
		     0);
	uintptr_t b = (uintptr_t)m.base;
	cr_assert(b + m.size <= brk || b >= brk + 256 * MIB,
		  "region %#lx-%#lx, break %#lx", (unsigned long)b,
		  (unsigned long)(b + m.size), (unsigned long)brk);
	sc_execmem_release(&m);
}

Test(execmem, exhaustion_returns_an_error_and_changes_nothing)
{
	struct sc_execmem m, before;
	size_t ps = sc_page_size();
	uintptr_t lo = code_lo(), hi = lo + ps;
	cr_assert_eq(sc_execmem_reserve(&m, lo, hi, 2 * ps, reach_2g,
					0xccccccccu),
		     0);
	cr_assert_not_null(sc_execmem_room(&m, 64));
	cr_assert_not_null(sc_execmem_data_page(&m));
	cr_assert_not_null(sc_execmem_room(&m, ps - 64)); /* fills it */
	before = m;
	errno = 0;
	cr_assert_null(sc_execmem_next(&m, 1));
	cr_assert_null(sc_execmem_room(&m, 1));
	cr_assert_eq(errno, ENOSPC);
	cr_assert_null(sc_execmem_data_page(&m));
	cr_assert_null(sc_execmem_room(&m, ps + 1)); /* never fits */
	cr_assert_null(sc_execmem_room(&m, 0));
	cr_assert_eq(memcmp(&m, &before, sizeof m), 0);
	assert_perms(m.base, "rw-p"); /* still open, still not executable */
	cr_assert_eq(sc_execmem_seal(&m), 0);
	assert_perms(m.base, "r-xp");
	sc_execmem_release(&m);
}

Test(execmem, a_hinted_region_and_statistics)
{
	struct sc_execmem_stats s0, s1;
	struct sc_execmem m;
	size_t ps = sc_page_size();
	sc_execmem_stats(&s0);
	cr_assert_eq(sc_execmem_reserve_hint(&m, NULL, ps, 0), 0);
	assert_perms(m.base, "---p");
	uint8_t *p = sc_execmem_room(&m, 8);
	cr_assert_eq(p, m.base);
	sc_execmem_stats(&s1);
	cr_assert_eq(s1.regions, s0.regions + 1);
	cr_assert_eq(s1.reserved, s0.reserved + ps);
	cr_assert_eq(s1.open, s0.open + ps);
	cr_assert_eq(sc_execmem_seal(&m), 0);
	cr_assert_eq(p[8], 0); /* its fill */
	assert_perms(p, "r-xp");
	sc_execmem_stats(&s1);
	cr_assert_eq(s1.open, s0.open);
	cr_assert_eq(s1.exec, s0.exec + ps);
	cr_assert(sc_execmem_owns(&m, p + ps - 1));
	cr_assert(!sc_execmem_owns(&m, p + ps));
	sc_execmem_release(&m);
	sc_execmem_stats(&s1);
	cr_assert_eq(memcmp(&s0, &s1, sizeof s0), 0);
}

/* genfn.c on top of it: a generated function comes sealed, shared. */
Test(execmem, generated_functions_come_sealed_and_shared)
{
	static const uint8_t ret42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };
	struct sc_execmem_stats s0, s1;
	sc_execmem_stats(&s0);
	int err = 0;
	void *f = sc_genfn_get(ret42, sizeof ret42, NULL, &err);
	cr_assert_not_null(f, "err %d", err);
	assert_perms(f, "r-xp");
	cr_assert_eq(((int (*)(void))f)(), 42);
	cr_assert_eq(sc_genfn_get(ret42, sizeof ret42, NULL, &err), f);
	cr_assert(sc_genfn_owns(f));
	sc_execmem_stats(&s1);
	cr_assert_eq(s1.regions, s0.regions + 1);
	cr_assert_eq(s1.exec, s0.exec + sc_page_size());
	cr_assert_null(sc_genfn_get(ret42, 0, NULL, &err));
	cr_assert_eq(err, -EINVAL);
}
