/* Compiled to assembly by store_routing.py with each compiler: functions
 * named routed_* must follow their write with the inline range check (a
 * load of __staticcall_key_bounds, the runtime call inside it); free_*
 * must contain neither (their destination cannot hold a key);
 * gcc_free_* are key-free for GCC, which sees the type of a struct
 * assignment through a pointer that Clang lowers to a memcpy of bytes. */
#include <stdlib.h>
#include <string.h>

#include "staticcall.h"

struct ops {
	int (*STATIC_CALL fn)(int);
	long weight;
};
struct plain {
	int (*fn)(int);
	long weight;
};
struct outer {
	struct ops ops;
	struct plain plain;
};

struct ops cfg;
struct ops table[4];
struct outer outer;
struct plain unrelated;
char bytes[64];

void routed_param(struct ops *d, const struct ops *s)
{
	*d = *s;
}
void routed_void(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
}
void routed_global(void)
{
	memset(&cfg, 0, sizeof cfg);
}
void routed_element(struct ops *arr, int i)
{
	memset(&arr[i], 0, sizeof arr[i]);
}
void routed_table(int i, const struct ops *s)
{
	table[i] = *s;
}
void routed_bytes_of_ops(struct ops *d, int n)
{
	memset(d, 0, n);
}

long free_local(const struct ops *s)
{
	struct ops local;
	memcpy(&local, s, sizeof local);
	return local.weight;
}
long free_heap(const struct ops *s, size_t n)
{
	struct ops *h = malloc(n * sizeof *h);
	if (!h)
		return 0;
	memcpy(h, s, n * sizeof *h);
	long w = h->weight;
	free(h);
	return w;
}
void free_unrelated(const struct plain *s)
{
	memcpy(&unrelated, s, sizeof unrelated);
	memset(bytes, 0, sizeof bytes);
}
void free_member(struct outer *o, const struct plain *s)
{
	memcpy(&o->plain, s, sizeof o->plain);
}
void free_string(void)
{
	memcpy(bytes, "constant", 9);
}

void gcc_free_plain(struct plain *d, const struct plain *s)
{
	*d = *s;
}
