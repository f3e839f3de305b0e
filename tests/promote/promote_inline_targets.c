/* promote_inline_targets.c - promote_inline.c's targets, another unit. */
long lib_times3(long x), lib_plus7(long x), lib_neg(long x);

long lib_times3(long x)
{
	return 3 * x;
}

long lib_plus7(long x)
{
	return x + 7;
}

long lib_neg(long x)
{
	return -x;
}

/* 32 more, lib_many[i](x) = x + 100 + i: a megamorphic site's spread */
#define ONE(i)                       \
	static long many##i(long x) \
	{                            \
		return x + 100 + i;  \
	}
#define FOUR(i) ONE(i##0) ONE(i##1) ONE(i##2) ONE(i##3)
FOUR(1) FOUR(2) FOUR(3) FOUR(4) FOUR(5) FOUR(6) FOUR(7) FOUR(8)
#define F4(i) many##i##0, many##i##1, many##i##2, many##i##3
long (*const lib_many[32])(long) = { F4(1), F4(2), F4(3), F4(4),
				     F4(5), F4(6), F4(7), F4(8) };
