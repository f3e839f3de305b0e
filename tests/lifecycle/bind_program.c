/*
 * bind_program.c - lazy binding (runtime/bind.c), x86-64 and arm64 (bind.sh
 * passes the arch's call length and slot bind form).
 *
 *   bind_program unit    the binder's rules, calling it directly: the
 *                        exact end of an unbound call site of the very
 *                        trampoline binds that site and every unbound site
 *                        on its page(s), of any key, at once, and no site
 *                        on another page; a wrong key or any other return
 *                        address binds the page of that trampoline's
 *                        first unbound site; a busy registry is never
 *                        waited for; the slot leaves its bind form when no
 *                        site is left; static_call_bind
 *   bind_program stress  8 threads calling through 2 x 40 sites (plain,
 *                        and guarded `if (kb) kb(&r)`) that
 *                        start running one by one while the main thread
 *                        updates the keys (targets, NULL, return-zero) for
 *                        4 s: every call reaches one of the key's values
 *   bind_program eager   under STATICCALL_BIND=eager: every site direct
 *   bind_program args    a first call through the binder with every
 *                        integer and vector argument register in use
 *
 * Linked with the runtime's archive: it calls the hidden sc_own_bind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <staticcall.h>

int sc_own_bind(const void *desc, void *ret);
int sc_lock(sigset_t *saved);
void sc_unlock(const sigset_t *saved);
extern const char desc_ka[] __asm__("__staticcall_key.ka");
extern const char desc_kb[] __asm__("__staticcall_key_cond.kb");

static long fa(long x) { return x + 1; }
static long fb(long x) { return x + 2; }

long (*STATIC_CALL ka)(long) = fa; /* 40 plain call sites */
static void va(long *r) { *r += 1; }
static void vb(long *r) { *r += 2; }
void (*STATIC_CALL kb)(long *) = va; /* 40 guarded call sites */

/* Arguments in every argument register, integer and vector: the binder
 * a first call runs keeps them (bind_<arch>.S). */
static double fd(long a, long b, long c, long d, long e, long f, double x,
		 double y, double z, double w)
{
	return (double)(a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f) + x +
	       2 * y + 3 * z + 4 * w;
}
double (*STATIC_CALL kd)(long, long, long, long, long, long, double, double,
			 double, double) = fd;
__attribute__((noinline)) static double dsite(double v)
{
	double r = kd(1, 2, 3, 4, 5, 6, v, v + 1, v + 2, v + 3);
	__asm__ volatile("" ::: "memory");
	return r;
}

#define NS 40
/* Not tail calls: the result is used after the call. */
#define SITE_A(n)                                                             \
	__attribute__((noinline)) static long a##n(long x)                    \
	{                                                                     \
		long r = ka(x);                                               \
		__asm__ volatile("" ::: "memory");                            \
		return r + (x == -7);                                         \
	}
#define SITE_B(n)                                                             \
	__attribute__((noinline)) static long b##n(long x)                    \
	{                                                                     \
		long r = x;                                                   \
		if (kb)                                                       \
			kb(&r);                                               \
		__asm__ volatile("" ::: "memory");                            \
		return r + (x == -7);                                         \
	}
