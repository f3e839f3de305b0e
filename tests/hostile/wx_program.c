/*
 * W^X policies and static_call_seal (docs/GUIDE.md, "W^X policies and
 * sandboxes"); wx.sh runs each mode and checks stderr and the exit status.
 *
 *   (no argument)  run by wx_exec: the policy is present from the start;
 *                  the program stays correct on its trampolines, updates
 *                  succeed, every site says why it is not direct.
 *   seal-code      patched first, then static_call_seal(CODE), then the
 *                  policy: updates, plain stores, member stores, memcpy and
 *                  struct copies into a key struct all reach their targets.
 *   env-code       the same with STATICCALL_SEAL=code and no call.
 *   env-updates    STATICCALL_SEAL=updates: updates refused, stores follow;
 *                  static_call_seal(UPDATES) then mseals the text.
 *   no-seal        patched, then the policy, no seal: updates fail with
 *                  nothing changed; stores leave sites stale, reported on
 *                  stderr (STATICCALL_ON_STALE=abort: an abort).
 *   seal-updates   static_call_seal(UPDATES): updates return -EPERM and
 *                  change nothing; the text is mseal'ed where the kernel
 *                  has mseal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "staticcall.h"
#include "wx_filter.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x * 2; }
static int c(int x) { return x + 3; }
int (*STATIC_CALL wk)(int) = a;

__attribute__((noinline)) int call(int x) { return wk(x); }
__attribute__((noinline)) int tail(int x) { return wk(x + 1); }
/* a static function: named in reports from the file's .symtab */
static __attribute__((noinline)) int call_static(int x)
{
	return wk(x + 2);
}

/* a struct-field key */
struct ops { int (*STATIC_CALL fn)(int); };
struct ops ops = { a };
__attribute__((noinline)) int mcall(int x) { return ops.fn(x); }

/* a guarded key (NOP while NULL) and a return-zero key */
static int hits;
static void bump(void) { hits++; }
void (*STATIC_CALL gv)(void) = bump;
__attribute__((noinline)) void guard(void) { if (gv) gv(); }
int (*STATIC_CALL rk)(int) = a;
__attribute__((noinline)) int rcall(int x) { return rk(x); }

/* a key with many sites: reports are rate-limited */
int (*STATIC_CALL many)(int) = a;
#define M(i) __attribute__((noinline)) int m##i(int x) { return many(x) + i; }
M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
static int many_all(int x)
{
	return m0(x) + m1(x) + m2(x) + m3(x) + m4(x) + m5(x) + m6(x) + m7(x);
}

static int bad;
#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			printf("FAILED line %d: %s\n", __LINE__, #cond);      \
			bad++;                                                \
		}                                                             \
	} while (0)

static int wk_calls(int (*fn)(int))
{
	return call(5) == fn(5) && tail(5) == fn(6) && call_static(5) == fn(7);
}

static void policy_in_force(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED);
}

static void lock_down(void)
{
	if (wx_install()) {
		perror("wx_program: seccomp");
		_exit(77);
	}
	policy_in_force();
}

/* Every kind of change of a key, each followed by calls through it. */
static void exercise(void)
{
	struct ops tmp;
	CHECK(static_call_update(wk, b) == 0);
	CHECK(wk_calls(b));
	wk = c; /* plain stores */
	CHECK(wk_calls(c));
	wk = a;
	CHECK(wk_calls(a));
	ops.fn = b; /* member store */
	CHECK(mcall(5) == 10);
	tmp.fn = c; /* memcpy and struct copy into the key's struct */
	memcpy(&ops, &tmp, sizeof ops);
	CHECK(mcall(5) == 8);
	tmp.fn = a;
	ops = tmp;
	CHECK(mcall(5) == 6);
	CHECK(static_call_update(ops.fn, b) == 0);
	CHECK(mcall(5) == 10);
	/* a guarded NULL key: the NULL-safe trampoline */
	hits = 0;
	CHECK(static_call_update_null(gv) == 0);
	guard();
	CHECK(hits == 0);
	gv = bump;
	guard();
	CHECK(hits == 1);
	gv = NULL;
	guard();
	CHECK(hits == 1);
	CHECK(static_call_update(gv, bump) == 0);
	guard();
	CHECK(hits == 2);
	/* return zero: the slow path calls __staticcall_ret0 */
	CHECK(static_call_update_ret0(rk) == 0);
	CHECK(rcall(5) == 0);
	rk = c;
	CHECK(rcall(5) == 8);
	many = b;
	CHECK(many_all(5) == 8 * 10 + 28);
}

/* every site of wk on its trampoline, for the reason given */
static void sites_say(const char *reason)
{
	struct static_call_site_info si[8];
	int n = static_call_sites(wk, si, 8);
	CHECK(n >= 3);
	for (int i = 0; i < n && i < 8; i++) {
		CHECK(si[i].form == STATIC_CALL_SITE_TRAMPOLINE);
		CHECK(si[i].reason && strstr(si[i].reason, reason));
	}
	if (n > 0)
		printf("wk: %d sites: %s\n", n, si[0].reason ? si[0].reason : "-");
}

