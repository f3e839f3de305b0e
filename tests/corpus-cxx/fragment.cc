// One-instruction fragments from C++ (docs/GUIDE.md, "CPU dispatch with
// one-instruction fragments"): an inline function in a namespace (a
// comdat group: its record goes with it), a static member function, keys
// picked from CPUID at start-up; the same output as the plugin-free build.
#include <stdio.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "livecode.h"
#include "staticcall.h"

namespace bits {
static unsigned long pop_soft(unsigned long x)
{
	unsigned long n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}
#if defined(__x86_64__)
STATIC_CALL_FRAGMENT("popcnt %rdi, %rax")
inline unsigned long pop_hw(unsigned long x) { return pop_soft(x); }
#endif
} // namespace bits

struct arith {
	static long triple_soft(long x) { return 3 * x; }
#if defined(__x86_64__)
	STATIC_CALL_FRAGMENT("imul $3, %rdi, %rax")
	static long triple_hw(long x) { return 3 * x; }
#endif
};

unsigned long (*STATIC_CALL popcount)(unsigned long) = bits::pop_soft;
long (*STATIC_CALL triple)(long) = arith::triple_soft;

__attribute__((noinline)) static unsigned long use(unsigned long x)
{
	return popcount(x) * 7 + (unsigned long)triple((long)x);
}

static unsigned long sum(void)
{
	unsigned long s = 0;
	for (unsigned long x = 0; x < 100000; x += 37)
		s = s * 31 + use(x * 0x9e3779b97f4a7c15ul);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SC_LIVE_KEY(popcount);
	SC_LIVE_KEY(triple);
	printf("portable: %lx\n", sum());
#if defined(__x86_64__)
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_POPCNT) &&
	    static_call_update(popcount, bits::pop_hw))
		return 1;
	if (static_call_update(triple, arith::triple_hw))
		return 1;
#endif
	SC_CHECK();
	printf("dispatched: %lx\n", sum());
	if (static_call_verify())
		return 1;
	return sc_live_exit();
}
