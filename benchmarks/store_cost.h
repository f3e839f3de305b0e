/* store_cost.h - the types and copy functions store_cost.c measures, built
 * twice: store_cost_routed.c with the plugin (stores followed by the
 * inline range check, docs/FIELD_KEYS.md), store_cost_plain.c without. */
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
/* memset of a global object without keys: proven key-free, so the routed
 * build must cost what the plain one does. */
void fill_unrelated_routed(int c);
void fill_unrelated_plain(int c);
/* memset through a pointer chosen at run time between two globals without
 * keys: proven key-free by the alias facts (GCC's points-to solution,
 * LLVM's underlying objects), so again the plain build's cost. */
void fill_chosen_routed(int c);
void fill_chosen_plain(int c);
