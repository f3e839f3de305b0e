/*
 * staticcall-inspect - show the static-call sites of an ELF file or of a
 * running process.
 *
 *   staticcall-inspect [--json] [--no-source] FILE...
 *       keys, their sites (function+offset, file:line with debug info) and
 *       the form each site was compiled to (call, tail jump, jcc; anchored
 *       sites decoded forward as the runtime does).
 *   staticcall-inspect [--json] [--no-source] --pid PID
 *       every loaded object of PID with a site table: each site's live form
 *       (direct to which function, via its trampoline and why, unverified).
 *       Promotable indirect calls too (inspect_promote.c): state, targets,
 *       hit counts.
 *
 * Reads the tables docs/ABI.md describes, straight from the ELF64 file
 * (<elf.h>, no libelf); live bytes come from /proc/PID/mem (needs the same
 * rights as a debugger attaching to PID). Source lines come from
 * `addr2line`, when the file has debug info and addr2line is installed.
 * This file: the options and main; inspect.h lists the others.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"

int opt_json, opt_source = 1;

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "staticcall-inspect: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		die("out of memory");
	return p;
}

static int inspect_files(char **files, int n)
{
	int rc = 0, first = 1;
	if (opt_json)
		printf("{\"files\": [");
	for (int i = 0; i < n; i++) {
		struct elf *e = elf_open(files[i]);
		if (e->error) {
			fprintf(stderr, "staticcall-inspect: %s: %s\n",
				files[i], e->error);
			rc = 1;
			continue;
		}
		struct table t = { .e = e };
		read_tables(&t);
		read_static_keys(&t);
		read_promote_sites(&t);
		print_table(&t, 0, first);
		first = 0;
	}
	if (opt_json)
		printf("\n]}\n");
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: staticcall-inspect [--json] [--no-source] FILE...\n"
		"       staticcall-inspect [--json] [--no-source] --pid PID\n"
		"\n"
		"FILE: the keys of an ELF executable or shared object, their call sites\n"
		"(function+offset, file:line when it has debug info) and the form each\n"
		"site was compiled to: call, tail-jump or jcc (anchor: a Clang site,\n"
		"found by decoding forward from its anchor as the runtime does).\n"
		"\n"
		"--pid PID: every loaded object of the process with a site table, each\n"
		"site's live state: direct (to which function), trampoline (and why),\n"
		"unverified. Needs the rights to ptrace PID.\n"
		"\n"
		"Promotable indirect calls (gcc_promote_cflags): each site, and with\n"
		"--pid its live state (learning, thunk, off, sealed, megamorphic, far,\n"
		"no-room, unwritable, rejected, promoted), its stub's targets, hits,\n"
		"misses and hit rate (docs/GUIDE.md).\n"
		"\n"
		"--json: one JSON document on stdout instead of the table.\n"
		"--no-source: do not run addr2line for file:line.\n"
		"\n"
		"The runtime itself reports on stderr: STATICCALL_LOG=error|warn|info|debug\n"
		"(info: one line per update and per refused site). STATICCALL_DISABLE=1\n"
		"keeps every call on the slow path; STATICCALL_SITES=trampoline keeps\n"
		"sites on their trampolines. See docs/GUIDE.md.\n");
}

int main(int argc, char **argv)
{
	long pid = -1;
	char **files = xcalloc(argc, sizeof *files);
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "--no-source")) {
			opt_source = 0;
		} else if (!strcmp(argv[i], "--pid") ||
			   !strncmp(argv[i], "--pid=", 6)) {
			const char *v =
				argv[i][5] == '=' ?
					argv[i] + 6 :
					(i + 1 < argc ? argv[++i] : NULL);
			char *end;
			pid = v ? strtol(v, &end, 10) : -1;
			if (!v || *end || pid <= 0) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"staticcall-inspect: unknown option %s\n",
				argv[i]);
			usage(stderr);
			return 2;
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if ((pid > 0) == (nfiles > 0)) {
		usage(stderr);
		return 2;
	}
	return pid > 0 ? inspect_pid((pid_t)pid) : inspect_files(files, nfiles);
}
