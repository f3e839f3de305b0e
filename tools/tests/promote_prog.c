/*
 * A program for the inspector's promotion test (test_inspect_promote.py),
 * built in GCC promote mode: a monomorphic site, a site alternating two
 * targets, a megamorphic one, a tail call and one called late (from the
 * loop's second half); it calls them 4,000,000 times and on until mono
 * has learned (static_call_promote_sites), prints "ready" and waits for its
 * standard input to close. With the argument `seal`, it calls
 * static_call_seal(STATIC_CALL_SEAL_CODE) first; with `breakpoint`
 * (promote-inline builds) it writes a debugger's breakpoint (0xcc) over
 * the first byte of mega's inline site first; with `corrupt-view` it
 * damages the runtime's view of its sites first (corrupt_view).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "staticcall.h"
#include "staticcall/promote.h"
#include "staticcall_abi.h"

typedef long (*fn)(long);

#define F(n)                                        \
	__attribute__((noinline)) long t##n(long x) \
	{                                           \
		__asm__ volatile("");               \
		return x + n;                       \
	}
F(0)
F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)

	static fn volatile table[16] = { t0, t1, t2,  t3,  t4,	t5,  t6,  t7,
					 t8, t9, t10, t11, t12, t13, t14, t15 };

__attribute__((noinline)) long mono(fn f, long x)
{
	return f(x) + 1;
}

__attribute__((noinline)) long duo(fn f, long x)
{
	return f(x) + 2;
}

__attribute__((noinline)) long mega(fn f, long x)
{
	return f(x) + 3;
}

/* Called from the loop's second half only: its learning then brings
 * flushes after the other sites' promotion (a relayout is due only at
 * one). */
__attribute__((noinline)) long late(fn f, long x)
{
	return f(x) + 4;
}

__attribute__((noinline)) long tail(fn f, long x)
{
	return f(x);
}

/* A computed goto (GCC: a jump site), always to its first label. */
__attribute__((noinline)) long jumpy(long k, long x)
{
	static void *const label[] = { &&one, &&three };
	goto *label[k & 1];
one:
	return x + 1;
three:
	return x * 3;
}

/* mega's inline site: its start from its slow site's jump back
 * (docs/ABI.md "promote-inline"); 0xcc over its first byte, written as
 * a debugger writes it. 0, or 1 when there is no such site. */
static int breakpoint_on_mega(void)
{
	struct static_call_promote_site_info si[16];
	int n = static_call_promote_sites(si, 16);
	for (int i = 0; i < n && i < 16; i++) {
		const unsigned char *slow = si[i].address;
		if (!si[i].inline_site || slow < (const unsigned char *)mega ||
		    slow - (const unsigned char *)mega > 256)
			continue;
		int32_t back;
		memcpy(&back, slow + 6, 4);
		const unsigned char *start =
			slow + 10 + back - SC_X86_INLINE_LEN, bp = 0xcc;
		int fd = open("/proc/self/mem", O_RDWR);
		int ok = fd >= 0 &&
			 pwrite(fd, &bp, 1, (off_t)(uintptr_t)start) == 1;
		if (fd >= 0)
			close(fd);
		return !ok;
	}
	return 1;
}

/* The runtime's view of its sites (__staticcall_promote_view) damaged
 * as stray writes would: its list one object linking to itself, each
 * time with 2^20 sites (a buffer never touched: its pages cost nothing).
 * Read naively, the list never ends; the inspector must give up on it.
 * 0, or 1 when it cannot. */
extern struct sc_abi_promote_view __staticcall_promote_view;
static int corrupt_view(void)
{
	static uint64_t object[1024], head; /* (the offsets: about 1 KiB) */
	struct sc_abi_promote_view *v = &__staticcall_promote_view;
	const size_t n = (size_t)1 << 20;
	char *sites = mmap(NULL, n * v->site_size, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sites == MAP_FAILED || v->obj_next + 8u > sizeof object ||
	    v->obj_sites + 8u > sizeof object ||
	    v->obj_nsites + 8u > sizeof object)
		return 1;
	uint64_t self = (uint64_t)(uintptr_t)object;
	memcpy((char *)object + v->obj_next, &self, 8);
	uint64_t at = (uint64_t)(uintptr_t)sites;
	memcpy((char *)object + v->obj_sites, &at, 8);
	uint64_t count = n;
	memcpy((char *)object + v->obj_nsites, &count, 8);
	head = self;
	v->objects = (uint64_t)(uintptr_t)&head;
	return 0;
}

/* Has the runtime promoted mono onto t1 (and, built promote-inline,
 * opened its inline site on t1)? Decisions wait in a batch committed at
 * a later flush: on a loaded machine 4,000,000 rounds may end first. */
static int mono_learned(void)
{
	struct static_call_promote_site_info si[16];
	int n = static_call_promote_sites(si, 16);
	for (int i = 0; i < n && i < 16; i++)
		if (si[i].state == STATIC_CALL_PROMOTE_PROMOTED &&
		    si[i].ntargets == 1 && si[i].targets[0] == (void *)t1)
			return !si[i].inline_site ||
			       si[i].inline_target == (void *)t1;
	return 0;
}

int main(int argc, char **argv)
{
	long s = 0;
	unsigned r = 1;
	/* 4,000,000 rounds, then on (at most 40,000,000) until mono has
	 * learned */
	for (long i = 0; i < 4000000 || (i < 40000000 && (i % 100000 ||
							  !mono_learned()));
	     i++) {
		r = r * 1103515245u + 12345u;
		s += mono(table[1], i);
		s += duo(table[2 + (i & 1)], i);
		s += mega(table[(r >> 16) & 15], i);
		s += tail(table[4], i);
		s += jumpy(0, i);
		if (i >= 2000000)
			s += late(table[5], i);
	}
	if (argc > 1 && !strcmp(argv[1], "seal") &&
	    static_call_seal(STATIC_CALL_SEAL_CODE))
		return 1;
	if (argc > 1 && !strcmp(argv[1], "breakpoint") && breakpoint_on_mega())
		return 1;
	if (argc > 1 && !strcmp(argv[1], "corrupt-view") && corrupt_view())
		return 1;
	printf("ready %ld\n", s & 1);
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
