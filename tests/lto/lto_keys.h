/* tests/lto/lto_keys.h - keys shared by the units of the -flto test. */
#include "staticcall.h"

int add1(int x);
int add2(int x);
int add3(int x);

/* A plain key defined in lto_b.c, called from both units. */
extern STATIC_CALL int (*g_hook)(int);

/* A field key of a global object defined in lto_b.c. */
struct ops {
	int (*STATIC_CALL op)(int);
	long data;
};
extern struct ops g_ops;

/* Each unit's own `static` key named s_hook (two keys, one name). */
int a_calls_s_hook(int x);
int b_calls_s_hook(int x);
void b_set_s_hook(int (*fn)(int));

/* Small callers lto1 inlines across units; a tail call; a guarded call. */
int b_small(int x);
int b_tail(int x);
void b_guarded(int *out);
