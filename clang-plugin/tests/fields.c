/* Field keys (docs/FIELD_KEYS.md) in the shapes that stress anchors: two
 * sites of one key in a function, tail calls, a guarded call, nested
 * objects and arrays, a function's static object, calls through pointers
 * and variable indices (ordinary), stores and copies between updates. */
#include "staticcall.h"
#include <stdio.h>
#include <string.h>
static int i1(int x) { return x + 1; }
static int i2(int x) { return x * 3; }
static int i3(int x) { return x - 5; }
static long cnt;
static void note(int x) { cnt += x; }
struct leaf { int (*STATIC_CALL f)(int); int w; };
struct mid { long tag; struct leaf l[3]; void (*STATIC_CALL ev)(int); };
struct mid m = { 1, { { i1, 1 }, { i2, 2 }, { i3, 3 } }, note };
static struct leaf sl = { i2, 0 };
struct mid marr[2];
__attribute__((noinline)) int both(int c, int x) { if (c) return m.l[0].f(x) + 1; else return m.l[0].f(x + 2) + 1; }
__attribute__((noinline)) int tail(int c, int x) { return c ? m.l[1].f(x) : sl.f(x); }
__attribute__((noinline)) int chain(int x) { return m.l[2].f(m.l[1].f(m.l[0].f(x))); }
__attribute__((noinline)) void fire(int x) { if (m.ev) m.ev(x); }
__attribute__((noinline)) void fire2(int x) { if (marr[1].ev) marr[1].ev(x); }
__attribute__((noinline)) int stat(int x) { static struct leaf own = { i3, 0 }; return own.f(x) + own.f(x + 1); }
__attribute__((noinline)) int ptr(struct leaf *p, int x) { return p->f(x); }
__attribute__((noinline)) int idx(int i, int x) { return m.l[i].f(x); }
__attribute__((noinline)) int loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += m.l[0].f(i) + sl.f(i); return s; }
static long run(void)
{
	long t = 0;
	cnt = 0;
	for (int c = 0; c < 4; c++)
		t += both(c & 1, c) + tail(c & 1, c) + chain(c) + stat(c) +
		     ptr(&m.l[c % 3], c) + idx(c % 3, c);
	fire(3);
	fire2(4);
	return t + loop(29) + cnt;
}
int main(void)
{
	printf("%ld\n", run());
	static_call_update(m.l[0].f, i2);
	static_call_update_null(m.ev);
	printf("%ld\n", run());
	m.l[1].f = i3;
	sl = (struct leaf){ i1, 9 };
	marr[1].ev = note;
	printf("%ld\n", run());
	struct mid copy = m;
	copy.l[2].f = i1;
	memcpy(&m, &copy, sizeof m);
	m.ev = note;
	printf("%ld\n", run());
	return static_call_verify();
}
