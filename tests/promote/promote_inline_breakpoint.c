/*
 * promote_inline_breakpoint.c - sealing with a debugger's breakpoint on
 * an inline site (tests/promote/run.sh; docs/PATCHING.md "Sealing"): an
 * inline site open on its one target, and a megamorphic one given up on
 * and bypassed, called by two threads (every result checked); then a
 * breakpoint (0xcc, written through /proc/self/mem as a debugger does)
 * on the bypassed site's first byte, and static_call_seal(CODE). Sealing
 * must succeed: the open site closed and its first bytes as compiled,
 * the site under the breakpoint left exactly as it was (never
 * overwritten), every call right before and after. A review found the
 * breakpoint refusing the seal after the open site had been closed.
 * Exit status 0 and "breakpoint: ok" on stdout, else a reason on stderr.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "staticcall.h"
#include "staticcall/promote.h"
#include "inline_state.h"

typedef long (*fn_t)(long);
long lib_times3(long x);
extern long (*const lib_many[32])(long);

__attribute__((noipa)) static long call_open(fn_t f, long x)
{
	return f(x) + 1;
}

__attribute__((noipa)) static long call_mega(fn_t f, long x)
{
	return f(x) + 2;
}

static atomic_int stop, mega_off;
static atomic_long wrong, calls;

static long many_value(int k, long x)
{
	return x + 100 + (k >> 2) * 10 + 10 + (k & 3);
}

static void *caller(void *arg)
{
	unsigned r = (unsigned)(uintptr_t)arg * 7919u + 1;
	while (!atomic_load(&stop)) {
		r = r * 1103515245u + 12345u;
		long x = (r >> 4) & 0xffff;
		int k = (int)((r >> 20) & 31);
		if (call_open(lib_times3, x) != 3 * x + 1)
			atomic_fetch_add(&wrong, 1);
		if (!atomic_load(&mega_off) &&
		    call_mega(lib_many[k], x) != many_value(k, x) + 2)
			atomic_fetch_add(&wrong, 1);
		atomic_fetch_add(&calls, 1);
	}
	return NULL;
}

/* The site of fn: the first after its start (the record's address is
 * its slow path, after the function's body). */
static int site_of(const void *fn, struct static_call_promote_site_info *out)
{
	struct static_call_promote_site_info buf[64];
	int n = static_call_promote_sites(buf, 64), best = -1;
	for (int i = 0; i < n && i < 64; i++)
		if ((uintptr_t)buf[i].address >= (uintptr_t)fn &&
		    (best < 0 || buf[i].address < buf[best].address))
			best = i;
	if (best >= 0)
		*out = buf[best];
	return best >= 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "breakpoint: %s (wrong=%ld)\n", what,
		atomic_load(&wrong));
	return 1;
}

int main(void)
{
	pthread_t th[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, caller, (void *)i);
	struct static_call_promote_site_info one = { 0 }, mega = { 0 };
	int ready = 0;
	for (int k = 0; k < 400 && !ready; k++) { /* at most ~4 s */
		usleep(10000);
		ready = site_of((const void *)call_open, &one) &&
			site_of((const void *)call_mega, &mega) &&
			one.inline_target == (const void *)lib_times3 &&
			!strcmp(inline_state(mega.address, NULL), "bypassed");
	}
	if (!ready)
		return fail("the sites did not open and get bypassed");
	/* nobody calls the bypassed site any more: a debugger's
	 * breakpoint on its first byte */
	atomic_store(&mega_off, 1);
	usleep(10000);
	unsigned char *head = (unsigned char *)inline_start(mega.address);
	unsigned char bp = 0xcc, first = head[0], was[8], now[8];
	int fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0 || pwrite(fd, &bp, 1, (off_t)(uintptr_t)head) != 1)
		return fail("cannot write the breakpoint");
	memcpy(was, head, 8);
	int err = static_call_seal(STATIC_CALL_SEAL_CODE);
	memcpy(now, head, 8);
	usleep(20000); /* calls on the sealed code */
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (err)
		return fail("sealing refused by the breakpoint");
	if (memcmp(was, now, 8))
		return fail("sealing wrote the site under the breakpoint");
	if (!site_of((const void *)call_open, &one) ||
	    one.state != STATIC_CALL_PROMOTE_SEALED || one.inline_target ||
	    strcmp(inline_state(one.address, NULL), "bypassed"))
		return fail("the open site not closed by sealing");
	/* as compiled: the `jmp`, then the store's operands zero */
	static const unsigned char zero[8];
	const unsigned char *o = inline_start(one.address);
	if (memcmp(o + 5, zero, 8))
		return fail("the open site's first instruction not as compiled");
	/* the debugger takes its breakpoint out */
	if (pwrite(fd, &first, 1, (off_t)(uintptr_t)head) != 1)
		return fail("cannot take the breakpoint out");
	close(fd);
	if (call_mega(lib_many[3], 5) != many_value(3, 5) + 2)
		return fail("the bypassed site, sealed, calls wrong");
	if (atomic_load(&wrong))
		return fail("wrong results");
	printf("breakpoint: ok (%ld calls)\n", atomic_load(&calls));
	return 0;
}
