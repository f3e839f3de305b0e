/* A program for tools/tests/test_inspect.py: a key pointing to a
 * one-instruction fragment (x86-64), whose call site then holds the
 * instruction, and a STATIC_CALL_BOOT key pointing to a sequence; argv[1]
 * "wait" waits to be inspected. */
#include <staticcall.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static long plain(long x) { return 3 * x; }
STATIC_CALL_FRAGMENT("imul $3, %rdi, %rax")
long triple(long x) { return 3 * x; }

long (*STATIC_CALL mul)(long) = plain;

__attribute__((noinline)) long mul_site(long x) { return mul(x) + 1; }

/* a multi-instruction fragment at a STATIC_CALL_BOOT key's site, written
 * while single-threaded: `pushf; pop %rax`, then NOPs */
static unsigned long flags_soft(void) { return __builtin_ia32_readeflags_u64(); }
STATIC_CALL_FRAGMENT("pushf; pop %rax")
unsigned long flags_native(void) { return flags_soft(); }

unsigned long (*STATIC_CALL_BOOT save_fl)(void) = flags_soft;

__attribute__((noinline)) unsigned long fl_site(void) { return save_fl() & 0x202; }

int main(int argc, char **argv)
{
	static_call_update(mul, triple);
	static_call_update(save_fl, flags_native);
	long r = mul_site(2) + (long)fl_site();
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	printf("ready %ld\n", r);
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "wait"))
		pause();
	return 0;
}
