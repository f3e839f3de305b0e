/* Built with the plugin: each store is followed by a store-range check. */
#include <string.h>

#include "store_cost.h"

static int one(int x)
{
	return x + 1;
}
static int two(int x)
{
	return x + 2;
}
struct methods global_methods = { one, two, { 0 } };

__attribute__((noinline)) void copy_routed(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}
__attribute__((noinline)) void assign_routed(struct methods *dst,
					     const struct methods *src)
{
	*dst = *src;
}
__attribute__((noinline)) int call_one(int x)
{
	return global_methods.xOne(x);
}

static struct {
	long words[8];
} unrelated_routed;
__attribute__((noinline)) void fill_unrelated_routed(int c)
{
	memset(&unrelated_routed, c, sizeof unrelated_routed);
}

static struct {
	long words[8];
} other_routed;
__attribute__((noinline)) void fill_chosen_routed(int c)
{
	void *p = c & 1 ? (void *)&unrelated_routed : (void *)&other_routed;
	memset(p, c, sizeof other_routed);
}
