/* expect: 'static_call_update_const' needs a key returning an integer or a pointer */
#include "staticcall.h"
static double half(double x) { return x / 2; }
double (*STATIC_CALL fhook)(double) = half;
int set(void)
{
	return static_call_update_const(fhook, 1); /* error-here */
}
