// C and C++ in one program: the keys of a C header (hooks.h, extern "C"),
// defined in a C shared library, called and updated from C and from C++.
#include <stdio.h>

#include "hooks.h"
#include "livecode.h"

static long seven() { return 7; }

__attribute__((noinline)) int cxx_call(int x) { return mixed_hook(x) + 5; }
__attribute__((noinline)) int cxx_call_ops(int x)
{
	return mixed_ops.transform(x) * 3 + (int)mixed_ops.count();
}

static void show(const char *when)
{
	printf("%-10s c %d %d c++ %d %d %d %d lib %d\n", when, c_call(4),
	       c_call_ops(4), cxx_call(4), cxx_call_ops(4), cxx_inline_call(4),
	       cxx_part_call(4), lib_call(4));
}

int main()
{
	SC_LIVE_KEY(mixed_hook);
	SC_LIVE_KEY(mixed_ops.transform);
	SC_LIVE_KEY(mixed_ops.count);
	show("initial");
	SC_UPDATE(mixed_hook, c_twice);     // from C++
	show("c++ update");
	c_set_hook(c_add3);                 // from C
	SC_CHECK();
	show("c update");
	SC_UPDATE(mixed_ops.transform, [](int x) { return x - 1; });
	SC_UPDATE(mixed_ops.count, seven);
	show("ops");
	struct mixed_ops v = { c_twice, seven };
	mixed_ops = v; // a struct copy from C++
	SC_CHECK();
	show("copy");
	return sc_live_exit();
}
