/*
 * bind_dlclose_lib.c - the object bind_dlclose.c loads and unloads: 64
 * call sites of dk and 64 guarded ones of dg, on several text pages, none
 * bound at load (lazy binding), so its callers' first calls bind them;
 * and 1,100 of a key of its own never called (its registration is
 * deferred).
 */
#include <staticcall.h>

extern long (*STATIC_CALL dk)(long);
extern void (*STATIC_CALL dg)(long *);
void bind_dlclose_unloaded(void);

#define SITE(n)                                                               \
	__attribute__((noinline)) long site##n(long x)                        \
	{                                                                     \
		long r = dk(x), g = x;                                        \
		if (dg)                                                       \
			dg(&g);                                               \
		__asm__ volatile("" ::: "memory");                            \
		return r * 1000 + g;                                          \
	}
#define PAGE __attribute__((aligned(4096)))
long site00(long) PAGE;
long site16(long) PAGE;
long site32(long) PAGE;
long site48(long) PAGE;
#define TEN(d) SITE(d##0) SITE(d##1) SITE(d##2) SITE(d##3) SITE(d##4) \
	SITE(d##5) SITE(d##6) SITE(d##7) SITE(d##8) SITE(d##9)
TEN(0) TEN(1) TEN(2) TEN(3) TEN(4) TEN(5)
SITE(60) SITE(61) SITE(62) SITE(63)

#define REF(n) site##n,
#define TENREF(d) REF(d##0) REF(d##1) REF(d##2) REF(d##3) REF(d##4) \
	REF(d##5) REF(d##6) REF(d##7) REF(d##8) REF(d##9)
long (*const bind_dlclose_sites[64])(long) = { TENREF(0) TENREF(1) TENREF(2)
	TENREF(3) TENREF(4) TENREF(5) REF(60) REF(61) REF(62) REF(63) };

/* Never called: 1,100 sites of a key of its own make the table large
 * enough for deferred registration (object.c, SC_DEFER_MIN): the race
 * then runs on records filled as they bind, and updates fill the rest. */
static long filler_add1(long x)
{
	return x + 1;
}
long (*STATIC_CALL bind_dlclose_fk)(long) = filler_add1;
#define C1 x = bind_dlclose_fk(x);
#define C10 C1 C1 C1 C1 C1 C1 C1 C1 C1 C1
#define C100 C10 C10 C10 C10 C10 C10 C10 C10 C10 C10
long bind_dlclose_filler(long x)
{
	C100 C100 C100 C100 C100 C100 C100 C100 C100 C100 C100
	return x * 3;
}

__attribute__((destructor)) static void unloaded(void)
{
	bind_dlclose_unloaded();
}
