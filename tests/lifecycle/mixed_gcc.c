/* Built with GCC into the executable. */
#include "staticcall.h"

extern int (*STATIC_CALL mixed_key)(int);
int gcc_call(int x) { return mixed_key(x) * 2; }

struct mixed_ops { long pad; int (*STATIC_CALL op)(int); };
extern struct mixed_ops mixed_ops;
int gcc_op(int x) { return mixed_ops.op(x) * 2; }
/* a member store through a pointer, routed by the GCC plugin */
void gcc_set_op(struct mixed_ops *o, int (*f)(int)) { o->op = f; }
