/* Loaded with dlopen by kernel_style.c: sites on the library's key. */
#include <staticcall/kernel.h>

DECLARE_STATIC_KEY_FALSE(lib_key);

int dl_unlikely(void)
{
	return static_branch_unlikely(&lib_key) ? 1 : 0;
}
