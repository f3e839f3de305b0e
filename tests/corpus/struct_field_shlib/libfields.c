#include "fieldlib.h"

int size8(int n) { return (n + 7) & ~7; }
int size16(int n) { return (n + 15) & ~15; }
int round_up(int n) { return n + 1; }
int round_down(int n) { return n - 1; }

struct lib_config lib_cfg = { 1, { size8, round_up },
			      { { size16, round_down }, { size8, round_up } } };

__attribute__((noinline)) int lib_size(int n) { return lib_cfg.mem.xSize(n) + 1; }
__attribute__((noinline)) int lib_round_alt1(int n) { return lib_cfg.alt[1].xRound(n); }
void lib_set_size(int (*f)(int)) { lib_cfg.mem.xSize = f; }
void lib_install(const struct mem_methods *m) { lib_cfg.mem = *m; }
