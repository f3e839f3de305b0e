/*
 * under_valgrind.h - is this test running under valgrind? Its own
 * translation cache is a writable and executable mapping, so a test that
 * looks for such mappings in /proc/self/maps checks only the plain run
 * (the CI's 'runtime unit tests'), not 'sanitizer valgrind'.
 */
#ifndef SC_TEST_UNDER_VALGRIND_H
#define SC_TEST_UNDER_VALGRIND_H

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
static inline int under_valgrind(void)
{
	return RUNNING_ON_VALGRIND;
}
#else
static inline int under_valgrind(void)
{
	return 0;
}
#endif

#endif
