/*
 * One patcher per process, for promotion: library B (promote mode, its
 * own static copy of the runtime) is loaded after library A, whose copy
 * serves the process. B's copy must not promote B's sites (the serving
 * copy answers static_call_seal(CODE) and the reports, and would miss
 * them): B's table is not taken, and B's calls give their results.
 */
#include <stdio.h>

int a_call(int);
long bp_calls(int n);
int bp_objects(void);

int main(void)
{
	long want = 0;
	for (int i = 0; i < 200000; i++)
		want += (i >> 10) & 1 ? 2 * i : i + 1;
	long got = bp_calls(200000);
	int objects = bp_objects();
	printf("promote, second copy: %d objects taken, sum %ld (want %ld)\n",
	       objects, got, want);
	if (a_call(1) != 2 || got != want || objects != 0) {
		fprintf(stderr, "FAIL: the second copy promoted, or a result "
				"is wrong\n");
		return 1;
	}
	return 0;
}
