// Inline forms from C++ (docs/GUIDE.md, "Inline forms"): the header's
// templates convert static_call_update_const's value to the key's return
// type (an enum, a signed char, an unsigned int, a pointer to a class),
// and check static_call_update_ret_arg's argument at compile time.
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

enum class colour : short { red = 1, green = -2 };
struct node {
	int v;
};
static node nodes[2] = { { 10 }, { 20 } };

static colour pick(int) { return colour::red; }
static signed char sc(void) { return 5; }
static unsigned int ui(unsigned int x) { return x; }
static node *first(node *, long) { return &nodes[0]; }

namespace app {
colour (*STATIC_CALL ck)(int) = pick;
signed char (*STATIC_CALL sk)(void) = sc;
unsigned int (*STATIC_CALL uk)(unsigned int) = ui;
node *(*STATIC_CALL nk)(node *, long) = first;
} // namespace app

__attribute__((noinline)) int call_c(int x) { return (int)app::ck(x) * 3; }
__attribute__((noinline)) int call_s() { return app::sk() + 1; }
__attribute__((noinline)) unsigned call_u(unsigned x) { return app::uk(x) / 2; }
__attribute__((noinline)) int call_n(long i) { return app::nk(&nodes[1], i)->v; }

static void show(const char *when)
{
	printf("%s: %d %d %u %d\n", when, call_c(1), call_s(), call_u(8),
	       call_n(0));
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SC_LIVE_KEY(app::ck);
	SC_LIVE_KEY(app::sk);
	SC_LIVE_KEY(app::uk);
	SC_LIVE_KEY(app::nk);
	show("targets");
	if (static_call_update_const(app::ck, colour::green) ||
	    static_call_update_const(app::sk, -100) ||
	    static_call_update_const(app::uk, 0xfffffff0u) ||
	    static_call_update_ret_arg(app::nk, 0))
		return 1;
	SC_CHECK();
	show("constants, argument 0");
	if (call_c(1) != -6 || call_s() != -99 || call_u(8) != 0x7ffffff8u ||
	    call_n(0) != 20)
		return 2;
	if (static_call_update_const(app::nk, &nodes[0]) ||
	    static_call_update_ret_arg(app::uk, 0))
		return 1;
	SC_CHECK();
	show("pointer constant, argument 0");
	if (call_n(0) != 10 || call_u(8) != 4)
		return 3;
	SC_UPDATE(app::ck, pick);
	SC_UPDATE(app::sk, sc);
	SC_UPDATE(app::uk, ui);
	SC_UPDATE(app::nk, first);
	show("targets again");
	return sc_live_exit();
}
