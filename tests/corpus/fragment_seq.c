/* Multi-instruction fragments (the paravirt seed's `pushf; pop %rax`):
 * STATIC_CALL_FRAGMENT with several instructions. With the plugin on
 * x86-64, a call site of a key declared STATIC_CALL_BOOT holds the
 * sequence itself when it fits the call's five bytes and the process is
 * single-threaded; keys without the declaration, and sequences too long
 * for a site, call the function. Once a thread runs, a site holding a
 * sequence cannot change (a thread may be stopped inside it):
 * static_call_update returns -EAGAIN and changes nothing, while updates of
 * the other keys go on. After the thread has gone the update is allowed
 * again. The output is the plugin-free build's, which runs the C bodies
 * (static_call_update stores the key there). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "livecode.h"
#include "staticcall.h"

static unsigned add_soft(unsigned a, unsigned b)
{
	return a + b;
}
/* crc32c of the 8 bytes of v, from crc (the crc32q instruction) */
static unsigned long crc_soft(unsigned long crc, unsigned long v)
{
	unsigned c = (unsigned)crc;
	for (int i = 0; i < 8; i++) {
		c ^= (unsigned)(v >> (8 * i)) & 0xff;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
	}
	return c;
}
static unsigned long flags_soft(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_readeflags_u64();
#else
	return 0x202;
#endif
}

#if defined(__x86_64__)
/* 4 bytes: fits a site */
STATIC_CALL_FRAGMENT("mov %edi, %eax; add %esi, %eax")
unsigned add_seq(unsigned a, unsigned b) { return add_soft(a, b); }
/* 2 bytes: the seed's */
STATIC_CALL_FRAGMENT("pushf; pop %rax")
unsigned long flags_seq(void) { return flags_soft(); }
/* 8 bytes: too long for a site, which calls it */
STATIC_CALL_FRAGMENT("mov %edi, %eax; crc32q %rsi, %rax")
unsigned long crc_seq(unsigned long c, unsigned long v) { return crc_soft(c, v); }
/* 9 bytes: longer than any site the runtime keeps bytes for */
STATIC_CALL_FRAGMENT("mov %rdi, %rax; add %rsi, %rax; add %rdx, %rax")
unsigned long sum3_seq(unsigned long a, unsigned long b, unsigned long c)
{
	return a + b + c;
}
#endif
static unsigned long sum3_soft(unsigned long a, unsigned long b,
			       unsigned long c)
{
	return c + b + a;
}

unsigned (*STATIC_CALL_BOOT add)(unsigned, unsigned) = add_soft;
unsigned long (*STATIC_CALL_BOOT read_flags)(void) = flags_soft;
unsigned long (*STATIC_CALL_BOOT crc)(unsigned long, unsigned long) = crc_soft;
unsigned long (*STATIC_CALL_BOOT sum3)(unsigned long, unsigned long,
				       unsigned long) = sum3_soft;
/* not declared for sequences: one instruction or a call */
unsigned (*STATIC_CALL add_plain)(unsigned, unsigned) = add_soft;

__attribute__((noinline)) unsigned call_add(unsigned a, unsigned b)
{
	return add(a, b) * 3 + a;
}
__attribute__((noinline)) unsigned call_add_plain(unsigned a, unsigned b)
{
	return add_plain(a, b) * 5 + b;
}
/* second sites (a Clang site whose first byte ends a word keeps its
 * call: docs/PATCHING.md) */
__attribute__((noinline)) unsigned call_add2(unsigned a)
{
	return add(a, 5) ^ 0x55;
}
__attribute__((noinline)) unsigned long call_flags2(void)
{
	return (read_flags() >> 1) & 1;
}
__attribute__((noinline)) unsigned long call_flags(void)
{
	/* IF and the always-one bit 1: set in every user-mode RFLAGS */
	return read_flags() & 0x202;
}
__attribute__((noinline)) unsigned long call_crc(unsigned long c,
						 unsigned long v)
{
	return crc(c, v) ^ 1;
}

__attribute__((noinline)) unsigned long call_sum3(unsigned long a,
						  unsigned long b)
{
	return sum3(a, b, a ^ b) + 7;
}

