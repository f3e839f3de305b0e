/*
 * bind_dlclose.c - lazy binding against dlclose (runtime/bind.c): two
 * copies of bind_dlclose_lib.c (distinct objects) are loaded and unloaded
 * over and over by 4 caller threads, two per copy, each holding its own
 * reference while it calls (dlopen, calls through the object's sites from
 * a random one on, dlclose, a pause); an object is unloaded when its last
 * holder lets go, while the holders of the other copy, and the next
 * loaders of this one, make first calls through fresh, unbound sites,
 * and the main thread
 * updates both keys (targets, NULL, return-zero). For `seconds` (4): every
 * call reaches one of its keys' values, the objects were unloaded many
 * times, and a copy loaded afterwards starts unbound and binds on its
 * first calls.
 *
 *   bind_dlclose DIR [seconds]   (DIR holds bind_dlclose_a.so, _b.so)
 *
 * Linked with the runtime's archive and --export-dynamic: the objects
 * register with this copy of the runtime and call its keys.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <staticcall.h>

static long k1(long x) { return x + 1; }
static long k2(long x) { return x + 2; }
long (*STATIC_CALL dk)(long) = k1;
static void g1(long *r) { *r += 1; }
static void g2(long *r) { *r += 2; }
void (*STATIC_CALL dg)(long *) = g1;

static atomic_long unloads, loads, calls, bad;
static atomic_int stop;
static char paths[2][4096];

void bind_dlclose_unloaded(void);
void bind_dlclose_unloaded(void)
{
	atomic_fetch_add(&unloads, 1);
}

/* dk: k1, k2 or return-zero; dg: g1, g2 or NULL */
static int valid(long x, long r)
{
	long k = r / 1000, g = r % 1000;
	return (k == x + 1 || k == x + 2 || k == 0) &&
	       (g == x + 1 || g == x + 2 || g == x);
}

static void *caller(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	const char *path = paths[(uintptr_t)arg % 2];
	while (!atomic_load(&stop)) {
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			atomic_fetch_add(&bad, 1);
			return NULL;
		}
		atomic_fetch_add(&loads, 1);
		long (*const *s)(long) = dlsym(h, "bind_dlclose_sites");
		int from = (int)(rand_r(&seed) % 64), n = 1 + rand_r(&seed) % 64;
		for (int i = 0; s && i < n; i++) {
			long x = 10 + i, r = s[(from + i) % 64](x);
			if (!valid(x, r))
				atomic_fetch_add(&bad, 1);
			atomic_fetch_add(&calls, 1);
		}
		dlclose(h);
		/* outside for a moment: the last holder's dlclose unloads */
		usleep(rand_r(&seed) % 100);
	}
	return NULL;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Sites of dk in a freshly loaded copy: how many are still unbound. */
static int unbound_sites(void)
{
	static struct static_call_site_info info[256];
	int n = static_call_sites(dk, info, 256), u = 0;
	for (int i = 0; i < n && i < 256; i++)
		u += info[i].reason && strstr(info[i].reason, "not bound yet");
	return u;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	double seconds = argc > 2 ? atof(argv[2]) : 4.0;
	snprintf(paths[0], sizeof paths[0], "%s/bind_dlclose_a.so", dir);
	snprintf(paths[1], sizeof paths[1], "%s/bind_dlclose_b.so", dir);

	pthread_t th[4];
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, caller, (void *)i);
	double t0 = now();
	long updates = 0;
	while (now() - t0 < seconds) {
		switch (updates++ % 4) {
		case 0: static_call_update(dk, k2); static_call_update(dg, g2); break;
		case 1: static_call_update_ret0(dk); static_call_update_null(dg); break;
		case 2: static_call_update(dk, k1); static_call_update(dg, g1); break;
		case 3: static_call_update(dk, k2); static_call_update_null(dg); break;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	/* a copy loaded now starts unbound; its first calls bind */
	int fresh = -1, after = -1, lazy = 0;
	void *h = dlopen(paths[0], RTLD_NOW | RTLD_LOCAL);
	if (h) {
		long (*const *s)(long) = dlsym(h, "bind_dlclose_sites");
		fresh = unbound_sites();
		for (int i = 0; i < 64; i++)
			if (!valid(1, s[i](1)))
				atomic_fetch_add(&bad, 1);
		after = unbound_sites();
		dlclose(h);
	}
	const char *mode = getenv("STATICCALL_BIND");
	lazy = !mode || strcmp(mode, "eager");
	int ok = !atomic_load(&bad) && atomic_load(&unloads) >= 10 &&
		 updates >= 20 && h &&
		 (lazy ? fresh == 64 && after == 0 : fresh == 0);
	printf("bind_dlclose: %ld loads, %ld unloads, %ld calls, %ld updates, "
	       "%ld wrong; a fresh copy: %d of 64 sites unbound, %d after "
	       "running: %s\n",
	       atomic_load(&loads), atomic_load(&unloads), atomic_load(&calls),
	       updates, atomic_load(&bad), fresh, after, ok ? "ok" : "FAILED");
	return !ok;
}
