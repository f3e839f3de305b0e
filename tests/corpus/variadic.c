/* A variadic key type: the caller sets %al to the number of vector
 * registers used, which the trampoline must not clobber. */
#include <stdarg.h>
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

/* format: 'i' int, 'd' double, 'l' long */
static double vsum(const char *fmt, ...)
{
	va_list ap;
	double s = 0;
	va_start(ap, fmt);
	for (; *fmt; fmt++)
		s += *fmt == 'i' ? va_arg(ap, int)
		     : *fmt == 'l' ? (double)va_arg(ap, long)
				   : va_arg(ap, double);
	va_end(ap);
	return s;
}

static double vlast(const char *fmt, ...)
{
	va_list ap;
	double s = 0;
	va_start(ap, fmt);
	for (; *fmt; fmt++)
		s = *fmt == 'i' ? va_arg(ap, int)
		    : *fmt == 'l' ? (double)va_arg(ap, long)
				  : va_arg(ap, double);
	va_end(ap);
	return s;
}

static double vcount(const char *fmt, ...)
{
	double n = 0;
	while (*fmt++)
		n++;
	return n;
}

double (*STATIC_CALL vfn)(const char *, ...) = vsum;

static int vprint(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
int (*STATIC_CALL pfn)(char *, size_t, const char *, ...) = vprint;

__attribute__((noinline)) double many_doubles(double x)
{
	return vfn("ddddddddddi", x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6,
		   x + 7, x + 8, x + 9, 11);
}

__attribute__((noinline)) double ints_only(int x)
{
	return vfn("iil", x, x * 3, (long)x << 33);
}

static void show(const char *when)
{
	char buf[128];
	pfn(buf, sizeof buf, "%d|%s|%.3f|%ld", 42, "str", 2.5, -7L);
	printf("%s: %a %a %a %s\n", when, many_doubles(0.5), ints_only(5),
	       vfn("did", 1.25, 2, 3.5), buf);
}

int main(void)
{
	SC_LIVE_KEY(vfn);
	SC_LIVE_KEY(pfn);
	show("initial");
	SC_UPDATE(vfn, vlast);
	show("last");
	SC_UPDATE(vfn, vcount);
	show("count");
	SC_UPDATE(vfn, vsum);
	SC_UPDATE(pfn, snprintf);
	show("libc");
	return sc_live_exit();
}
