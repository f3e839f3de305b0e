/*
 * Source lines of addresses, from `addr2line` (when the file has debug info
 * and addr2line is installed; otherwise every location stays unknown).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inspect.h"

static char *strip_discriminator(char *s)
{
	char *d = strstr(s, " (discriminator");
	if (d)
		*d = 0;
	return s;
}

/* Source locations for n addresses of the file (file vaddrs). */
struct srcloc *addr2line(const char *path, const uint64_t *addrs, size_t n)
{
	struct srcloc *out = xcalloc(n, sizeof *out);
	if (!n)
		return out;
	char tmpl[] = "/tmp/staticcall-inspect.XXXXXX";
	int in = mkstemp(tmpl);
	if (in < 0)
		return out;
	unlink(tmpl);
	FILE *f = fdopen(in, "w+");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%" PRIx64 "\n", addrs[i]);
	fflush(f);
	lseek(in, 0, SEEK_SET);
	int pfd[2];
	if (pipe(pfd) < 0) {
		fclose(f);
		return out;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(pfd[1], 1);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(pfd[0]);
		execlp("addr2line", "addr2line", "-a", "-f", "-i", "-C", "-e",
		       path, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fclose(f);
	if (pid < 0) {
		close(pfd[0]);
		return out;
	}
	FILE *r = fdopen(pfd[0], "r");
	char *line = NULL;
	size_t cap = 0;
	long idx = -1;
	int pair = 0; /* lines seen after the address marker */
	char *func = NULL;
	while (getline(&line, &cap, r) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '0' && line[1] == 'x' && pair % 2 == 0) {
			char *end;
			uint64_t a = strtoull(line, &end, 16);
			if (!*end && idx + 1 < (long)n && a == addrs[idx + 1]) {
				idx++;
				pair = 0;
				continue;
			}
		}
		if (idx < 0)
			continue;
		if (pair % 2 == 0) {
			free(func);
			func = strdup(line);
		} else {
			strip_discriminator(line);
			if (pair == 1 && strncmp(line, "??", 2))
				out[idx].file_line = strdup(line);
			if (pair > 1) {
				free(out[idx].inlined_into);
				out[idx].inlined_into = strdup(func);
			}
		}
		pair++;
	}
	free(func);
	free(line);
	fclose(r);
	waitpid(pid, NULL, 0);
	return out;
}
