/* Structs by value (in registers and in memory) and struct returns (in
 * registers and through a hidden sret pointer). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

struct pair { int a, b; };                  /* one register */
struct vec2 { double x, y; };               /* two xmm registers */
struct mixed { long l; double d; };         /* rax + xmm */
struct big { long v[5]; };                  /* memory, sret */

static struct pair swap(struct pair p) { return (struct pair){p.b, p.a}; }
static struct pair sum(struct pair p) { return (struct pair){p.a + p.b, 0}; }
struct pair (*STATIC_CALL pair_op)(struct pair) = swap;

static struct vec2 scale(struct vec2 v, double s) { return (struct vec2){v.x * s, v.y * s}; }
static struct vec2 shift(struct vec2 v, double s) { return (struct vec2){v.x + s, v.y - s}; }
struct vec2 (*STATIC_CALL vec_op)(struct vec2, double) = scale;

static struct mixed mk1(struct mixed m) { return (struct mixed){m.l * 3, m.d / 2}; }
static struct mixed mk2(struct mixed m) { return (struct mixed){-m.l, m.d + m.l}; }
struct mixed (*STATIC_CALL mixed_op)(struct mixed) = mk1;

static struct big rev(struct big b, int k)
{
	struct big r;
	for (int i = 0; i < 5; i++)
		r.v[i] = b.v[4 - i] + k;
	return r;
}
static struct big acc(struct big b, int k)
{
	struct big r;
	long s = 0;
	for (int i = 0; i < 5; i++)
		r.v[i] = (s += b.v[i] * k);
	return r;
}
struct big (*STATIC_CALL big_op)(struct big, int) = rev;

__attribute__((noinline)) struct big call_big(struct big b, int k) { return big_op(b, k); }

static void show(const char *when)
{
	struct pair p = pair_op((struct pair){3, 40});
	struct vec2 v = vec_op((struct vec2){1.5, -2.0}, 4.0);
	struct mixed m = mixed_op((struct mixed){7, 0.5});
	struct big b = call_big((struct big){{1, 2, 3, 4, 5}}, 10);
	printf("%s: pair=%d,%d vec=%a,%a mixed=%ld,%a big=%ld,%ld,%ld,%ld,%ld\n",
	       when, p.a, p.b, v.x, v.y, m.l, m.d, b.v[0], b.v[1], b.v[2],
	       b.v[3], b.v[4]);
}

int main(void)
{
	SC_LIVE_KEY(pair_op);
	SC_LIVE_KEY(vec_op);
	SC_LIVE_KEY(mixed_op);
	SC_LIVE_KEY(big_op);
	show("initial");
	SC_UPDATE(pair_op, sum);
	SC_UPDATE(big_op, acc);
	show("one");
	SC_UPDATE(vec_op, shift);
	SC_UPDATE(mixed_op, mk2);
	show("two");
	SC_UPDATE(pair_op, swap);
	SC_UPDATE(vec_op, scale);
	SC_UPDATE(mixed_op, mk1);
	SC_UPDATE(big_op, rev);
	show("back");
	return sc_live_exit();
}
