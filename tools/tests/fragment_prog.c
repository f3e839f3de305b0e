/* A program for tools/tests/test_inspect.py: a key pointing to a
 * one-instruction fragment (x86-64), whose call site then holds the
 * instruction; argv[1] "wait" waits to be inspected. */
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

int main(int argc, char **argv)
{
	static_call_update(mul, triple);
	long r = mul_site(2);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	printf("ready %ld\n", r);
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "wait"))
		pause();
	return 0;
}
