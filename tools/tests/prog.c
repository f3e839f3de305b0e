/* A program for tools/tests/test_inspect.py: keys of every linkage, sites
 * of every form. Lines marked SITE(name) are checked against the
 * inspector's file:line. */
#include <staticcall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifdef LIBKEY
extern int (*STATIC_CALL libhook)(int); /* defined in libkey.c */
int lib_call(int x);
#endif

static int add_one(int x) { return x + 1; }
static int twice(int x) { return x * 2; }
static void hello(void) { puts("hello"); }

int (*STATIC_CALL hook)(int) = add_one;
static void (*STATIC_CALL say)(void);

__attribute__((noinline)) int call_site(int x) { return hook(x) + 1; } /* SITE(call) */
__attribute__((noinline)) int tail_site(int x) { return hook(x); } /* SITE(tail) */
__attribute__((noinline)) void cond_site(void) { if (say) say(); } /* SITE(cond) */

int main(int argc, char **argv)
{
	/* argv[1]: "exit" (default) returns at once; "wait" waits to be
	 * inspected; "libc" points `say` into libc (out of rel32 range of a
	 * PIE) and waits. */
	const char *mode = argc > 1 ? argv[1] : "exit";
	int libc = !strcmp(mode, "libc");
	static_call_update(hook, twice);
	if (libc)
		static_call_update(say, abort);
	else
		static_call_update(say, hello);
	int r = call_site(1) + tail_site(2);
#ifdef LIBKEY
	static_call_update(libhook, twice);
	r += lib_call(3) + libhook(4); /* SITE(libkey) */
#endif
	if (!libc)
		cond_site();
	/* let a sibling process inspect us (Yama ptrace_scope=1) */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	printf("ready %d\n", r);
	fflush(stdout);
	if (strcmp(mode, "exit"))
		pause();
	return 0;
}
