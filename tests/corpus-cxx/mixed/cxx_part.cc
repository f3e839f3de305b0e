// A second C++ unit using the header's inline function (hooks.h).
#include "hooks.h"

int cxx_part_call(int x)
{
	return cxx_inline_call(x) * 2;
}
