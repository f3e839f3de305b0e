/* expect: cannot be applied to a pointer to member function */
// C++: a pointer to member function is no key (its call may pick a
// virtual function and adjusts `this`).
#include "staticcall.h"
struct widget {
	int draw(int x);
};
int (widget::*STATIC_CALL draw_fn)(int) = &widget::draw; /* error-here */
