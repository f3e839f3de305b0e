#include "staticcall.h"
#include <stdio.h>
#include <stdarg.h>
struct big { long a[8]; };
static int i1(int x) { return x + 1; }
static int i2(int x) { return x * 3; }
static long sb(struct big b, int k) { return b.a[0] + b.a[7] + k; }
static int va(int n, ...) { va_list ap; va_start(ap, n); int s = 0; for (int i = 0; i < n; i++) s += va_arg(ap, int); va_end(ap); return s; }
static double dd(double a, float b) { return a * b; }
int (*STATIC_CALL h)(int) = i1;
static int (*STATIC_CALL sh)(int) = i2;
long (*STATIC_CALL hb)(struct big, int) = sb;
int (*STATIC_CALL hv)(int, ...) = va;
double (*STATIC_CALL hd)(double, float) = dd;
__attribute__((noinline)) int both(int c, int x) { if (c) return h(x) + 1; else return h(x + 2) + 1; }
__attribute__((noinline)) int sw(int c, int x) {
  switch (c) { case 0: return h(x); case 1: return sh(x); case 2: return h(sh(x)); case 3: x = h(x); /* fallthrough */ default: return sh(x) + h(x); }
}
__attribute__((noinline)) int loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += h(i) + sh(i); return s; }
__attribute__((noinline)) int sel(int c, int x) { return (c ? h : sh)(x); }
__attribute__((noinline)) long big(int k) { struct big b = {{k, 2, 3, 4, 5, 6, 7, k * 2}}; return hb(b, k) + hb(b, k + 1); }
__attribute__((noinline)) int vv(int a) { return hv(3, a, a + 1, a + 2) + hv(0); }
__attribute__((noinline)) double fd(double a) { return hd(a, 2.5f) + hd(hd(a, 1.0f), 0.5f); }
__attribute__((noinline)) int nested(int x) { return h(sh(h(sh(x)))); }
__attribute__((noinline)) int guarded(int x) { return h ? h(x) : -1; }
int main(void) {
  long t = 0;
  for (int c = 0; c < 5; c++) t += both(c & 1, c) + sw(c, c + 3) + sel(c & 1, c);
  t += loop(37) + big(5) + vv(4) + (long)fd(3.0) + nested(2) + guarded(9);
  printf("%ld\n", t);
  static_call_update(h, i2);
  static_call_update(sh, i1);
  t = 0;
  for (int c = 0; c < 5; c++) t += both(c & 1, c) + sw(c, c + 3) + sel(c & 1, c);
  t += loop(37) + nested(2) + guarded(9);
  printf("%ld\n", t);
  return 0;
}
