/* A store the runtime cannot see (through an escaped pointer, as code
 * built without the plugin would do) leaves sites stale:
 * static_call_verify() finds them, static_call_resync() repairs them. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x + 2; }
int (*STATIC_CALL vk)(int) = a;

__attribute__((noinline)) int call(int x) { return vk(x); }
__attribute__((noinline)) int call2(int x) { return vk(x) * 2; }

/* Opaque to the compiler and the plugin: a store behind their back. */
__attribute__((noinline)) void sneaky_store(void *slot, void *v)
{
	__asm__ volatile("" ::: "memory");
	*(void *volatile *)slot = v;
}

int main(void)
{
	SC_LIVE_KEY(vk);
#ifdef __STATICCALL_PLUGIN__
	/* every site patched (lazy binding: only after they run), so that
	 * the store behind the runtime's back leaves them stale */
	if (static_call_bind_all() != 0)
		return 1;
#endif
	printf("before: %d %d\n", call(1), call2(1));
	sneaky_store(&vk, (void *)b);
	int stale = static_call_verify();
#ifdef __STATICCALL_PLUGIN__
	/* sites still call a; the key says b */
	printf("stale sites found: %s\n", stale >= 2 ? "yes" : "no");
#else
	printf("stale sites found: %s\n", stale == 0 ? "yes" : "no");
#endif
	if (static_call_resync() != 0)
		return 1;
	printf("after resync: %d %d, stale %d\n", call(1), call2(1),
	       static_call_verify());
	SC_CHECK();
	return sc_live_exit();
}
