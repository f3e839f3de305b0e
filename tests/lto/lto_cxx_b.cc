// tests/lto/lto_cxx_b.cc - the other unit of lto_cxx_a.cc.
#include "staticcall.h"

int f1(int x);
int f2(int x);
namespace app {
extern int (*STATIC_CALL hook)(int);
}
static int (*STATIC_CALL shook)(int) = f2;
__attribute__((noinline)) int b_call(int x)
{
	return app::hook(x) + shook(x) * 0;
}
