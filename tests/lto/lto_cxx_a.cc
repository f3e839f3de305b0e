// tests/lto/lto_cxx_a.cc - C++ under -flto (tests/lto/lto.sh): a key at
// namespace scope defined here and called from lto_cxx_b.cc, and each
// unit's own static key of one name.
#include <cstdio>

#include "staticcall.h"

int f1(int x) { return x + 1; }
int f2(int x) { return x + 2; }
namespace app {
int (*STATIC_CALL hook)(int) = f1;
}
static int (*STATIC_CALL shook)(int) = f1;
int b_call(int x);
__attribute__((noinline)) int a_call(int x)
{
	return app::hook(x) + shook(x) * 10;
}

int main()
{
	int r1 = a_call(1) + b_call(1) * 1000;
	static_call_update(app::hook, f2);
	static_call_update(shook, f2);
	int r2 = a_call(1) + b_call(1) * 1000;
	std::printf("%d %d\n", r1, r2);
	return !(r1 == 2022 && r2 == 3033);
}
