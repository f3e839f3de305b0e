/*
 * call_cost.c - the cost of one call through a key, every way of building
 * it, measured side by side in one process.
 *
 * Each variant is the same loop (gen_calls.py) compiled with other flags
 * (call_cost.sh); a variant that was not built is a weak NULL and skipped.
 * Rounds interleave the variants so machine noise hits all of them alike;
 * we report medians of ns/call and TSC ticks/call, and the ratio to the
 * direct call built by the same compiler (GCC rows to GCC's direct call,
 * clang rows to Clang's).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "bench_time.h"
#include "calls.h"

typedef uint64_t run_fn(uint64_t n, uint64_t acc);
#define VARIANTS(X)                                               \
	X(direct, "direct call (floor)")                          \
	X(static, "static call, patched")                         \
	X(trampoline, "static call via trampoline")               \
	X(indirect, "indirect call")                              \
	X(cet, "indirect, -fcf-protection")                       \
	X(retpoline, "indirect, retpoline (thunk)")               \
	X(retpoline_extern, "indirect, retpoline (thunk-extern)") \
	X(clang_direct, "clang: direct call (floor)")             \
	X(clang_static, "clang: static call, patched")            \
	X(clang_trampoline, "clang: static call via trampoline")  \
	X(clang_indirect, "clang: indirect call")                 \
	X(clang_cet, "clang: indirect, -fcf-protection")          \
	X(clang_retpoline, "clang: indirect, -mretpoline")
#define DECL(name, label) run_fn run_##name __attribute__((weak));
VARIANTS(DECL)
#define ENTRY(name, label) { #name, label, run_##name },
static const struct {
	const char *name, *label;
	run_fn *fn;
} variants[] = { VARIANTS(ENTRY) };
#define NV (sizeof variants / sizeof variants[0])

extern uint64_t (**const all_keys[])(uint64_t);
extern uint64_t (*const all_targets[])(uint64_t);

/* Point every key at its target, bind its sites, and check, from the live bytes, that every
 * site is now a direct call to it. Returns the number of direct sites. */
static int patch_and_verify(int *total)
{
	int direct = 0;
	*total = 0;
	for (int k = 0; k < NKEYS; k++) {
		if (static_call_update(*all_keys[k], all_targets[k]) != 0) {
			fprintf(stderr, "update of key_%d failed\n", k);
			exit(1);
		}
		/* steady state: every site bound (lazy binding binds a site on
		 * its second run; the first round would do it anyway) */
		if (static_call_bind(*all_keys[k]) != 0) {
			fprintf(stderr, "static_call_bind of key_%d failed\n",
				k);
			exit(1);
		}
		struct static_call_site_info si[64];
		int n = static_call_sites(*all_keys[k], si, 64);
		for (int i = 0; i < n && i < 64; i++) {
			const uint8_t *p = si[i].address;
			int32_t rel;
			memcpy(&rel, p + 1, 4);
			int live_direct =
				(p[0] == 0xe8 || p[0] == 0xe9) &&
				p + 5 + rel == (const uint8_t *)all_targets[k];
			if (si[i].form == STATIC_CALL_SITE_DIRECT &&
			    live_direct)
				direct++;
			else if (k == 0 && i == 0)
				fprintf(stderr, "site %p: %s (%s)\n",
					si[i].address,
					static_call_form_name(si[i].form),
					si[i].reason ? si[i].reason :
						       "live bytes differ");
		}
		*total += n;
	}
	return direct;
}

int main(int argc, char **argv)
{
	uint64_t iters = argc > 1 ? strtoull(argv[1], 0, 0) : 2000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 11;
	iters = iters / NSITES ? iters / NSITES :
				 1; /* calls per run ~ argv[1] */

	int total, direct = patch_and_verify(&total);
	printf("call cost: %d site%s through %d key%s; %d of %d sites verified "
	       "direct in the live code\n",
	       NSITES, NSITES > 1 ? "s" : "", NKEYS, NKEYS > 1 ? "s" : "",
	       direct, total);

	double ns[NV][64], tk[NV][64];
	uint64_t result[NV];
	if (rounds > 64)
		rounds = 64;
	for (int r = 0; r < rounds; r++)
		for (size_t j = 0; j < NV; j++) {
			size_t v = (j + (size_t)r) % NV; /* rotate the order */
			if (!variants[v].fn)
				continue;
			double t0 = now_ns();
			uint64_t c0 = __rdtsc();
			result[v] = variants[v].fn(iters, 1);
			uint64_t c1 = __rdtsc();
			double t1 = now_ns();
			double calls = (double)iters * NSITES;
			ns[v][r] = (t1 - t0) / calls;
			tk[v][r] = (double)(c1 - c0) / calls;
		}

	double floor_ns = 0;
	int bad = 0;
	printf("%-38s %9s %11s %10s\n", "variant", "ns/call", "ticks/call",
	       "vs direct");
	for (size_t v = 0; v < NV; v++) {
		if (!variants[v].fn)
			continue;
		double m = median(ns[v], rounds), t = median(tk[v], rounds);
		if (v == 0 || strcmp(variants[v].name, "clang_direct") == 0)
			floor_ns = m;
		printf("%-38s %9.3f %11.2f %10.2f\n", variants[v].label, m, t,
		       floor_ns ? m / floor_ns : 0);
		if (result[v] != result[0]) {
			fprintf(stderr, "%s computed a different result\n",
				variants[v].name);
			bad = 1;
		}
	}
	return bad;
}
