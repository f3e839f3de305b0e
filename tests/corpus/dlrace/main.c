/* Threads racing dlopen/dlclose against updates: registration and
 * unregistration interleave with batches; every call from a freshly loaded
 * object lands on a valid target, and nothing writes to unmapped code. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int t1(int x) { return x + 1; }
static int t2(int x) { return x + 2; }
int (*STATIC_CALL race_key)(int) = t1;

static char path[4096];
static atomic_int done, bad, loads;

static void *loader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1500; i++) {
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		int (*c1)(int) = (int (*)(int))dlsym(h, "race_call");
		int (*c2)(int) = (int (*)(int))dlsym(h, "race_call2");
		int r1 = c1(10), r2 = c2(10);
		if ((r1 != 11 && r1 != 12) || (r2 != 11 && r2 != 12))
			atomic_fetch_add(&bad, 1);
		dlclose(h);
		atomic_fetch_add(&loads, 1);
	}
	return NULL;
}

static void *updater(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&done); i++)
		if (static_call_update(race_key, (i & 1) ? t2 : t1) != 0)
			atomic_fetch_add(&bad, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	snprintf(path, sizeof path, "%s/dlrace.so", argc > 1 ? argv[1] : ".");
	/* the executable itself has no site of race_key */
	sc_live_key_flags(&race_key, "race_key", SC_LIVE_NOSITES);
	pthread_t l1, l2, u;
	pthread_create(&u, NULL, updater, NULL);
	pthread_create(&l1, NULL, loader, NULL);
	pthread_create(&l2, NULL, loader, NULL);
	pthread_join(l1, NULL);
	pthread_join(l2, NULL);
	atomic_store(&done, 1);
	pthread_join(u, NULL);
	SC_UPDATE(race_key, t1);
	printf("%d loads, %d problems\n", (int)loads, (int)bad);
	return sc_live_exit();
}