static int wk_direct(void)
{
	struct static_call_site_info si[8];
	int n = static_call_sites(wk, si, 8);
	for (int i = 0; i < n && i < 8; i++)
		if (si[i].form != STATIC_CALL_SITE_DIRECT &&
		    si[i].form != STATIC_CALL_SITE_TAIL_JUMP)
			return 0;
	return n > 0;
}

/* The original test: a policy present from the start. */
static int from_start(void)
{
	policy_in_force();
	for (int i = 0; i < 100; i++) {
		int (*fn)(int) = (i & 1) ? b : a;
		CHECK(static_call_update(wk, fn) == 0);
		CHECK(call(5) == fn(5) && tail(5) == fn(6));
	}
	sites_say("W^X");
	return bad;
}

static int seal_code(void)
{
	/* sites in every form first: direct, NOP, inline return-zero */
	CHECK(static_call_update_null(gv) == 0);
	CHECK(static_call_update_ret0(rk) == 0);
	CHECK(wk_direct());
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == 0);
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == 0); /* again: 0 */
	sites_say("sealed by static_call_seal");
	CHECK(rcall(5) == 0);
	guard();
	CHECK(hits == 0);
	lock_down();
	exercise();
	/* code, then updates: both in force; stores still follow */
	CHECK(static_call_seal(STATIC_CALL_SEAL_UPDATES) == 0);
	CHECK(static_call_update(wk, b) == -EPERM);
	CHECK(wk_calls(a));
	wk = c;
	CHECK(wk_calls(c));
	return bad;
}

static int env_code(void)
{
	sites_say("sealed by STATICCALL_SEAL=code");
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == 0);
	lock_down();
	exercise();
	return bad;
}

/* Does this kernel have mseal(2)? Probed on a page of our own. */
static int have_mseal(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED && syscall(462, p, 4096UL, 0UL) == 0;
}

/* The text of the program: sealed where the kernel has mseal. */
static void check_text_sealed(void)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *page = (void *)((uintptr_t)&call & ~(ps - 1));
	int sealed = mprotect(page, ps, PROT_READ | PROT_EXEC) != 0 &&
		     errno == EPERM;
	if (have_mseal()) {
		CHECK(sealed);
		printf("mseal: text sealed\n");
	} else {
		CHECK(!sealed);
		printf("mseal: not in this kernel: skipped\n");
	}
}

static int env_updates(void)
{
	sites_say("updates sealed");
	/* the mseal the guide tells such a program to ask for (the
	 * variable's freeze alone seals nothing; a review found the call
	 * sealed nothing either) */
	CHECK(static_call_seal(STATIC_CALL_SEAL_UPDATES) == 0);
	check_text_sealed();
	lock_down();
	CHECK(static_call_update(wk, b) == -EPERM);
	CHECK(wk == a && wk_calls(a));
	wk = c; /* every site is on its slow path: follows, nothing stale */
	CHECK(wk_calls(c));
	ops.fn = b;
	CHECK(mcall(5) == 10);
	return bad;
}

static int no_seal(void)
{
	CHECK(wk_direct());
	lock_down();
	CHECK(static_call_update(wk, b) == -EPERM); /* nothing changed */
	CHECK(wk == a && wk_calls(a));
	printf("stores:\n");
	fflush(stdout);
	wk = b;     /* stale: reported */
	many = b;   /* 8 sites: a few named, then a count */
	ops.fn = c; /* member store */
	struct ops tmp = { b };
	memcpy(&ops, &tmp, sizeof ops);
	printf("stores done\n");
	return bad;
}

static int seal_updates(void)
{
	CHECK(wk_direct());
	CHECK(static_call_seal(STATIC_CALL_SEAL_UPDATES) == 0);
	CHECK(static_call_seal(STATIC_CALL_SEAL_UPDATES) == 0); /* again: 0 */
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == -EPERM);
	CHECK(static_call_seal(4) == -EINVAL);
	CHECK(static_call_update(wk, b) == -EPERM);
	CHECK(static_call_update_null(gv) == -EPERM);
	CHECK(static_call_update_ret0(rk) == -EPERM);
	CHECK(wk == a && gv == bump && rk == a);
	CHECK(wk_calls(a) && wk_direct());
	guard();
	CHECK(hits == 1 && rcall(5) == 6);
	check_text_sealed();
	printf("stores:\n");
	fflush(stdout);
	wk = b; /* stored (C semantics), sites stale: reported */
	CHECK(wk == b);
	return bad;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int r;
	if (!*mode)
		r = from_start();
	else if (!strcmp(mode, "seal-code"))
		r = seal_code();
	else if (!strcmp(mode, "env-code"))
		r = env_code();
	else if (!strcmp(mode, "env-updates"))
		r = env_updates();
	else if (!strcmp(mode, "no-seal"))
		r = no_seal();
	else if (!strcmp(mode, "seal-updates"))
		r = seal_updates();
	else
		return 2;
	printf("%s: %d problems\n", *mode ? mode : "from start", r);
	return r != 0;
}
