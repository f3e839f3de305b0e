/* A shared library for kernel_style.c: it defines a key and has sites on
 * it; the program toggles them from the outside. */
#include <staticcall/kernel.h>

DEFINE_STATIC_KEY_FALSE(lib_key);

int lib_unlikely(void)
{
	return static_branch_unlikely(&lib_key) ? 1 : 0;
}

int lib_likely(void)
{
	return static_branch_likely(&lib_key) ? 1 : 0;
}
