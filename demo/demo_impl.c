/* The two implementations the demo dispatches between. Kept in their own
 * file so no build can inline them into the loop: every build makes a real
 * call, and only the kind of call differs. */
#include "demo_impl.h"

uint64_t mix_portable(uint64_t acc, uint64_t x)
{
	return (acc ^ x) * 0x9e3779b97f4a7c15ull;
}

uint64_t mix_fast(uint64_t acc, uint64_t x)
{
	return (acc + x) * 0x9e3779b97f4a7c15ull;
}
