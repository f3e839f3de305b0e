/* The second translation unit: its own `static` key named `k`. */
#include "livecode.h"
#include "staticcall.h"

static int ba(int x) { return x - 1; }
static int bb(int x) { return x - 2; }
static int bc(int x) { return x * 7; }
static int (*STATIC_CALL k)(int) = ba;

__attribute__((noinline)) int b_call(int x) { return k(x) * 100; }

void b_register(void) { sc_live_key(&k, "k (b.c)"); }

int b_set(int which)
{
	switch (which) {
	case 1:
		return SC_UPDATE(k, bb);
	case 2:
		return SC_UPDATE(k, bc);
	default:
		return SC_UPDATE(k, ba);
	}
}
