/* Built without the plugin: the same stores, nothing after them. */
#include <string.h>

#include "store_cost.h"

__attribute__((noinline)) void copy_plain(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}
__attribute__((noinline)) void assign_plain(struct methods *dst,
					    const struct methods *src)
{
	*dst = *src;
}

static struct {
	long words[8];
} unrelated_plain;
__attribute__((noinline)) void fill_unrelated_plain(int c)
{
	memset(&unrelated_plain, c, sizeof unrelated_plain);
}

static struct {
	long words[8];
} other_plain;
__attribute__((noinline)) void fill_chosen_plain(int c)
{
	void *p = c & 1 ? (void *)&unrelated_plain : (void *)&other_plain;
	memset(p, c, sizeof other_plain);
}
