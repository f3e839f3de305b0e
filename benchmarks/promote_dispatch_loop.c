/*
 * promote_dispatch_loop.c - an interpreter loop, compiled once per
 * variant (promote_dispatch.sh: -DVARIANT=plain, retpoline, promoted):
 * VARIANT_goto dispatches with computed gotos (a `goto *` per handler),
 * VARIANT_switch with a switch (a jump table). Each runs `code` (ending
 * in LOOP) `loops` times. Two copies of each (_steady, _random): each
 * program its own sites, as two interpreters' would be.
 * Apart from tests/promote/promote_jumps.c: 12 ops there, 8 measured here.
 */
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)

enum { INC, DBL, XOR, ROT, SUB, MUL, NEG, LOOP };

#define INTERP_GOTO(NAME) \
__attribute__((noinline)) unsigned long \
NAME(const unsigned char *code, long loops) \
{ \
	static void *const op[] = { &&inc, &&dbl, &&xor, &&rot, \
				    &&sub, &&mul, &&neg, &&loop }; \
	unsigned long acc = 1; \
	const unsigned char *pc = code; \
	goto *op[*pc++]; \
inc: \
	acc += 1; \
	goto *op[*pc++]; \
dbl: \
	acc = acc * 5 + 1; \
	goto *op[*pc++]; \
xor: \
	acc ^= 0x5555; \
	goto *op[*pc++]; \
rot: \
	acc = acc << 7 | acc >> 57; \
	goto *op[*pc++]; \
sub: \
	acc -= 12345; \
	goto *op[*pc++]; \
mul: \
	acc *= 3; \
	goto *op[*pc++]; \
neg: \
	acc = ~acc; \
	goto *op[*pc++]; \
loop: \
	if (--loops <= 0) \
		return acc; \
	pc = code; \
	goto *op[*pc++]; \
}

#define INTERP_SWITCH(NAME) \
__attribute__((noinline)) unsigned long \
NAME(const unsigned char *code, long loops) \
{ \
	unsigned long acc = 1; \
	for (const unsigned char *pc = code;;) { \
		switch (*pc++) { \
		case INC: \
			acc += 1; \
			break; \
		case DBL: \
			acc = acc * 5 + 1; \
			break; \
		case XOR: \
			acc ^= 0x5555; \
			break; \
		case ROT: \
			acc = acc << 7 | acc >> 57; \
			break; \
		case SUB: \
			acc -= 12345; \
			break; \
		case MUL: \
			acc *= 3; \
			break; \
		case NEG: \
			acc = ~acc; \
			break; \
		case LOOP: \
			if (--loops <= 0) \
				return acc; \
			pc = code; \
			break; \
		default: \
			return 0; \
		} \
	} \
}

INTERP_GOTO(CAT(VARIANT, goto_steady))
INTERP_GOTO(CAT(VARIANT, goto_random))
INTERP_SWITCH(CAT(VARIANT, switch_steady))
INTERP_SWITCH(CAT(VARIANT, switch_random))
