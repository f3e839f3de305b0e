/*
 * promote_jumps.c - jump sites (indirect jumps that are no call; GCC
 * promote mode, SC_PROMOTE_JUMP; tests/promote/run.sh): a computed-goto
 * interpreter (a `goto *` per opcode handler), a switch interpreter (a
 * jump table) whose programs change order, a switch seeing 12 targets
 * uniformly (promoted: a jump site's stub compares up to 16) and one
 * seeing 24 (megamorphic). 4 threads run them over programs that change
 * phase out of step (each handler's successor changes: widenings,
 * demotions and re-promotions while the others jump). Prints each
 * thread's checksum (the same in every build) and, on stderr, each jump
 * site's function and state and the runtime's statistics.
 * Apart from benchmarks/promote_dispatch_loop.c (8 ops, measured): 12 here.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <staticcall/promote.h>

#define NTHREADS 4
#define PHASES 40
#define LOOPS 5000L

/* clang-format off */
enum { INC, DBL, XOR, ROT, SUB, MUL, NEG, ADD7, SHR, SWAP, HALF, LOOP,
       X12, X13, X14, X15, X16, X17, X18, X19, X20, X21, X22, X23, NOPS };
/* clang-format on */

/* The operations past LOOP (the computed-goto and the 24-case
 * interpreters have them), each its own code: identical ones would be
 * merged into one target. */
#define MORE_OPS(F)                         \
	F(X12, x12, acc * 7 + 3)            \
	F(X13, x13, acc ^ acc << 9)         \
	F(X14, x14, acc - (acc >> 3))       \
	F(X15, x15, acc << 11 | acc >> 53)  \
	F(X16, x16, acc * 9 - 5)            \
	F(X17, x17, acc ^ 0x3c3c3c3c)       \
	F(X18, x18, acc + (acc >> 17))      \
	F(X19, x19, acc / 3 + 1)            \
	F(X20, x20, acc * 11 ^ 0x77)        \
	F(X21, x21, acc << 3 | acc >> 61)   \
	F(X22, x22, (acc ^ acc >> 29) + 17) \
	F(X23, x23, acc * 13 - (acc >> 5))

/* Each program ends in LOOP: run it `loops` times. */
__attribute__((noinline)) unsigned long
run_goto(const unsigned char *code, long loops, unsigned long acc)
{
#define LABEL(op, label, expr) [op] = &&label,
	static void *const op[NOPS] = { &&inc,		&&dbl,	&&xor,	&&rot,
					&&sub,		&&mul,	&&neg,	&&add7,
					&&shr,		&&swap, &&half, &&loop,
					MORE_OPS(LABEL) };
#undef LABEL
	const unsigned char *pc = code;
#define NEXT goto *op[*pc++]
	NEXT;
inc:
	acc += 1;
	NEXT;
dbl:
	acc = acc * 5 + 1;
	NEXT;
xor:
	acc ^= 0x5555;
	NEXT;
rot:
	acc = acc << 7 | acc >> 57;
	NEXT;
sub:
	acc -= 12345;
	NEXT;
mul:
	acc *= 3;
	NEXT;
neg:
	acc = ~acc;
	NEXT;
add7:
	acc += 7;
	NEXT;
shr:
	acc ^= acc >> 13;
	NEXT;
swap:
	acc = acc << 32 | acc >> 32;
	NEXT;
half:
	acc = acc / 2 + 99;
	NEXT;
loop:
	if (--loops <= 0)
		return acc;
	pc = code;
	NEXT;
#define HANDLER(op, label, expr) \
label:                           \
	acc = (expr);            \
	NEXT;
	MORE_OPS(HANDLER)
#undef HANDLER
#undef NEXT
}

