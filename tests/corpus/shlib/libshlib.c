/* The shared library of the shlib test: built -fPIC -shared, linked. */
#include "shlib.h"

int lib_t1(int x) { return x + 11; }
int lib_t2(int x) { return x * 11; }
int (*STATIC_CALL lib_key)(int) = lib_t1;

__attribute__((noinline)) int lib_call(int x) { return lib_key(x) + 1; }
int lib_call_tail(int x) { return lib_key(x); }
long lib_call_exe(long x) { return exe_key(x) * 2; }

int lib_update(int which)
{
	return which ? static_call_update(lib_key, lib_t2)
		     : static_call_update(lib_key, lib_t1);
}
