/* expect: initializer element is not */
#include <staticcall/kernel.h>
int f(struct static_key_false *k)
{
	return static_branch_unlikely(k); /* error-here */
}
