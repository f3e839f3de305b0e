/* Compiled to assembly by store_routing.py with each compiler: functions
 * named routed_* must follow their write with the inline range check (a
 * load of __staticcall_key_bounds, the runtime call inside it); free_*
 * must contain neither (their destination cannot hold a key);
 * pta_free_* are key-free at -O2 by the alias facts. */
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

/* Struct assignment through pointers: by the type alone (Clang lowers it
 * to a memcpy of bytes; the frontend's fact reaches it by its location).
 * Key-free when the type holds no marked member at any depth... */
struct plain_outer {
	long tag;
	struct plain plain[2];
	union {
		struct plain p;
		long l;
	} u;
};
#define COPY(d, s) (*(d) = *(s))
void free_plain_copy(struct plain *d, const struct plain *s)
{
	*d = *s;
}
void free_plain_inner(struct plain_outer *o, int i, const struct plain *s)
{
	o->plain[i] = *s;
}
void free_plain_element(struct plain *arr, int i, struct plain s)
{
	arr[i] = s;
}
void free_plain_nested(struct plain_outer *d, const struct plain_outer *s)
{
	*d = *s;
}
void free_plain_macro(struct plain *d, const struct plain *s)
{
	COPY(d, s);
}
/* ... and checked when it holds one: nested, in a union, in an array, or
 * when a copy of such a type shares the place (a macro expansion). */
struct nested_keys {
	long tag;
	struct outer outer;
};
union keyed_union {
	struct ops ops;
	long l;
};
struct array_keys {
	long tag;
	struct ops ops[2];
};
void routed_nested(struct nested_keys *d, const struct nested_keys *s)
{
	*d = *s;
}
void routed_nested_member(struct nested_keys *d, const struct outer *s)
{
	d->outer = *s;
}
void routed_union(union keyed_union *d, const union keyed_union *s)
{
	*d = *s;
}
void routed_array_member(struct array_keys *d, const struct array_keys *s)
{
	*d = *s;
}
#define COPY_TWO(a, b, c, d) (*(a) = *(b), *(c) = *(d))
void routed_macro_pair(struct plain *a, const struct plain *b, struct ops *c,
		       const struct ops *d)
{
	COPY_TWO(a, b, c, d);
}

/* Alias analysis (pta_free_*: key-free at -O2, where GCC's points-to
 * solution and LLVM's underlying objects through phis and selects place
 * the pointer; at -O0 either answer is right). The early facts see only a
 * pointer chosen at run time. */
void keep(void *a, void *b);
long pta_free_locals(int c, const struct ops *s)
{
	struct ops a, b;
	struct ops *p = c ? &a : &b;
	*p = *s;
	keep(&a, &b);
	return a.weight;
}
void pta_free_unrelated(int c, const void *s)
{
	void *p = c ? (void *)&unrelated : (void *)bytes;
	memcpy(p, s, sizeof unrelated);
}
void pta_free_loop(const struct ops *s, int n)
{
	struct ops arr[8];
	struct ops *p = arr;
	for (int i = 0; i < n && i < 8; i++)
		memcpy(p++, &s[i], sizeof *p);
	keep(arr, 0);
}
/* ... and where they must not: the set holds the key-holding global. */
void routed_maybe_global(int c, const struct ops *s)
{
	struct ops local;
	struct ops *p = c ? &cfg : &local;
	*p = *s;
	keep(&local, 0);
}
void routed_maybe_table(int c, const void *s)
{
	void *p = c ? (void *)bytes : (void *)&table[1];
	memcpy(p, s, sizeof unrelated);
}
/* What the points-to set holds besides locals: a function's static object
 * with keys, another unit's object with keys, what a restrict parameter
 * points to (GCC models it as a fresh object). */
void routed_static_local(int c, const struct ops *s)
{
	static struct ops kept;
	struct ops local;
	struct ops *p = c ? &kept : &local;
	*p = *s;
	keep(&local, 0);
}
extern struct ops other_cfg;
void routed_extern(int c, const void *s)
{
	char buf[16];
	void *p = c ? (void *)&other_cfg : (void *)buf;
	memcpy(p, s, 16);
	keep(buf, 0);
}
void routed_restrict(struct ops *restrict d, const struct ops *s)
{
	memcpy(d, s, sizeof *d);
}
