// Exceptions through static calls: a call through a key inside a try
// block, or with a destructor to run on unwinding (an `invoke` in Clang's
// IR, a call ending its block with an EH edge in GCC's GIMPLE) is a site
// like any other; a target that throws unwinds through the patched site,
// through the trampoline's slow path and through a site still unbound.
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

struct failure {
	int code;
};

static int calm(int x) { return x + 1; }
static int thrower(int x)
{
	if (x > 2)
		throw failure{ x };
	return x;
}

int (*STATIC_CALL risky)(int) = calm;
namespace ns {
struct handlers {
	int (*STATIC_CALL on_error)(int);
};
handlers h = { calm };
} // namespace ns

static int destroyed;
struct guard {
	~guard() { destroyed++; }
};

__attribute__((noinline)) int with_guard(int x)
{
	guard g;
	return risky(x) + 1;
}

__attribute__((noinline)) int caught(int x)
{
	try {
		return risky(x) * 2;
	} catch (const failure &f) {
		return -f.code;
	}
}

__attribute__((noinline)) int member_caught(int x)
{
	try {
		guard g;
		return ns::h.on_error(x) + 100;
	} catch (const failure &f) {
		return -100 * f.code;
	}
}

__attribute__((noinline)) int outer(int x)
{
	try {
		return with_guard(x);
	} catch (const failure &f) {
		return 1000 + f.code;
	}
}

static void show(const char *when)
{
	destroyed = 0;
	int a = caught(1), b = caught(5), c = member_caught(1),
	    d = member_caught(7), e = outer(2), f = outer(9);
	printf("%-8s %d %d %d %d %d %d destroyed %d\n", when, a, b, c, d, e, f,
	       destroyed);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SC_LIVE_KEY(risky);
	SC_LIVE_KEY(ns::h.on_error);
	show("calm");
	SC_UPDATE(risky, thrower);
	SC_UPDATE(ns::h.on_error, thrower);
	show("thrower");
	// Through the trampolines' slow path (every call reads its key).
	if (static_call_seal(STATIC_CALL_SEAL_CODE) != 0)
		sc_live_fail(__FILE__, __LINE__, "seal");
	show("sealed");
	ns::h.on_error = calm;
	show("stored");
	return sc_live_exit();
}
