/*
 * A kernel-style program using every name of <staticcall/kernel.h>, built
 * with and without a plugin, with and without the runtime (run.sh). With
 * the runtime each site's form is checked after every change
 * (static_key_sites): a NOP while its branch falls through, a jump while
 * it is taken, in the program, a shared library and a dlopen'ed module;
 * counting semantics, underflow, fork. Without it every site is its load
 * and test and the branches still follow the keys.
 *
 *   kernel_style patched|test
 *   kernel_style serve   trace_key enabled, the rest as defined: prints
 *                        "ready", waits for a line on stdin (run.sh
 *                        inspects the live forms meanwhile)
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <staticcall/kernel.h>

DEFINE_STATIC_KEY_FALSE(trace_key);
DEFINE_STATIC_KEY_TRUE(fast_key);
DECLARE_STATIC_KEY_FALSE(lib_key); /* keys_lib.c */
struct static_key plain_key = STATIC_KEY_INIT_FALSE;

int lib_unlikely(void);
int lib_likely(void);

static int failures;
static int expect_patched;

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,      \
				__LINE__, #c);                                \
			failures++;                                           \
		}                                                             \
	} while (0)

__attribute__((noinline)) static int traced(void)
{
	if (static_branch_unlikely(&trace_key))
		return 1;
	return 0;
}

__attribute__((noinline)) static int fast(void)
{
	if (static_branch_likely(&fast_key))
		return 1;
	return 0;
}

__attribute__((noinline)) static int plain(void)
{
	return static_branch_unlikely(&plain_key) ? 1 : 0;
}

__attribute__((noinline)) static int lib_from_main(void)
{
	return static_branch_unlikely(&lib_key) ? 1 : 0;
}

/* Every registered site of the key in the form its state asks for. */
#define CHECK_FORMS(k, nsites)                                                \
	check_forms(__LINE__, __sk_key(k), static_key_enabled(k), nsites)
static void check_forms(int line, struct static_key *k, int on, int nsites)
{
	struct static_key_site_info info[16];
	int n = static_key_sites(k, info, 16);
	if (!expect_patched) {
		if (n != -ENOSYS && n > 0)
			for (int i = 0; i < n && i < 16; i++)
				if (info[i].form != STATIC_KEY_SITE_TEST) {
					fprintf(stderr, "line %d: site %p "
						"patched\n", line,
						info[i].address);
					failures++;
				}
		return;
	}
	if (n != nsites) {
		fprintf(stderr, "line %d: %d sites, expected %d\n", line, n,
			nsites);
		failures++;
	}
	for (int i = 0; i < n && i < 16; i++) {
		int jump = on != info[i].likely;
		int want = jump ? STATIC_KEY_SITE_JUMP : STATIC_KEY_SITE_NOP;
		if (info[i].form != want) {
			fprintf(stderr,
				"line %d: site %p in %s: form %d, expected %d "
				"(%s)\n",
				line, info[i].address, info[i].object,
				info[i].form, want,
				info[i].reason ? info[i].reason : "");
			failures++;
		}
	}
}

/* ---- static calls ---------------------------------------------------- */

static int add1(int x) { return x + 1; }
static int twice(int x) { return x * 2; }
static int hits;
static void note(int x) { hits += x; }

DEFINE_STATIC_CALL(op, add1);
DECLARE_STATIC_CALL(op, add1);
DEFINE_STATIC_CALL_NULL(hook, note);
DEFINE_STATIC_CALL_RET0(probe, add1);

__attribute__((noinline)) static int run_op(int x)
{
	return static_call(op)(x);
}

__attribute__((noinline)) static void run_hook(int x, int c)
{
	if (c)
		static_call_cond(hook)(x);
	else
		hits += 100; /* binds to `if (c)`, not to the macro's if */
}

static void static_calls(void)
{
	CHECK(run_op(3) == 4);
	CHECK(static_call_query(op) == add1);
	CHECK(static_call_update(op, twice) == 0);
	CHECK(run_op(3) == 6);
	CHECK(static_call_query(op) == twice);
	run_hook(5, 1); /* NULL: nothing */
	CHECK(hits == 0);
#if defined(__STATICCALL_PLUGIN__) && defined(__x86_64__)
	/* the plugins see static_call_cond's if/else as a guarded call: one
	 * site, a NOP while the key is NULL */
	struct static_call_site_info si[2];
	CHECK(static_call_bind(STATIC_CALL_KEY(hook)) == 0);
	CHECK(static_call_sites(STATIC_CALL_KEY(hook), si, 2) == 1);
	CHECK(!expect_patched || si[0].form == STATIC_CALL_SITE_NOP);
#endif
	run_hook(5, 0);
	CHECK(hits == 100);
	static_call_update(hook, note);
	run_hook(5, 1);
	CHECK(hits == 105);
	CHECK(static_call(probe)(7) == 0);
	static_call_update(probe, add1);
	CHECK(static_call(probe)(7) == 8);
	/* <staticcall.h>'s by-key form stays available (a runtime call) */
#if !defined(__STATICCALL_PLUGIN__) /* weak without a plugin (kernel.h) */
	if (!__staticcall_update)
		return;
#endif
	CHECK(static_call_update_key(STATIC_CALL_KEY(op), add1) == 0);
	CHECK(static_call_query_key(STATIC_CALL_KEY(op)) == add1);
	CHECK(run_op(1) == 2);
}

