/* Field keys of an object in a shared library: sites in the library and in
 * the executable, stores from both and from another file. */
#include <stdio.h>

#include "fieldlib.h"
#include "livecode.h"

__attribute__((noinline)) int exe_size(int n) { return lib_cfg.mem.xSize(n) + 2; }
__attribute__((noinline)) int exe_round(int n) { return lib_cfg.mem.xRound(n) + 2; }
__attribute__((noinline)) int exe_round_alt1(int n) { return lib_cfg.alt[1].xRound(n) + 2; }

static void show(const char *when)
{
	printf("%-24s lib %d %d exe %d %d %d\n", when, lib_size(20),
	       lib_round_alt1(20), exe_size(20), exe_round(20),
	       exe_round_alt1(20));
	SC_CHECK();
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	SC_LIVE_KEY(lib_cfg.mem.xSize);
	SC_LIVE_KEY(lib_cfg.mem.xRound);
	SC_LIVE_KEY(lib_cfg.alt[1].xRound);
	show("initial");
	SC_UPDATE(lib_cfg.mem.xSize, size16);
	show("update");
	lib_set_size(size8);
	show("store in the library");
	lib_cfg.mem.xRound = round_down;
	show("store in the executable");
	other_set_round(&lib_cfg.alt[1], round_down);
	show("store in another file");
	struct mem_methods m = { size16, round_up };
	lib_install(&m);
	show("struct copy, library");
	other_replace(&lib_cfg.mem, &lib_cfg.alt[0]);
	show("struct copy, other file");
	other_move(&lib_cfg.alt[1], &m, sizeof m);
	show("memmove, other file");
	return sc_live_exit();
}
