#ifndef PROMOTE_LIB_H
#define PROMOTE_LIB_H
struct lib_ops {
	long (*combine)(long, long);
	long (*mix)(long);
};
long lib_apply(long (*f)(long), long x);
long lib_fold(const struct lib_ops *ops, long acc, long x);
long lib_dispatch(unsigned which, long x);
#endif
