/*
 * demo.c - one hook called in a hot loop, the shape staticcall exists for.
 *
 * Built twice by scripts/demo.sh from this one source: with the GCC plugin
 * (calls become patched direct calls) and without it, with retpolines
 * (-mindirect-branch=thunk), where every call through `mix` is an indirect
 * call paying a deliberate misprediction. Prints ns and TSC ticks per call
 * (medians) and, when built with the plugin, what the runtime patched.
 */
#include <staticcall.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "../benchmarks/bench_time.h"
#include "demo_impl.h"

/* A CPU-dispatch style key: the implementation is picked at run time. */
uint64_t (*STATIC_CALL mix)(uint64_t, uint64_t) = mix_portable;

static __attribute__((noinline)) uint64_t run(uint64_t n)
{
	uint64_t acc = 1;
	for (uint64_t i = 0; i < n; i++)
		acc = mix(acc, i);
	return acc;
}


int main(int argc, char **argv)
{
	uint64_t calls = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000;
	enum { REPS = 11 };
	double ns[REPS], ticks[REPS];
	uint64_t check = 0;

	/* Pick the implementation at run time, as a dispatcher would. */
	int rc = static_call_update(mix, mix_fast);
	if (rc != 0) {
		fprintf(stderr, "static_call_update failed: %d\n", rc);
		return 1;
	}

#ifdef __STATICCALL_PLUGIN__
	struct static_call_site_info info[16];
	int n = static_call_sites(mix, info, 16);
	int direct = 0;
	for (int i = 0; i < n && i < 16; i++) {
		direct += info[i].form == STATIC_CALL_SITE_DIRECT ||
			  info[i].form == STATIC_CALL_SITE_TAIL_JUMP;
		printf("site %p: %s%s%s\n", info[i].address,
		       static_call_form_name(info[i].form),
		       info[i].reason ? " - " : "",
		       info[i].reason ? info[i].reason : "");
	}
	printf("sites: %d registered, %d direct\n", n, direct);
#endif

	run(calls / 10); /* warm up */
	for (int r = 0; r < REPS; r++) {
		double t0 = now_ns();
		uint64_t c0 = __rdtsc();
		check += run(calls);
		uint64_t c1 = __rdtsc();
		double t1 = now_ns();
		ns[r] = (t1 - t0) / calls;
		ticks[r] = (double)(c1 - c0) / calls;
	}
	qsort(ns, REPS, sizeof ns[0], cmp_double);
	qsort(ticks, REPS, sizeof ticks[0], cmp_double);
	printf("per call: %.3f ns, %.2f TSC ticks (median of %d x %llu calls)\n",
	       ns[REPS / 2], ticks[REPS / 2], REPS, (unsigned long long)calls);
	printf("checksum: %llx\n", (unsigned long long)check);
	return 0;
}