/* ---- static keys ----------------------------------------------------- */

static void keys(void)
{
	CHECK(!traced() && fast() && !plain() && !lib_unlikely());
	CHECK(!static_key_enabled(&trace_key) && static_key_enabled(&fast_key));
	CHECK_FORMS(&trace_key, 1);
	CHECK_FORMS(&fast_key, 1);
	CHECK_FORMS(&lib_key, 3);

	CHECK(static_branch_enable(&trace_key) == 0);
	CHECK(traced() && static_key_enabled(&trace_key));
	CHECK_FORMS(&trace_key, 1);
	CHECK(static_branch_enable(&trace_key) == 0); /* stays 1 */
	CHECK(static_key_count(&trace_key) == 1);
	CHECK(static_branch_disable(&trace_key) == 0);
	CHECK(!traced());
	CHECK_FORMS(&trace_key, 1);

	CHECK(static_branch_disable(&fast_key) == 0);
	CHECK(!fast());
	CHECK_FORMS(&fast_key, 1);
	CHECK(static_branch_enable(&fast_key) == 0);
	CHECK(fast());

	/* counting: on from 0 to 1, off from 1 to 0 */
	CHECK(static_branch_inc(&lib_key) == 0);
	CHECK(static_branch_inc(&lib_key) == 0);
	CHECK(lib_unlikely() && lib_likely() && lib_from_main());
	CHECK_FORMS(&lib_key, 3);
	CHECK(static_branch_dec(&lib_key) == 0);
	CHECK(lib_unlikely() && static_key_count(&lib_key) == 1);
	CHECK(static_branch_dec(&lib_key) == 0);
	CHECK(!lib_unlikely() && !lib_likely() && !lib_from_main());
	CHECK_FORMS(&lib_key, 3);
	/* underflow: an error, nothing changed */
	CHECK(static_branch_dec(&lib_key) == -ERANGE);
	CHECK(static_key_count(&lib_key) == 0 && !lib_unlikely());
	CHECK_FORMS(&lib_key, 3);

	CHECK(static_key_enable(&plain_key) == 0 && plain());
	CHECK(static_key_slow_dec(&plain_key) == 0 && !plain());
	CHECK(static_key_slow_inc(&plain_key) == 0 && plain());
	CHECK(static_key_disable(&plain_key) == 0 && !plain());
}

/* A module with sites on lib_key: patched to the key's state at dlopen,
 * gone at dlclose, the key's other sites unaffected. */
static void modules(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/libkeys_dl.so", dir);
	for (int round = 0; round < 3; round++) {
		void *h = dlopen(path, RTLD_NOW);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			failures++;
			return;
		}
		int (*dl_unlikely)(void) = (int (*)(void))dlsym(h, "dl_unlikely");
		CHECK(dl_unlikely && dl_unlikely() == (round == 1));
		CHECK_FORMS(&lib_key, 4);
		CHECK(static_branch_enable(&lib_key) == 0);
		CHECK(dl_unlikely() == 1);
		CHECK_FORMS(&lib_key, 4);
		if (round != 0)
			CHECK(static_branch_disable(&lib_key) == 0);
		dlclose(h);
		CHECK_FORMS(&lib_key, 3);
	}
	CHECK(static_branch_disable(&lib_key) == 0 && !lib_unlikely());
}

/* A child changes its own copy of the code and keys, the parent's stay. */
static void forked(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int ok = static_branch_enable(&trace_key) == 0 && traced();
		CHECK_FORMS(&trace_key, 1);
		_exit(ok && !failures ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(!traced());
	CHECK_FORMS(&trace_key, 1);
}

/* static_call_seal(CODE): every site back on its load and test; a key
 * then changes its count alone, and the branches still follow it. */
#pragma weak static_call_seal
static void sealed(void)
{
	if (!expect_patched || !static_call_seal)
		return;
	CHECK(static_branch_enable(&trace_key) == 0);
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == 0);
	struct static_key_site_info info[4];
	CHECK(static_key_sites(&trace_key, info, 4) == 1);
	CHECK(info[0].form == STATIC_KEY_SITE_TEST && info[0].reason);
	CHECK(traced());
	CHECK(static_branch_disable(&trace_key) == 0 && !traced());
	CHECK(static_key_sites(&trace_key, info, 4) == 1);
	CHECK(info[0].form == STATIC_KEY_SITE_TEST);
}

int main(int argc, char **argv)
{
	expect_patched = argc > 1 && !strcmp(argv[1], "patched");
	if (argc > 1 && !strcmp(argv[1], "serve")) {
		char line[8];
		static_branch_enable(&trace_key);
		printf("ready\n");
		fflush(stdout);
		return !fgets(line, sizeof line, stdin);
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", argv[0]);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	keys();
	static_calls();
	modules(dir);
	forked();
	sealed();
	printf("kernel_style (%s): %s\n", expect_patched ? "patched" : "test",
	       failures ? "FAILED" : "ok");
	return failures != 0;
}
