/* Integer arguments and results through a key; several updates. */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int add_one(int x) { return x + 1; }
static int twice(int x) { return x * 2; }
static int negate(int x) { return -x; }
static int square(int x) { return x * x; }

int (*STATIC_CALL op)(int) = add_one;
long (*STATIC_CALL op2)(long, int, unsigned char) = 0;

static long mix(long a, int b, unsigned char c) { return a * 1000 + b * 10 + c; }
static long mix2(long a, int b, unsigned char c) { return a - b - c; }

__attribute__((noinline)) int call_op(int x) { return op(x) + 0 * x; }
__attribute__((noinline)) long call_op2(long a, int b, unsigned char c)
{
	long r = op2(a, b, c);
	return r + 1;
}

static void show(const char *when)
{
	printf("%s: op(7)=%d op(-3)=%d op2=%ld\n", when, call_op(7), call_op(-3),
	       call_op2(123456789L, -42, 200));
}

int main(void)
{
	SC_LIVE_KEY(op);
	SC_LIVE_KEY(op2);
	SC_UPDATE(op2, mix);
	show("initial");
	SC_UPDATE(op, twice);
	show("twice");
	SC_UPDATE(op, negate);
	SC_UPDATE(op2, mix2);
	show("negate");
	SC_UPDATE(op, square);
	show("square");
	SC_UPDATE(op, add_one);
	show("add_one");
	printf("query ok: %d\n", static_call_query(op) == add_one);
	return sc_live_exit();
}
