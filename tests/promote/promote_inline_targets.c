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
