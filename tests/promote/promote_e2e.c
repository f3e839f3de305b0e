/*
 * promote_e2e.c - indirect calls of every kind the promotion learns
 * (tests/promote/run.sh): through struct members, arrays and parameters,
 * in the program and in a shared library, calls and a tail call; monomorphic, two-target,
 * megamorphic (16 targets) and phase-changing (its one target changes
 * half-way) sites; 8 threads calling while the runtime promotes. The
 * library's callbacks into the program are out of a stub's reach (far);
 * its calls to its own functions are promoted. Prints
 * each thread's checksum (the same with and without promotion) and, on
 * stderr, the runtime's promotion statistics.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <staticcall.h>
#include <unistd.h>
#include <staticcall/promote.h>
#include <staticcall_abi.h>
#include <string.h>

#include "inline_state.h"
#include "promote_lib.h"

/* PROMOTE_E2E_ITERS: fewer under qemu (tests/promote/run_arm64.sh) */
static long ITERS = 200000L;
#define NTHREADS 8

#define F(n)                                               \
	__attribute__((noinline)) static long f##n(long x) \
	{                                                  \
		return x * (n + 3) + n;                    \
	}
/* clang-format off */
F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13)
F(14) F(15)
static long (*const table[16])(long) = { f0, f1, f2,  f3,  f4,  f5,
					 f6, f7, f8,  f9,  f10, f11,
					 f12, f13, f14, f15 };
/* clang-format on */

__attribute__((noinline)) static long add(long a, long b)
{
	return a + b;
}
__attribute__((noinline)) static long sub(long a, long b)
{
	return a - b;
}
__attribute__((noinline)) static long mix(long x)
{
	return x >> 3;
}

struct shape {
	long (*area)(long);
};

/* Through a struct member: monomorphic per object. */
__attribute__((noinline)) static long member(const struct shape *s, long x)
{
	return s->area(x) + 1;
}
/* A tail call through a struct member (`jmp thunk`): learned through
 * its slow stub. */
__attribute__((noinline)) static long tail_member(const struct shape *s, long x)
{
	return s->area(x);
}
/* Through a struct member whose one target changes every 10,000 calls
 * of each thread (threads out of step): phases while 8 threads call. */
__attribute__((noinline)) static long phased(const struct shape *s, long x)
{
	return s->area(x) ^ 5;
}
/* Opted out: its call keeps the retpoline and is no site (the program's
 * five sites are the others). */
#ifdef __STATICCALL_PLUGIN__
__attribute__((staticcall_no_promote))
#endif
__attribute__((noinline)) static long
opted_out(const struct shape *s, long x)
{
	return s->area(x) + 9;
}
/* Through an array: megamorphic (uniform over 16). */
__attribute__((noinline)) static long array(unsigned i, long x)
{
	return table[i % 16](x) - 2;
}
/* Through a parameter: two targets. */
__attribute__((noinline)) static long param(long (*f)(long, long), long a)
{
	return f(a, 5) * 2;
}

static void *worker(void *arg)
{
	long id = (long)arg, sum = 0;
	struct shape sq = { f3 }, ph = { f4 };
	struct lib_ops ops = { add, mix };
	unsigned r = (unsigned)id * 2654435761u + 1;
	for (long i = 0; i < ITERS; i++) {
		r = r * 1103515245u + 12345u;
		sum += member(&sq, i);
		sum += tail_member(&sq, i);
		if (i % 10000 == 0)
			ph.area = table[4 + (i / 10000 + id) % 4];
		sum += phased(&ph, i);
		sum -= opted_out(&sq, i);
		sum ^= array(r >> 8, i);
		sum += param((r >> 12) & 1 ? add : sub, i);
		/* phase change: the member's one target changes half-way */
		if (i == ITERS / 2) {
			sq.area = f9;
			ops.combine = sub;
		}
		sum += lib_apply(table[(i / 1000) % 2 ? 5 : 6], i);
		sum = lib_fold(&ops, sum, i);
		sum += lib_dispatch(r >> 20, i);
	}
	return (void *)sum;
}