#define TEN(M, d) M(d##0) M(d##1) M(d##2) M(d##3) M(d##4) M(d##5) M(d##6) \
	M(d##7) M(d##8) M(d##9)
/* Sites on several pages: each of these starts one. */
#define PAGE_START __attribute__((aligned(4096)))
static long a20(long) PAGE_START;
static long a30(long) PAGE_START;
static long b20(long) PAGE_START;
static long b30(long) PAGE_START;
TEN(SITE_A, 0) TEN(SITE_A, 1) TEN(SITE_A, 2) TEN(SITE_A, 3)
TEN(SITE_B, 0) TEN(SITE_B, 1) TEN(SITE_B, 2) TEN(SITE_B, 3)
#define REF(n) n,
#define TENREF(p, d) REF(p##d##0) REF(p##d##1) REF(p##d##2) REF(p##d##3) \
	REF(p##d##4) REF(p##d##5) REF(p##d##6) REF(p##d##7) REF(p##d##8) \
	REF(p##d##9)
static long (*const fn_a[NS])(long) = { TENREF(a, 0) TENREF(a, 1)
					 TENREF(a, 2) TENREF(a, 3) };
static long (*const fn_b[NS])(long) = { TENREF(b, 0) TENREF(b, 1)
					 TENREF(b, 2) TENREF(b, 3) };

static int failures;
#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)

static struct static_call_site_info info[NS];

/* The site of key `which` inside function f (the plugin's call in it). */
static struct static_call_site_info *site_in(int which, long (*f)(long))
{
	int n = which ? static_call_sites(kb, info, NS)
		      : static_call_sites(ka, info, NS);
	for (int i = 0; i < n && i < NS; i++) {
		uintptr_t a = (uintptr_t)info[i].address;
		if (a >= (uintptr_t)f && a < (uintptr_t)f + 64)
			return &info[i];
	}
	return NULL;
}

static int unbound(const struct static_call_site_info *s)
{
	return s->reason && strstr(s->reason, "not bound yet");
}

static int count_unbound(int which)
{
	int c = 0;
	for (int i = 0; i < NS; i++)
		c += unbound(site_in(which, which ? fn_b[i] : fn_a[i]));
	return c;
}

static uint64_t slot_of(int which)
{
	struct static_call_site_info *s = site_in(which, which ? fn_b[0] : fn_a[0]);
	uint64_t w;
	memcpy(&w, s->trampoline, 8);
	return w;
}
/* The slot's bind form, in the bits SLOT_BIND_MASK selects (arm64:
 * word 0, `b` to the bind block; word 1 is the slow path's). */
#ifndef SLOT_BIND
#define SLOT_BIND 0xccccccccccccdeebull /* x86-64: EB DE CC*6 */
#define SLOT_BIND_MASK (~0ull)
#endif
static int slot_bind(uint64_t w)
{
	return (w & SLOT_BIND_MASK) == SLOT_BIND;
}
/* A call site's length in bytes */
#ifndef CALL_LEN
#define CALL_LEN 5
#endif

static void *end_of(int which, int i)
{
	return (char *)site_in(which, which ? fn_b[i] : fn_a[i])->address +
	       CALL_LEN;
}

static pthread_barrier_t held, release;
static void *hold_lock(void *arg)
{
	sigset_t saved;
	(void)arg;
	sc_lock(&saved);
	pthread_barrier_wait(&held);
	pthread_barrier_wait(&release);
	sc_unlock(&saved);
	return NULL;
}

/* The text pages holding the bytes of a call site at a. */
static uintptr_t page_lo(const void *a)
{
	return (uintptr_t)a & ~(uintptr_t)(getpagesize() - 1);
}
static uintptr_t page_hi(const void *a)
{
	uintptr_t ps = (uintptr_t)getpagesize();
	return ((uintptr_t)a + CALL_LEN + ps - 1) & ~(ps - 1);
}

/* After the first call of `site` (its page(s) [lo, hi)): every site of
 * both keys on those pages bound, every other site as `before` had it. */
static void check_page_bound(const char *what, uintptr_t lo, uintptr_t hi,
			     const int before[2][NS])
{
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NS; i++) {
			struct static_call_site_info *s =
				site_in(k, k ? fn_b[i] : fn_a[i]);
			uintptr_t a = (uintptr_t)s->address;
			int mate = a >= lo && a + CALL_LEN <= hi;
			CHECK(mate ? !unbound(s) : unbound(s) == before[k][i],
			      "%s: site %c%02d (%s page) %s", what, "ab"[k], i,
			      mate ? "same" : "other",
			      unbound(s) ? "unbound" : "bound");
		}
}

static void snapshot(int st[2][NS])
{
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NS; i++)
			st[k][i] = unbound(site_in(k, k ? fn_b[i] : fn_a[i]));
}

/* A ka site still unbound (on another page than every bound one). */
static int first_unbound_a(void)
{
	for (int i = 0; i < NS; i++)
		if (unbound(site_in(0, fn_a[i])))
			return i;
	return -1;
}

static int unit(void)
{
	int before[2][NS];
	CHECK(count_unbound(0) == NS && count_unbound(1) == NS,
	      "every call site starts unbound: %d %d", count_unbound(0),
	      count_unbound(1));
	CHECK(slot_bind(slot_of(0)), "slot in bind form: %#llx",
	      (unsigned long long)slot_of(0));
	/* a site that never ran reaches the key's value */
	static_call_update(ka, fb);
	CHECK(a05(1) == 3, "unbound site follows an update");
	static_call_update(ka, fa);
	/* a05 bound its page: start from what it left */
	snapshot(before);

	/* exact site: its first call binds it and its page-mates, of both
	 * keys, and nothing on another page */
	int f = first_unbound_a();
	CHECK(f >= 0, "a05 bound only its page");
	if (f < 0)
		return failures;
	void *af = site_in(0, fn_a[f])->address;
	sc_own_bind(desc_ka, end_of(0, f));
	check_page_bound("first call", page_lo(af), page_hi(af), before);
	struct static_call_site_info *s = site_in(0, fn_a[f]);
	/* direct, or (a Clang site straddling a word) bound on its
	 * trampoline with its reason */
	CHECK(!unbound(s) && s->reaches == (void *)fa,
	      "bound after its first call: form %d reason %s", s->form,
	      s->reason ? s->reason : "-");
	int u = first_unbound_a();
	CHECK(u >= 0, "some ka site on another page stays unbound");
	if (u < 0)
		return failures;

	/* busy registry: never waited for */
	pthread_t th;
	void *endu = end_of(0, u); /* static_call_sites takes the lock */
	pthread_barrier_init(&held, NULL, 2);
	pthread_barrier_init(&release, NULL, 2);
	pthread_create(&th, NULL, hold_lock, NULL);
	pthread_barrier_wait(&held);
	CHECK(sc_own_bind(desc_ka, endu) == -EBUSY, "busy: -EBUSY");
	pthread_barrier_wait(&release);
	pthread_join(th, NULL);
	sigset_t saved;
	sc_lock(&saved);
	int r = sc_own_bind(desc_ka, endu);
	sc_unlock(&saved);
	CHECK(r == -EDEADLK, "own lock: -EDEADLK, got %d", r);
	CHECK(unbound(site_in(0, fn_a[u])), "nothing bound while busy");

	/* wrong key: ka's site is not kb's, and stays unbound; kb binds
	 * the page of its first unbound site. A return address that ends no
	 * site (a tail call through the trampoline, anything): the same;
	 * once none is left, the slot is normal. */
	for (int i = 0; i < NS && count_unbound(1); i++) {
		int next = -1;
		for (int j = 0; j < NS && next < 0; j++)
			if (unbound(site_in(1, fn_b[j])))
				next = j;
		void *an = site_in(1, fn_b[next])->address;
		snapshot(before);
		sc_own_bind(desc_kb, i == 0 ? endu
				     : i % 2 ? (void *)unit
					     : (char *)end_of(1, 39) - 1);
		check_page_bound("kb through no site of its own", page_lo(an),
				 page_hi(an), before);
		CHECK(i || unbound(site_in(0, fn_a[u])) ||
		      (uintptr_t)site_in(0, fn_a[u])->address - page_lo(an) <
		      (uintptr_t)getpagesize(),
		      "a site of another key stays unbound");
	}
	CHECK(count_unbound(1) == 0, "kb all bound: %d", count_unbound(1));
	if (slot_bind(slot_of(1))) /* its last batch was a page's */
		sc_own_bind(desc_kb, (void *)unit);
	CHECK(!slot_bind(slot_of(1)), "slot back to normal: %#llx",
	      (unsigned long long)slot_of(1));
	/* a ka site on a page kb's did not bind: its first call binds its
	 * page (ka's slot is normal once no site is left) */
	while ((u = first_unbound_a()) >= 0) {
		snapshot(before);
		void *au = site_in(0, fn_a[u])->address;
		sc_own_bind(desc_ka, end_of(0, u));
		check_page_bound("first call of another page", page_lo(au),
				 page_hi(au), before);
	}
	CHECK(!slot_bind(slot_of(0)), "ka's slot normal: %#llx",
	      (unsigned long long)slot_of(0));

	/* calls through every site, bound or not */
	for (int i = 0; i < NS; i++)
		CHECK(fn_a[i](1) == 2 && fn_b[i](1) == 2, "site %d calls", i);
	static_call_update_null(kb);
	static_call_update(ka, fb);
	for (int i = 0; i < NS; i++)
		CHECK(fn_a[i](1) == 3 && fn_b[i](1) == 1, "site %d updated", i);
	/* the API binds the rest */
	CHECK(static_call_bind(ka) == 0, "static_call_bind");
	CHECK(count_unbound(0) == 0, "all of ka bound: %d", count_unbound(0));
	CHECK(!slot_bind(slot_of(0)), "ka's slot normal");
	for (int i = 0; i < NS; i++) {
		s = site_in(0, fn_a[i]);
		CHECK(!unbound(s) && s->reaches == (void *)fb,
		      "site %d bound to fb", i);
	}
	CHECK(static_call_bind_all() == 0, "static_call_bind_all");
	CHECK(__staticcall_bind_now(&failures) == -ENOENT, "not a key");
	return failures;
}

/* A first call through the binder, first thing in its process (no page
 * of kd's site bound before): every argument register arrives. */
static int args(void)
{
	/* its first call runs the binder: every argument arrives */
	struct static_call_site_info di;
	CHECK(static_call_sites(kd, &di, 1) == 1 && di.reason &&
	      strstr(di.reason, "not bound yet"), "kd's site starts unbound");
	double want = 91 + 0.5 + 2 * 1.5 + 3 * 2.5 + 4 * 3.5;
	double got = dsite(0.5);
	CHECK(got == want, "first call through the binder: %g, not %g", got,
	      want);
	CHECK(static_call_sites(kd, &di, 1) == 1 && !(di.reason &&
	      strstr(di.reason, "not bound yet")), "kd's site bound");
	return failures;
}

/* ---- stress ---------------------------------------------------------- */
static volatile int stop;
static struct timespec t0;

static double since_start(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
}

static void *caller(void *arg)
{
	long bad = 0, calls = 0;
	(void)arg;
	while (!stop) {
		/* sites start running one by one over the first 3 s, so
		 * binding goes on while the keys change */
		int active = 1 + (int)(since_start() / 3.0 * NS);
		for (int i = 0; i < NS && i < active; i++) {
			long ra = fn_a[i](10), rb = fn_b[i](10);
			bad += !(ra == 11 || ra == 12 || ra == 0);
			bad += !(rb == 11 || rb == 12 || rb == 10);
			calls += 2;
		}
	}
	return (void *)bad;
}

static int stress(void)
{
	pthread_t th[8];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, caller, NULL);
	long updates = 0;
	while (since_start() < 4.0) {
		switch (updates++ % 4) {
		case 0: static_call_update(ka, fa); static_call_update(kb, vb); break;
		case 1: static_call_update(ka, fb); static_call_update_null(kb); break;
		case 2: static_call_update_ret0(ka); static_call_update(kb, va); break;
		case 3: static_call_update(ka, fa); static_call_update_null(kb); break;
		}
	}
	stop = 1;
	long bad = 0;
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += (long)r;
	}
	printf("stress: %ld updates, %ld wrong results, %d+%d sites unbound\n",
	       updates, bad, count_unbound(0), count_unbound(1));
	/* at least this many updates (fewer under qemu -singlestep) */
	const char *min = getenv("BIND_STRESS_MIN_UPDATES");
	return bad != 0 || updates < (min ? atol(min) : 100);
}

static int eager(void)
{
	CHECK(count_unbound(0) == 0 && count_unbound(1) == 0, "eager: unbound");
	CHECK(!slot_bind(slot_of(0)), "eager: no bind slot");
	for (int i = 0; i < NS; i++)
		CHECK(site_in(0, fn_a[i])->reaches == (void *)fa,
		      "eager: site %d reaches its target", i);
	return failures;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "unit";
	int r = !strcmp(mode, "unit")     ? unit()
		: !strcmp(mode, "stress") ? stress()
		: !strcmp(mode, "eager")  ? eager()
		: !strcmp(mode, "args")   ? args()
					  : 2;
	printf("bind_program %s: %s\n", mode, r ? "FAILED" : "ok");
	return r != 0;
}
