/* expect: cannot be applied to a pointer to member function */
#include "staticcall.h"
struct widget {
	int draw(int x);
};
struct ops {
	int (widget::*STATIC_CALL draw)(int); /* error-here */
};
