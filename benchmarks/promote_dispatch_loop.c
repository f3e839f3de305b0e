/*
 * promote_dispatch_loop.c - an interpreter loop, compiled once per
 * variant (promote_dispatch.sh: -DVARIANT=plain, retpoline, promoted):
 * VARIANT_goto dispatches with computed gotos (a `goto *` per handler),
 * VARIANT_switch with a switch (a jump table). Each runs `code` (ending
 * in LOOP) `loops` times.
 */
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)

enum { INC, DBL, XOR, ROT, SUB, MUL, NEG, LOOP };

__attribute__((noinline)) unsigned long
CAT(VARIANT, goto)(const unsigned char *code, long loops)
{
	static void *const op[] = { &&inc, &&dbl, &&xor, &&rot,
				    &&sub, &&mul, &&neg, &&loop };
	unsigned long acc = 1;
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
loop:
	if (--loops <= 0)
		return acc;
	pc = code;
	NEXT;
#undef NEXT
}

__attribute__((noinline)) unsigned long
CAT(VARIANT, switch)(const unsigned char *code, long loops)
{
	unsigned long acc = 1;
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
		case LOOP:
			if (--loops <= 0)
				return acc;
			pc = code;
			break;
		default:
			return 0;
		}
	}
}
