/*
 * bind_corrupt.c - a record that does not match its code, in an object
 * registered with lazy binding (bind_corrupt_lib.S): reported, never
 * patched, when its key is updated and when calls go through its
 * trampoline with its return address; the object's good site still binds
 * and follows the key.
 *
 *   bind_corrupt LIB.so [calls-first|update-first]
 *
 * update-first: the key is updated before any call, while the object's
 * records are still deferred (object.c); calls-first: the binder sees the
 * corrupt record first; fork-first: a child of fork does that with the
 * records it inherited deferred, then the parent; seal-first:
 * static_call_seal(STATIC_CALL_SEAL_CODE) while they are deferred. Ends
 * with a dlclose.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "staticcall.h"

static long add2(long x)
{
	return x + 2;
}

static long add3(long x)
{
	return x + 3;
}

static int failures;
#define CHECK(c, ...)                            \
	do {                                     \
		if (!(c)) {                      \
			failures++;              \
			printf("FAIL %s: ", #c); \
			printf(__VA_ARGS__);     \
			printf("\n");            \
		}                                \
	} while (0)

static unsigned char before[8];
static const unsigned char *bad_site;

static void check_bad(const char *when, void *key)
{
	static struct static_call_site_info info[1200];
	int n = __staticcall_list_sites(key, info, 1200), seen = 0;
	CHECK(!memcmp(bad_site, before, sizeof before),
	      "%s: the corrupt site's bytes changed", when);
	for (int i = 0; i < n && i < 1200; i++) {
		if (info[i].address != bad_site)
			continue;
		seen = 1;
		CHECK(info[i].reason &&
			      strstr(info[i].reason, "does not hold a call"),
		      "%s: corrupt site reported as '%s'", when,
		      info[i].reason ? info[i].reason : "(direct)");
	}
	CHECK(n == 2 + 1100 && seen, "%s: %d sites, corrupt one listed: %d",
	      when, n, seen);
}

int main(int argc, char **argv)
{
	int update_first = argc > 2 && !strcmp(argv[2], "update-first");
	int fork_first = argc > 2 && !strcmp(argv[2], "fork-first");
	int seal_first = argc > 2 && !strcmp(argv[2], "seal-first");
	void *h = dlopen(argc > 1 ? argv[1] : "./libbind_corrupt.so", RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	long (**key)(long) = dlsym(h, "bc_key");
	long (*good)(long) = dlsym(h, "bc_good");
	long (*bad)(long) = dlsym(h, "bc_bad");
	bad_site = dlsym(h, "bc_bad_site");
	if (!key || !good || !bad || !bad_site) {
		printf("dlsym failed\n");
		return 1;
	}
	memcpy(before, bad_site, sizeof before);
	if (fork_first) {
		/* the child inherits the deferred records: it runs the
		 * checks below; the parent then runs them too */
		pid_t pid = fork();
		if (pid < 0) {
			printf("fork failed\n");
			return 1;
		}
		if (pid) {
			int st = 0;
			waitpid(pid, &st, 0);
			CHECK(WIFEXITED(st) && !WEXITSTATUS(st),
			      "the forked child failed (status %#x)", st);
		}
	}
	if (update_first) {
		/* an update while the object's records are deferred */
		CHECK(!__staticcall_update(key, (void *)add2), "update failed");
		CHECK(!memcmp(bad_site, before, sizeof before),
		      "the corrupt site's bytes changed at the first update");
	}
	long d = update_first ? 2 : 1;
	if (seal_first) {
		/* sealed while deferred: code never written again, every
		 * call through the slow path, the corrupt site reported */
		CHECK(!static_call_seal(STATIC_CALL_SEAL_CODE), "seal failed");
		CHECK(!__staticcall_update(key, (void *)add3), "update failed");
		CHECK(bad(10) == 13 && good(10) == 26, "sealed: %ld %ld",
		      bad(10), good(10));
		check_bad("sealed", key);
		CHECK(!dlclose(h), "dlclose failed");
		printf("bind_corrupt: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}

	/* calls through the trampoline with the corrupt site's return
	 * address reach the binder: it must not bind that record */
	for (int i = 0; i < 4; i++)
		CHECK(bad(10) == 10 + d, "bad(10) = %ld", bad(10));
	CHECK(good(10) == 2 * (10 + d), "good(10) = %ld", good(10));
	CHECK(!memcmp(bad_site, before, sizeof before),
	      "the corrupt site's bytes changed by the binder");
	check_bad("after calls through the trampoline", key);

	/* an update re-targets bound sites, never the corrupt one */
	CHECK(!__staticcall_update(key, (void *)add3), "update failed");
	CHECK(bad(10) == 13 && good(10) == 26, "after update: %ld %ld", bad(10),
	      good(10));
	check_bad("after an update", key);

	/* binding everything now leaves it alone too */
	__staticcall_bind_now(NULL);
	CHECK(!__staticcall_update(key, (void *)add2), "update failed");
	CHECK(bad(10) == 12 && good(10) == 24, "after bind_now: %ld %ld",
	      bad(10), good(10));
	check_bad("after static_call_bind", key);

	/* dlclose unregisters it: its records go with it */
	CHECK(!dlclose(h), "dlclose failed");

	printf("bind_corrupt: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
