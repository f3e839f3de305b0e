// Keys declared in C++ (docs/GUIDE.md, "C++"): at namespace scope (C++
// linkage: mangled names), in an anonymous namespace, static data members
// (also of a class template), marked members of aggregates in a namespace,
// extern "C"; called with ordinary syntax from free functions, member
// functions, inline functions (COMDAT) and templates; updated with
// static_call_update (an overloaded function, a lambda), plain stores,
// member stores and struct copies. Also C++17 inline variables, and keys
// set by dynamic initialization (a constructor, a function's result).
#include <stdio.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static int inc(int x) { return x + 1; }
static int dbl(int x) { return 2 * x; }
static int neg(int x) { return -x; }
static long over(long x) { return x + 1000; }
static int over(int x) { return x + 100; }

namespace app {
int (*STATIC_CALL hook)(int) = inc;

struct ops {
	int (*STATIC_CALL read)(int);
	int weight;
	int (*STATIC_CALL write)(int);
};
ops table[2] = { { inc, 1, dbl }, { neg, 2, inc } };

class holder {
      public:
	static int (*STATIC_CALL member)(int);
	int base = 10;
	// `this` plays no part: the key is the static member.
	__attribute__((noinline)) int call(int x) { return member(x) + base; }
};
int (*STATIC_CALL holder::member)(int) = dbl;
} // namespace app

namespace {
int (*STATIC_CALL local_hook)(int) = neg;
}

// Dynamic initialization: a constructor stores the member (a store through
// `this`, routed), an initializer calls a function.
struct with_ctor {
	int (*STATIC_CALL fn)(int);
	int scale;
	with_ctor() : fn(neg), scale(2) {}
};
with_ctor built;
static int (*pick_impl())(int) { return dbl; }
int (*STATIC_CALL picked)(int) = pick_impl();

extern "C" {
int (*STATIC_CALL c_hook)(int) = inc;
}

// C++17 inline variables: one key whatever the number of units defining it.
inline int (*STATIC_CALL inline_key)(int) = neg;
struct settings {
	static inline int (*STATIC_CALL level)(int) = inc;
};

template <typename T> struct typed {
	static T (*STATIC_CALL fn)(T);
};
template <typename T> T (*STATIC_CALL typed<T>::fn)(T) = dbl;

__attribute__((noinline)) int call_ns(int x) { return app::hook(x) + 1; }
__attribute__((noinline)) int tail_ns(int x) { return app::hook(x); }
__attribute__((noinline)) int call_read(int x) { return app::table[0].read(x) + 1; }
__attribute__((noinline)) int call_write(int x) { return app::table[1].write(x) + 1; }
__attribute__((noinline)) int call_local(int x) { return local_hook(x) * 3; }
__attribute__((noinline)) int call_c(int x) { return c_hook(x) + 1; }
__attribute__((noinline)) int call_typed(int x) { return typed<int>::fn(x) + 1; }
__attribute__((noinline)) int call_dynamic(int x)
{
	return built.fn(x) * built.scale + picked(x);
}
__attribute__((noinline)) int call_inline_vars(int x)
{
	return inline_key(x) * 100 + settings::level(x);
}
inline int call_inline(int x) { return app::hook(x) + c_hook(x); }
template <typename T> __attribute__((noinline)) T call_template(T x)
{
	return typed<T>::fn(x) - 1;
}
static int events;
static void note(int x) { events += x; }
void (*STATIC_CALL on_event)(int);
__attribute__((noinline)) void fire(int x)
{
	if (on_event)
		on_event(x);
}

static void show(const char *when)
{
	app::holder h;
	events = 0;
	fire(4);
	printf("%-18s ns %d %d ops %d %d member %d local %d c %d typed %d %d "
	       "inline %d vars %d dynamic %d events %d\n",
	       when, call_ns(5), tail_ns(5), call_read(5), call_write(5),
	       h.call(5), call_local(5), call_c(5), call_typed(5),
	       call_template<int>(5), call_inline(5), call_inline_vars(5),
	       call_dynamic(5), events);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SC_LIVE_KEY(app::hook);
	SC_LIVE_KEY(app::table[0].read);
	SC_LIVE_KEY(app::table[1].write);
	SC_LIVE_KEY(app::holder::member);
	SC_LIVE_KEY(local_hook);
	SC_LIVE_KEY(c_hook);
	SC_LIVE_KEY(typed<int>::fn);
	SC_LIVE_KEY(on_event);
	SC_LIVE_KEY(inline_key);
	SC_LIVE_KEY(settings::level);
	SC_LIVE_KEY(built.fn);
	SC_LIVE_KEY(picked);
	show("initial");

	SC_UPDATE(app::hook, dbl);
	SC_UPDATE(app::table[0].read, neg);
	SC_UPDATE(app::table[1].write, dbl);
	SC_UPDATE(app::holder::member, inc);
	SC_UPDATE(local_hook, inc);
	SC_UPDATE(c_hook, over);                 // the overload of int(int)
	SC_UPDATE(typed<int>::fn, [](int x) { return x * 7; });
	SC_UPDATE(on_event, note);
	SC_UPDATE(inline_key, dbl);
	SC_UPDATE(built.fn, inc);
	picked = neg;
	settings::level = neg;
	SC_CHECK();
	show("updated");

	// Plain stores, member stores and struct copies are routed.
	app::hook = neg;
	app::table[0].read = dbl;
	app::ops copy = { inc, 3, neg };
	app::table[1] = copy;
	typed<int>::fn = inc;
	SC_CHECK();
	show("stored");

	memset(&app::table[0], 0, sizeof app::table[0]);
	app::table[0].read = inc;
	if (static_call_update_null(on_event) != 0)
		sc_live_fail(__FILE__, __LINE__, "update_null");
	if (static_call_update_ret0(app::holder::member) != 0)
		sc_live_fail(__FILE__, __LINE__, "update_ret0");
	SC_CHECK();
	show("null, ret0");
	printf("query %d\n", static_call_query(c_hook) == (int (*)(int))over);
	return sc_live_exit();
}
