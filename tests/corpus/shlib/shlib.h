#include "staticcall.h"

/* Defined in libshlib.so, called from the library and the executable. */
extern int (*STATIC_CALL lib_key)(int);
/* Defined in the executable, called from the library too. */
extern long (*STATIC_CALL exe_key)(long);

int lib_t1(int x);
int lib_t2(int x);
int lib_call(int x);
int lib_call_tail(int x);
long lib_call_exe(long x);
int lib_update(int which);
