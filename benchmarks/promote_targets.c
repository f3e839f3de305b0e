/* promote_targets.c - the callees of promote_cost (a unit of their own:
 * opaque to the loops). */
#define T(n)                                         \
	__attribute__((noinline)) long pt##n(long x) \
	{                                            \
		return x + n;                        \
	}
/* clang-format off */
#define T8(a) T(a##0) T(a##1) T(a##2) T(a##3) T(a##4) T(a##5) T(a##6) T(a##7)
T8(1) T8(2) T8(3) T8(4) T8(5) T8(6) T8(7) T8(8)
#define P8(a) pt##a##0, pt##a##1, pt##a##2, pt##a##3, pt##a##4, pt##a##5, \
	pt##a##6, pt##a##7

long (*volatile pt_mono)(long);
/* clang-format on */
long (*pt_all[64])(long) = { P8(1), P8(2), P8(3), P8(4),
			     P8(5), P8(6), P8(7), P8(8) };