/* The same operations through a switch (a jump table). */
#define SWITCH_INTERPRETER(name)                                  \
	__attribute__((noinline)) unsigned long name(             \
		const unsigned char *code, long loops,            \
		unsigned long acc)                                \
	{                                                         \
		for (const unsigned char *pc = code;;) {          \
			switch (*pc++) {                          \
			case INC:                                 \
				acc += 1;                         \
				break;                            \
			case DBL:                                 \
				acc = acc * 5 + 1;                \
				break;                            \
			case XOR:                                 \
				acc ^= 0x5555;                    \
				break;                            \
			case ROT:                                 \
				acc = acc << 7 | acc >> 57;       \
				break;                            \
			case SUB:                                 \
				acc -= 12345;                     \
				break;                            \
			case MUL:                                 \
				acc *= 3;                         \
				break;                            \
			case NEG:                                 \
				acc = ~acc;                       \
				break;                            \
			case ADD7:                                \
				acc += 7;                         \
				break;                            \
			case SHR:                                 \
				acc ^= acc >> 13;                 \
				break;                            \
			case SWAP:                                \
				acc = acc << 32 | acc >> 32;      \
				break;                            \
			case HALF:                                \
				acc = acc / 2 + 99;               \
				break;                            \
			case LOOP:                                \
				if (--loops <= 0)                 \
					return acc;               \
				pc = code;                        \
				break;                            \
			default:                                  \
				return 0;                         \
			}                                         \
		}                                                 \
	}
SWITCH_INTERPRETER(run_switch)
SWITCH_INTERPRETER(run_switch_mega)

/* All 24 operations through a switch: more targets than a jump site's
 * stub compares (16). */
__attribute__((noinline)) unsigned long
run_switch_wide(const unsigned char *code, long loops, unsigned long acc)
{
#define CASE(op, label, expr) \
	case op:              \
		acc = (expr); \
		break;
	for (const unsigned char *pc = code;;) {
		switch (*pc++) {
		case INC:
			acc += 1;
			break;
		case DBL:
			acc = acc * 5 + 1;
			break;
		case XOR:
			acc ^= 0x5555;
			break;
		case ROT:
			acc = acc << 7 | acc >> 57;
			break;
		case SUB:
			acc -= 12345;
			break;
		case MUL:
			acc *= 3;
			break;
		case NEG:
			acc = ~acc;
			break;
		case ADD7:
			acc += 7;
			break;
		case SHR:
			acc ^= acc >> 13;
			break;
		case SWAP:
			acc = acc << 32 | acc >> 32;
			break;
		case HALF:
			acc = acc / 2 + 99;
			break;
		case LOOP:
			if (--loops <= 0)
				return acc;
			pc = code;
			break;
			MORE_OPS(CASE)
		default:
			return 0;
		}
	}
#undef CASE
}

/* Computed-goto programs: the same operations, successors that change
 * from one to the next; 19 first operations, so the loop handler's jump
 * sees more over the phases than a stub compares (16). */
static const unsigned char goto_progs[][8] = {
	{ INC, DBL, XOR, LOOP },      { INC, XOR, DBL, LOOP },
	{ SUB, MUL, NEG, ROT, LOOP }, { MUL, SUB, ROT, NEG, LOOP },
	{ DBL, INC, LOOP },	      { XOR, ROT, INC, LOOP },
	{ NEG, MUL, XOR, LOOP },      { ADD7, SHR, LOOP },
	{ SHR, SWAP, INC, LOOP },     { SWAP, HALF, DBL, LOOP },
	{ HALF, ADD7, XOR, LOOP },    { ROT, NEG, SWAP, LOOP },
	{ X12, X20, INC, LOOP },      { X13, X21, XOR, LOOP },
	{ X14, X22, LOOP },	      { X15, X23, DBL, LOOP },
	{ X16, SUB, X12, LOOP },      { X17, X13, LOOP },
	{ X18, X20, NEG, LOOP },      { X19, X14, X21, LOOP },
};
#define NGOTO (sizeof goto_progs / sizeof goto_progs[0])
/* Switch programs: four targets, in changing order. */
static const unsigned char switch_progs[][8] = {
	{ INC, DBL, XOR, LOOP },
	{ XOR, INC, DBL, LOOP },
	{ DBL, DBL, XOR, INC, LOOP },
};
#define NSWITCH (sizeof switch_progs / sizeof switch_progs[0])
/* Every case, uniformly. */
static const unsigned char mega_prog[] = { INC, DBL,  XOR,  ROT,
					   SUB, MUL,  NEG,  ADD7,
					   SHR, SWAP, HALF, LOOP };
