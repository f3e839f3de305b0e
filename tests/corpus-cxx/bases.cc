// Marked members inherited from base classes (docs/GUIDE.md, "C++"): a
// class holds the keys of its bases. Writes that do not name the member
// must still reach the runtime: GCC copies a class with bases as the
// bytes of its data size (`MEM <unsigned char[N]>`), Clang's facts about
// which globals hold keys must count the bases'. Single, multiple (the
// keyed base at an offset), polymorphic, virtual and nested bases;
// whole-object assignment, assignment through a base reference, memcpy
// into a global and through a pointer, member stores through a derived
// pointer.
#include <stdio.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x) { return x + 1; }
static int dbl(int x) { return 2 * x; }
static int neg(int x) { return -x; }

struct ops {
	int (*STATIC_CALL read)(int);
	int weight;
};
struct derived : ops {
	int extra;
};
struct tag {
	long t;
};
struct multi : tag, ops {
	int more;
};
struct poly {
	virtual int scale() { return 1; }
	virtual ~poly() {}
	int (*STATIC_CALL fn)(int);
};
struct poly2 : poly {
	int scale() override { return 3; }
};
struct vbase : virtual ops {
	int z;
};
struct grand : derived {
	int g;
};
struct holder {
	derived inner;
	int n;
};

derived d = { { inc, 1 }, 5 };
derived d_src = { { dbl, 2 }, 6 };
multi m;
poly2 p;
vbase v;
grand gr;
holder h;
derived arr[2];

__attribute__((noinline)) int call_d(int x) { return d.read(x) + 1; }
__attribute__((noinline)) int call_m(int x) { return m.read(x) + 2; }
__attribute__((noinline)) int call_p(int x) { return p.fn(x) * p.scale(); }
__attribute__((noinline)) int call_v(int x) { return v.read(x) + 3; }
__attribute__((noinline)) int call_gr(int x) { return gr.read(x) + 4; }
__attribute__((noinline)) int call_h(int x) { return h.inner.read(x) + 5; }
__attribute__((noinline)) int call_arr(int x)
{
	return arr[0].read(x) * 10 + arr[1].read(x);
}

__attribute__((noinline)) void copy_derived(derived *dst, const derived *src)
{
	*dst = *src;
}
__attribute__((noinline)) void bytes_derived(derived *dst, const derived *src)
{
	memcpy(dst, src, sizeof *dst);
}
__attribute__((noinline)) void assign_base(ops &dst, const ops &src)
{
	dst = src;
}
__attribute__((noinline)) void store_member(grand *g, int (*f)(int))
{
	g->read = f;
}

static void show(const char *when)
{
	printf("%-10s d %d m %d p %d v %d gr %d h %d arr %d\n", when,
	       call_d(5), call_m(5), call_p(5), call_v(5), call_gr(5),
	       call_h(5), call_arr(5));
}

int main(int argc, char **argv)
{
	(void)argv;
	m.read = inc;
	p.fn = dbl;
	v.read = neg;
	gr.read = inc;
	h.inner.read = dbl;
	arr[0].read = inc;
	arr[1].read = neg;
	SC_LIVE_KEY(d.read);
	SC_LIVE_KEY(m.read);
	SC_LIVE_KEY(p.fn);
	// (not v.read: Clang reaches a virtual base's member through the
	// vtable's offset, a call through a pointer, not a site; its calls
	// are still checked against the plain build)
	SC_LIVE_KEY(gr.read);
	SC_LIVE_KEY(h.inner.read);
	SC_LIVE_KEY(arr[0].read);
	SC_LIVE_KEY(arr[1].read);
	show("initial");

	// Whole objects: a temporary, a global, through pointers.
	d = derived{ { neg, 3 }, 4 };
	multi mt;
	memset(&mt, 0, sizeof mt);
	mt.read = dbl;
	mt.t = argc;
	m = mt;
	poly2 pt;
	pt.fn = neg;
	p = pt;
	SC_CHECK();
	show("assigned");

	// memcpy into globals (the destination named), through pointers.
	memcpy(&d, &d_src, sizeof d);
	derived tmp = d_src;
	tmp.read = inc;
	memcpy(&h.inner, &tmp, sizeof tmp);
	bytes_derived(&arr[1], &d_src);
	copy_derived(&arr[0], &tmp);
	SC_CHECK();
	show("copied");

	// Through a base reference, a member through a derived pointer, a
	// virtual base's member.
	ops o = { neg, 9 };
	assign_base(gr, o);
	assign_base(m, o);
	store_member(&gr, dbl);
	assign_base(v, o);
	v.read = dbl;
	SC_CHECK();
	show("bases");
	return sc_live_exit();
}
