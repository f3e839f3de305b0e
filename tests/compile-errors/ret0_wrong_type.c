/* expect: returning an integer or a pointer */
#include "staticcall.h"
static double impl(double x) { return x; }
double (*STATIC_CALL fhook)(double) = impl;
int set(void)
{
	return static_call_update_ret0(fhook); /* error-here */
}
