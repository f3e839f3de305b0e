/* boot_store.sh: a STATIC_CALL_BOOT key whose only site holds `pushf; pop
 * %rax` (written single-threaded), then, with a thread running, a store
 * from a unit that declares the key without STATIC_CALL_BOOT
 * (boot_store_other.c: the plugin cannot refuse it there). The site
 * cannot follow; it must not be silent: the runtime reports it stale and
 * static_call_verify fails. Prints "verify N" and the site's result. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "staticcall.h"

static unsigned long flags_soft(void) { return __builtin_ia32_readeflags_u64(); }
STATIC_CALL_FRAGMENT("pushf; pop %rax")
unsigned long flags_native(void) { return flags_soft(); }

unsigned long (*STATIC_CALL_BOOT save_fl)(void) = flags_soft;

__attribute__((noinline)) unsigned long site(void) { return save_fl() & 0x202; }

void store_elsewhere(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *idle(void *a)
{
	pthread_mutex_lock(&mu); /* until main is done */
	pthread_mutex_unlock(&mu);
	return a;
}

int main(void)
{
	if (static_call_update(save_fl, flags_native) || site() != 0x202)
		return 1;
	struct static_call_site_info si[2];
	if (static_call_sites(save_fl, si, 2) != 1 ||
	    si[0].form != STATIC_CALL_SITE_FRAGMENT) {
		printf("the site holds no sequence\n");
		return 1;
	}
	pthread_t t;
	pthread_mutex_lock(&mu);
	if (pthread_create(&t, NULL, idle, NULL))
		return 1;
	store_elsewhere();
	printf("verify %d site %lx\n", static_call_verify(), site());
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	return 0;
}
