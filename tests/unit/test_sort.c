/* The runtime's own sort (no allocation): sorted output equal to qsort's
 * for random, sorted, reversed, constant and nearly sorted inputs of many
 * sizes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

Test(sort, matches_qsort)
{
	static uint64_t a[5000], b[5000];
	unsigned seed = 12345;
	size_t sizes[] = { 0, 1, 2, 3, 7, 64, 1000, 4999 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (int shape = 0; shape < 5; shape++) {
			size_t n = sizes[s];
			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				a[i] = shape == 0 ? seed % 97 : shape == 1 ? i
				     : shape == 2 ? n - i : 42;
				/* shape 4: sorted but for a few strays (the
				 * insertion path) */
				if (shape == 4)
					a[i] = (i % 211 == 5) ? seed % 5000 : i;
			}
			memcpy(b, a, n * sizeof *a);
			sc_sort(a, n, sizeof *a, cmp_u64);
			qsort(b, n, sizeof *b, cmp_u64);
			cr_assert_eq(memcmp(a, b, n * sizeof *a), 0,
				     "size %zu shape %d", n, shape);
		}
}

/* Records of a size that is no multiple of 8 (the swap moves words, then
 * the bytes left): every byte of each record goes with its key. */
struct rec13 {
	unsigned char key[4], tail[9];
};

static int cmp_rec13(const void *a, const void *b)
{
	return memcmp(((const struct rec13 *)a)->key,
		      ((const struct rec13 *)b)->key, 4);
}

Test(sort, odd_sized_records_move_whole)
{
	static struct rec13 a[777];
	unsigned seed = 99;
	for (size_t i = 0; i < 777; i++) {
		seed = seed * 1103515245u + 12345u;
		memcpy(a[i].key, &seed, 4);
		for (int k = 0; k < 9; k++)
			a[i].tail[k] = (unsigned char)(a[i].key[k % 4] ^ k);
	}
	sc_sort(a, 777, sizeof *a, cmp_rec13);
	for (size_t i = 0; i < 777; i++) {
		if (i)
			cr_assert_leq(cmp_rec13(&a[i - 1], &a[i]), 0);
		for (int k = 0; k < 9; k++)
			cr_assert_eq(a[i].tail[k],
				     (unsigned char)(a[i].key[k % 4] ^ k),
				     "record %zu byte %d", i, k);
	}
}
