/* expect: cannot be applied to a member function */
// C++: virtual and member function calls are not static calls.
#include "staticcall.h"
struct widget {
	virtual int STATIC_CALL draw(int x); /* error-here */
};