static const unsigned char wide_prog[] = { INC, DBL,  XOR, ROT,	 SUB,  MUL,
					   NEG, ADD7, SHR, SWAP, HALF, X12,
					   X13, X14,  X15, X16,	 X17,  X18,
					   X19, X20,  X21, X22,	 X23,  LOOP };

__attribute__((noinline)) unsigned long worker(long t)
{
	unsigned long acc = (unsigned long)t;
	for (long p = 0; p < PHASES; p++) {
		acc = run_goto(goto_progs[(p + t) % NGOTO], LOOPS, acc);
		acc = run_switch(switch_progs[(p + t) % NSWITCH], LOOPS, acc);
		acc = run_switch_mega(mega_prog, LOOPS / 2, acc);
		acc = run_switch_wide(wide_prog, LOOPS / 4, acc);
	}
	return acc;
}

static void *thread_main(void *arg)
{
	return (void *)worker((long)arg);
}

struct fn {
	const char *name;
	const void *at;
};

static int fn_cmp(const void *a, const void *b)
{
	const struct fn *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

int main(void)
{
	pthread_t th[NTHREADS];
	unsigned long got[NTHREADS];
	for (long t = 0; t < NTHREADS; t++)
		if (pthread_create(&th[t], NULL, thread_main, (void *)t))
			return 1;
	for (long t = 0; t < NTHREADS; t++) {
		void *r;
		pthread_join(th[t], &r);
		got[t] = (unsigned long)r;
	}
	for (long t = 0; t < NTHREADS; t++)
		printf("thread %ld: %lu\n", t, got[t]);

	/* Each jump site (tail == 2) by the function it lies in: the
	 * nearest of these at or below it. */
	struct fn fns[] = {
		{ "run_goto", (const void *)run_goto },
		{ "run_switch", (const void *)run_switch },
		{ "run_switch_mega", (const void *)run_switch_mega },
		{ "run_switch_wide", (const void *)run_switch_wide },
		{ "worker", (const void *)worker },
		{ "thread_main", (const void *)thread_main },
		{ "main", (const void *)main },
	};
	const size_t nfns = sizeof fns / sizeof fns[0];
	qsort(fns, nfns, sizeof fns[0], fn_cmp);
	struct static_call_promote_stats st;
	if (static_call_promote_stats(&st))
		return 0; /* no promotion: nothing more to say */
	int n = static_call_promote_sites(NULL, 0);
	struct static_call_promote_site_info *si =
		n > 0 ? calloc((size_t)n, sizeof *si) : NULL;
	if (si)
		n = static_call_promote_sites(si, (size_t)n);
	size_t jumps = 0, promoted = 0;
	for (int i = 0; si && i < n; i++) {
		if (si[i].tail != 2)
			continue;
		const char *name = "?";
		for (size_t k = 0; k < nfns; k++)
			if (fns[k].at <= si[i].address)
				name = fns[k].name;
		jumps++;
		promoted += si[i].state == 3;
		fprintf(stderr, "jump %s: %s %d samples=%lu promotions=%lu "
				"demotions=%lu\n",
			name, static_call_promote_state_name(si[i].state), si[i].ntargets,
			si[i].samples, si[i].promotions, si[i].demotions);
	}
	free(si);
	fprintf(stderr,
		"stats: objects=%zu sites=%zu tail=%zu rejected=%zu "
		"promoted=%zu megamorphic=%zu jumps=%zu jumps_promoted=%zu "
		"promotions=%lu demotions=%lu samples=%lu\n",
		st.objects, st.sites, st.tail_sites, st.rejected, st.promoted,
		st.megamorphic, jumps, promoted, st.promotions, st.demotions,
		st.samples);
	return 0;
}