struct named {
	const char *name;
	const void *addr;
};

/* The function of `fns` holding addr (the nearest start at most 256
 * bytes below it; exact: at it), else "?". */
static const char *name_of(const struct named *fns, int n, const void *addr,
			   int exact)
{
	const struct named *best = NULL;
	for (int i = 0; i < n; i++)
		if (fns[i].addr <= addr && (!best || fns[i].addr > best->addr))
			best = &fns[i];
	if (!best ||
	    (const char *)addr - (const char *)best->addr >= (exact ? 1 : 256))
		return "?";
	return best->name;
}

/* Each site's state, on stderr: "site FUNCTION: STATE [TARGETS]". */
static void list_sites(void)
{
#define N(f)                        \
	{                           \
#f, (const void *)f \
	}
	static const struct named fns[] = {
		N(member),    N(tail_member), N(array),	       N(param),
		N(lib_apply), N(lib_fold),    N(lib_dispatch), N(phased),
	};
	static const struct named targets[] = {
		N(f0),	N(f1),	N(f2),	N(f3),	N(f4),	N(f5),	N(f6),
		N(f7),	N(f8),	N(f9),	N(f10), N(f11), N(f12), N(f13),
		N(f14), N(f15), N(add), N(sub), N(mix),
	};
#undef N
	struct static_call_promote_site_info si[32];
	int n = static_call_promote_sites(si, 32);
	for (int i = 0; i < n && i < 32; i++) {
		fprintf(stderr, "site %s: %s",
			name_of(fns, 8, si[i].address, 0), static_call_promote_state_name(si[i].state));
		for (int k = 0; k < si[i].ntargets; k++)
			fprintf(stderr, "%s%s", k ? "," : " ",
				name_of(targets, 19, si[i].targets[k], 1));
		fputc('\n', stderr);
#ifdef __x86_64__
		/* an inline site (promote-inline builds) */
		if (si[i].inline_site)
			fprintf(stderr, "inline %s: %s\n",
				name_of(fns, 8, si[i].address, 0),
				inline_state(si[i].address,
					     si[i].inline_target));
#endif
		if (!si[i].counted)
			continue;
		fprintf(stderr, "hits %s:", name_of(fns, 8, si[i].address, 0));
		for (int k = 0; k < si[i].ntargets; k++)
			fprintf(stderr, "%s%lu", k ? "," : " ", si[i].hits[k]);
		fprintf(stderr, " misses=%lu\n", si[i].misses);
	}
}

int main(void)
{
	pthread_t th[NTHREADS];
	const char *iters = getenv("PROMOTE_E2E_ITERS");
	if (iters && atol(iters) >= 20000)
		ITERS = atol(iters);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		printf("thread %d: %ld\n", i, (long)r);
	}
	struct static_call_promote_stats st;
	if (static_call_promote_stats(&st) == 0)
		fprintf(stderr,
			"stats: pid=%d objects=%zu sites=%zu tail=%zu "
			"tail_unlearned=%zu rejected=%zu "
			"promoted=%zu megamorphic=%zu far=%zu promotions=%lu "
			"demotions=%lu samples=%lu stubs=%zu hits=%llu "
			"misses=%llu inline=%zu inline_open=%zu plain=%zu\n",
			(int)getpid(), st.objects, st.sites, st.tail_sites,
			st.tail_unlearned, st.rejected, st.promoted,
			st.megamorphic, st.far, st.promotions, st.demotions,
			st.samples, st.stubs, st.hits, st.misses,
			st.inline_sites, st.inline_open, st.plain);
	list_sites();
	/* PROMOTE_E2E_SEAL=1: static_call_seal(CODE) puts every site back
	 * as compiled; thread 0's work again gives the same result */
	const char *seal = getenv("PROMOTE_E2E_SEAL");
	if (seal && *seal == '1') {
		fprintf(stderr, "seal: %d\n",
			static_call_seal(STATIC_CALL_SEAL_CODE));
		fprintf(stderr, "after seal: %ld\n", (long)worker(0));
		list_sites();
	}
	return 0;
}
