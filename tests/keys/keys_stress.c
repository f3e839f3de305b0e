/*
 * Static keys toggled while 8 threads run their sites (3 s, or argv[1]
 * seconds). Sites at every offset their alignment allows (a few NOPs of
 * padding before each), likely and unlikely, on two keys. A seqlock
 * around each toggle tells a runner when the key's state was stable for
 * the whole of one check: the branch must then agree with it. A thread
 * stopped inside a site resumes after any number of changes (SIGSEGV or
 * SIGILL otherwise).
 *
 *   keys_stress [seconds]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <staticcall/kernel.h>

DEFINE_STATIC_KEY_FALSE(key_a);
DEFINE_STATIC_KEY_TRUE(key_b);

static unsigned long seq_a, seq_b; /* odd while that key changes */
static int stop;
static unsigned long errors, checks;

#if defined(__x86_64__) /* n NOPs before the site */
#define PAD(n) __asm__ volatile(".fill " #n ", 1, 0x90")
#else
#define PAD(n) __asm__ volatile(".fill " #n ", 4, 0xd503201f")
#endif
#define SITES(n)                                                              \
	__attribute__((noinline)) static int ua##n(void)                     \
	{                                                                     \
		PAD(n);                                                       \
		return static_branch_unlikely(&key_a) ? 1 : 0;                \
	}                                                                     \
	__attribute__((noinline)) static int lb##n(void)                     \
	{                                                                     \
		PAD(n);                                                       \
		return static_branch_likely(&key_b) ? 1 : 0;                  \
	}
SITES(0) SITES(1) SITES(2) SITES(3) SITES(4) SITES(5) SITES(6) SITES(7)
static int (*const ua[])(void) = { ua0, ua1, ua2, ua3, ua4, ua5, ua6, ua7 };
static int (*const lb[])(void) = { lb0, lb1, lb2, lb3, lb4, lb5, lb6, lb7 };

static void check(unsigned long *seq, int (*f)(void), int state_odd)
{
	unsigned long s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
	int r = f();
	unsigned long s2 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
	if (s1 == s2 && !(s1 & 1)) {
		/* stable: every (s1 / 2)-th change flips the state */
		int on = (int)((s1 / 2) & 1) == state_odd;
		if (r != on)
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&checks, 1, __ATOMIC_RELAXED);
	}
}

static void *runner(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		check(&seq_a, ua[i++ % 8], 1); /* key_a starts off */
		check(&seq_b, lb[i % 8], 0);   /* key_b starts on */
	}
	return NULL;
}

static int toggle(unsigned long *seq, int (*change)(int), int how)
{
	__atomic_fetch_add(seq, 1, __ATOMIC_ACQ_REL);
	int err = change(how);
	__atomic_fetch_add(seq, 1, __ATOMIC_ACQ_REL);
	return err;
}

/* key_a by enable/disable, key_b by dec/inc (its count stays 0..1). */
static int change_a(int on)
{
	return on ? static_branch_enable(&key_a) : static_branch_disable(&key_a);
}
static int change_b(int on)
{
	return on ? static_branch_inc(&key_b) : static_branch_dec(&key_b);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	pthread_t th[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, runner, (void *)(uintptr_t)i);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long toggles = 0;
	int err = 0;
	do {
		int on = !(toggles & 1);
		err |= toggle(&seq_a, change_a, on);
		err |= toggle(&seq_b, change_b, !on);
		toggles++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!err && t.tv_sec - t0.tv_sec +
				 (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	struct static_key_site_info info[16];
	int na = static_key_sites(&key_a, info, 16);
	int nb = static_key_sites(&key_b, info, 16);
	printf("keys stress: %lu toggles of each key, %lu stable checks, "
	       "%lu wrong, %d+%d sites registered%s\n",
	       toggles, checks, errors, na, nb, err ? ", a toggle FAILED" : "");
	return err || errors || !checks || toggles < 2 || na != 8 || nb != 8;
}
