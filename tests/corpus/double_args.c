/* Floating-point arguments and results (xmm registers, float and double). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static double lerp(double a, double b, float t) { return a + (b - a) * t; }
static double maxd(double a, double b, float t) { return (a > b ? a : b) + t; }
static double prod(double a, double b, float t) { return a * b * t; }

double (*STATIC_CALL fop)(double, double, float) = lerp;

static float halff(float x) { return x / 2; }
static float thirdf(float x) { return x / 3; }
float (*STATIC_CALL ffn)(float) = halff;

__attribute__((noinline)) double run(double a, double b)
{
	double acc = 0;
	for (int i = 0; i < 4; i++)
		acc += fop(a, b, 0.25f * i);
	return acc + ffn((float)a);
}

static void show(const char *when)
{
	printf("%s: %a %a %a\n", when, run(1.5, -2.25), run(1e10, 3e-5),
	       (double)ffn(7.0f));
}

int main(void)
{
	SC_LIVE_KEY(fop);
	SC_LIVE_KEY(ffn);
	show("initial");
	SC_UPDATE(fop, maxd);
	show("max");
	SC_UPDATE(fop, prod);
	SC_UPDATE(ffn, thirdf);
	show("prod");
	SC_UPDATE(fop, lerp);
	show("lerp");
	return sc_live_exit();
}
