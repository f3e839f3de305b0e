/*
 * hold.h - the end of a test program that the inspector's test
 * (tools/tests/test_inspect_promote.py) reads live: its own checks
 * passed, it says "ready" and waits for its standard input to close.
 */
#ifndef STATICCALL_TESTS_HOLD_H
#define STATICCALL_TESTS_HOLD_H

#include <stdio.h>
#include <unistd.h>

static inline int hold_for_the_inspector(void)
{
	printf("ready\n");
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

#endif
