/* A struct of field keys defined in libfields.so, called and stored into
 * from the library, the executable (a copy relocation without PIE) and
 * another file of the executable. */
#include <stddef.h>

#include "staticcall.h"

struct mem_methods {
	int (*STATIC_CALL xSize)(int);
	int (*STATIC_CALL xRound)(int);
};
struct lib_config {
	int level;
	struct mem_methods mem;
	struct mem_methods alt[2];
};

extern struct lib_config lib_cfg;

int size8(int n);
int size16(int n);
int round_up(int n);
int round_down(int n);

int lib_size(int n);          /* lib_cfg.mem.xSize(n), in the library */
int lib_round_alt1(int n);    /* lib_cfg.alt[1].xRound(n) */
void lib_set_size(int (*f)(int));       /* a member store in the library */
void lib_install(const struct mem_methods *m); /* lib_cfg.mem = *m */

/* other.c: stores from another file of the executable */
void other_replace(struct mem_methods *dst, const struct mem_methods *src);
void other_move(void *dst, const void *src, size_t n);
void other_set_round(struct mem_methods *m, int (*f)(int));