static unsigned long checksum(int crc_ok)
{
	static const unsigned long in[] = { 0, 1, 0xffffffffu, 0x12345678,
					    0xdeadbeefcafef00dul, ~0ul };
	unsigned long s = 0;
	for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
		unsigned long x = in[i], y = in[(i + 2) % 6];
		s = s * 31 + call_add((unsigned)x, (unsigned)y);
		s = s * 31 + call_add_plain((unsigned)y, (unsigned)x);
		s = s * 31 + call_flags();
		s = s * 31 + call_add2((unsigned)x) + call_flags2();
		s = s * 31 + call_sum3(x, y);
		if (crc_ok)
			s = s * 31 + call_crc(x, y);
	}
	return s;
}

/* With the plugin on x86-64: how many of the key's call sites hold a
 * fragment; without it, what the plugin build must find (want). */
static int fragment_sites(const void *key, int want)
{
#if defined(__STATICCALL_PLUGIN__) && defined(__x86_64__)
	struct static_call_site_info info[16];
	int n = __staticcall_list_sites(key, info, 16), in = 0;
	(void)want;
	for (int i = 0; i < n && i < 16; i++)
		in += info[i].form == STATIC_CALL_SITE_FRAGMENT;
	return in;
#else
	(void)key;
	return want;
#endif
}

/* What a refused update returns with the plugin; plugin-free, the update
 * stores the key (nothing to refuse). */
#if defined(__STATICCALL_PLUGIN__) && defined(__x86_64__)
#define REFUSED (-EAGAIN)
#else
#define REFUSED 0
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stop;

static void *idler(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	SC_LIVE_KEY(add);
	SC_LIVE_KEY(add_plain);
	SC_LIVE_KEY(read_flags);
	SC_LIVE_KEY(crc);
	SC_LIVE_KEY(sum3);
	int crc_ok = 0;
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d))
		crc_ok = !!(c & bit_SSE4_2);
#endif
	printf("portable: %lx\n", checksum(crc_ok));
#if defined(__x86_64__)
	/* start-up, one thread: the sequences go into the sites */
	if (static_call_update(add, add_seq) ||
	    static_call_update(add_plain, add_seq) ||
	    static_call_update(read_flags, flags_seq) ||
	    static_call_update(sum3, sum3_seq) ||
	    (crc_ok && static_call_update(crc, crc_seq)))
		return 1;
	printf("crc32: %s\n", crc_ok ? "used" : "skipped (CPU lacks SSE4.2)");
	/* (a Clang site straddling an 8-byte word keeps its call) */
	if (!fragment_sites(&add, 1) || !fragment_sites(&read_flags, 1)) {
		printf("no call site holds a sequence\n");
		return 1;
	}
	if (fragment_sites(&add_plain, 0) || fragment_sites(&crc, 0) ||
	    fragment_sites(&sum3, 0)) {
		printf("a sequence at a site of a key not declared for it, "
		       "or too long for it\n");
		return 1;
	}
	SC_CHECK();
	printf("single-threaded: %lx\n", checksum(crc_ok));
	if (static_call_verify())
		return 1;

	/* a thread runs: sites holding a sequence stay, updates of their
	 * keys are refused; other keys change as ever */
	pthread_t t;
	if (pthread_create(&t, NULL, idler, NULL))
		return 1;
	int e1 = static_call_update(add, add_soft);
	int e2 = static_call_update(read_flags, flags_soft);
	printf("add: %s, read_flags: %s\n",
	       e1 == REFUSED ? "refused" : "CHANGED",
	       e2 == REFUSED ? "refused" : "CHANGED");
	if (REFUSED && ((void *)static_call_query(add) != (void *)add_seq ||
			(void *)static_call_query(read_flags) !=
				(void *)flags_seq ||
			fragment_sites(&add, 1) == 0)) {
		printf("a refused update changed something\n");
		return 1;
	}
	if (static_call_update(add_plain, add_soft) ||
	    (crc_ok && static_call_update(crc, crc_soft)) ||
	    static_call_update(sum3, sum3_soft) ||
	    static_call_update(add_plain, add_seq))
		return 1;
	SC_CHECK();
	printf("threads: %lx\n", checksum(crc_ok));
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);

	/* single-threaded again (the kernel counts the thread out a little
	 * after the join): the update goes through */
	int e = -1;
	for (int i = 0; i < 200 && e; i++) {
		e = static_call_update(add, add_soft);
		if (e)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	if (e || static_call_update(read_flags, flags_soft))
		return 1;
	if (fragment_sites(&add, 0) || fragment_sites(&read_flags, 0))
		return 1;
	SC_CHECK();
	printf("after: %lx\n", checksum(crc_ok));
	if (static_call_verify())
		return 1;
#endif
	return sc_live_exit();
}
