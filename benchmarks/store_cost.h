/* store_cost.h - the types and copy functions store_cost.c measures, built
 * twice: store_cost_routed.c with the plugin (stores followed by
 * __staticcall_store_range), store_cost_plain.c without. */
#include <stddef.h>

#include "staticcall.h"

struct methods {
	int (*STATIC_CALL xOne)(int);
	int (*STATIC_CALL xTwo)(int);
	long pad[6]; /* 64 bytes in all */
};

extern struct methods global_methods;

void copy_routed(void *dst, const void *src, size_t n);
void assign_routed(struct methods *dst, const struct methods *src);
void copy_plain(void *dst, const void *src, size_t n);
void assign_plain(struct methods *dst, const struct methods *src);
int call_one(int x);
