/* promote_loop.c - the measured loops of promote_cost, compiled once per
 * variant (VARIANT names them): DIRECT calls pt10 directly; otherwise the
 * calls go through function pointers read each iteration, with whatever
 * flags the variant is built with (retpoline thunks, promotion). */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define NAME(x) CAT(VARIANT, x)

extern long (*pt_all[64])(long);
long pt10(long);
extern long (*volatile pt_mono)(long);

#ifdef MISSING
/* A form this compiler cannot build (lib.sh loop_objects): promote_cost
 * sees NAME(missing) and prints no figure for it. */
const int NAME(missing) = 1;
long NAME(mono)(long n)
{
	return n;
}
long NAME(two)(long n)
{
	return n;
}
long NAME(mega)(long n)
{
	return n;
}
long NAME(phase)(long n)
{
	return n;
}
long NAME(mega2)(long n)
{
	return n;
}
#else

long NAME(mono)(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
#ifdef DIRECT
		s += pt10(i);
#else
		s += pt_mono(i);
#endif
	return s;
}

long NAME(two)(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += pt_all[i & 1](i);
	return s;
}

long NAME(mega)(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += pt_all[(i * 7) & 63](i);
	return s;
}

/* a phase change every 2^16 calls: one target at a time, four in turn */
long NAME(phase)(long n)
{
	long s = 0;
	for (long i = 0; i < n; i++)
		s += pt_all[(i >> 16) & 3](i);
	return s;
}

/* two megamorphic sites in one loop (their registers the same: given up,
 * both reach the one thunk of that register or a stub of their own);
 * n calls in all */
long NAME(mega2)(long n)
{
	long s = 0;
	for (long i = 0; i < n / 2; i++) {
		s += pt_all[(i * 7) & 63](i);
		s += pt_all[(i * 13 + 5) & 63](i);
	}
	return s;
}
#endif
