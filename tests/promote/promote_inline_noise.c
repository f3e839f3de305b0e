/*
 * promote_inline_noise.c - for promote_inline.c, built in promote mode
 * (not inline): 256 promotable call sites it runs one after another,
 * 3,000 calls each, while it waits for its inline site to move. Each
 * learns its one target and goes quiet; until then it keeps the runtime
 * sampling and flushing, and the inline sites' checks run from flushes
 * (docs/PATCHING.md "Inline sites").
 */
typedef long (*fn_t)(long);

/* (__COUNTER__: bodies differ, so no two are folded into one) */
#define NOISE(k)                                                            \
	__attribute__((noinline)) static long noise_##k(fn_t f, long x)     \
	{                                                                    \
		return f(x) + __COUNTER__;                                   \
	}
#define N4(k) NOISE(k##0) NOISE(k##1) NOISE(k##2) NOISE(k##3)
#define N16(k) N4(k##0) N4(k##1) N4(k##2) N4(k##3)
#define N64(k) N16(k##0) N16(k##1) N16(k##2) N16(k##3)
N64(a) N64(b) N64(c) N64(d)

#define P(k) noise_##k,
#define P4(k) P(k##0) P(k##1) P(k##2) P(k##3)
#define P16(k) P4(k##0) P4(k##1) P4(k##2) P4(k##3)
#define P64(k) P16(k##0) P16(k##1) P16(k##2) P16(k##3)
static long (*const noise[256])(fn_t, long) = { P64(a) P64(b) P64(c)
							P64(d) };

/* Site k % 256, 3,000 calls through it to f. */
long inline_noise(unsigned k, fn_t f)
{
	long s = 0;
	for (long i = 0; i < 3000; i++)
		s += noise[k % 256](f, i);
	return s;
}
