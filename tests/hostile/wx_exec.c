/*
 * wx_exec PROGRAM [ARGS...] - run PROGRAM under a W^X policy present from
 * its start (wx_filter.h; the filter survives execve).
 */
#include <stdio.h>
#include <unistd.h>

#include "wx_filter.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wx_exec PROGRAM [ARGS...]\n");
		return 2;
	}
	if (wx_install()) {
		perror("wx_exec: seccomp");
		return 77; /* meson: skipped */
	}
	execv(argv[1], argv + 1);
	perror("wx_exec: execv");
	return 2;
}
