/*
 * xmlsites.c - LD_PRELOAD reporter: when the program it is preloaded into
 * (xmllint) calls xmlCleanupParser() (or at exit), lists every registered
 * site of libxml2's five allocator hooks with static_call_sites() and
 * prints, per object and hook, how many are direct and how many via the
 * trampoline and why; plus the text made private (copy-on-write) in each
 * object that holds sites (smaps Anonymous kB of its executable mapping).
 * Output goes to $XMLSITES_OUT (appended) or stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <staticcall.h>

struct row {
	const char *object, *hook, *form, *reason;
	long n, far;
};
static struct row rows[256];
static int nrows;

static void add(const char *object, const char *hook, const char *form,
		const char *reason, int far)
{
	char real[4096];
	if (object && realpath(object, real))
		object = real;
	const char *base = strrchr(object ? object : "?", '/');
	base = base ? base + 1 : (object ? object : "?");
	for (int i = 0; i < nrows; i++)
		if (!strcmp(rows[i].object, base) &&
		    !strcmp(rows[i].hook, hook) &&
		    !strcmp(rows[i].form, form) &&
		    !strcmp(rows[i].reason, reason ? reason : "-")) {
			rows[i].n++;
			rows[i].far += far;
			return;
		}
	if (nrows < 256)
		rows[nrows++] =
			(struct row){ strdup(base),	     hook, form,
				      reason ? reason : "-", 1,	   far };
}

static long anon_kb(const char *object, long *size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4352];
	int in = 0;
	long kb = 0, v;
	*size = 0;
	while (f && fgets(line, sizeof line, f)) {
		char perms[8], name[4096] = "";
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &lo, &hi,
			   perms, name) >= 3) {
			const char *b = strrchr(name, '/');
			in = perms[2] == 'x' && b && !strcmp(b + 1, object);
			continue;
		}
		if (in && sscanf(line, "Size: %ld kB", &v) == 1)
			*size += v;
		if (in && sscanf(line, "Anonymous: %ld kB", &v) == 1)
			kb += v;
	}
	if (f)
		fclose(f);
	return kb;
}

static void report(void)
{
	static struct static_call_site_info si[8192];
	struct {
		const char *name;
		const void *key;
		void *target;
	} hooks[] = {
		{ "xmlFree", &xmlFree, (void *)xmlFree },
		{ "xmlMalloc", &xmlMalloc, (void *)xmlMalloc },
		{ "xmlMallocAtomic", &xmlMallocAtomic,
		  (void *)xmlMallocAtomic },
		{ "xmlRealloc", &xmlRealloc, (void *)xmlRealloc },
		{ "xmlMemStrdup", &xmlMemStrdup, (void *)xmlMemStrdup },
	};
	for (size_t h = 0; h < sizeof hooks / sizeof hooks[0]; h++) {
		int n = __staticcall_list_sites(hooks[h].key, si, 8192);
		for (int i = 0; i < n && i < 8192; i++) {
			long d = (const char *)hooks[h].target -
				 (const char *)si[i].address;
			add(si[i].object, hooks[h].name,
			    static_call_form_name(si[i].form), si[i].reason,
			    d > INT32_MAX || d < INT32_MIN);
		}
	}
	const char *path = getenv("XMLSITES_OUT");
	FILE *out = path ? fopen(path, "a") : NULL;
	if (!out)
		out = stderr;
	fprintf(out, "object,hook,form,reason,sites,target_beyond_rel32\n");
	for (int i = 0; i < nrows; i++)
		fprintf(out, "%s,%s,%s,\"%s\",%ld,%ld\n", rows[i].object,
			rows[i].hook, rows[i].form, rows[i].reason, rows[i].n,
			rows[i].far);
	for (int i = 0; i < nrows; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= !strcmp(rows[j].object, rows[i].object);
		if (seen)
			continue;
		long size, kb = anon_kb(rows[i].object, &size);
		fprintf(out, "private_text,%s,%ld,%ld\n", rows[i].object, kb,
			size);
	}
	if (out != stderr)
		fclose(out);
}

/* xmllint ends main with xmlCleanupParser(): report there, while every
 * object is still registered (the executable's own sites are gone by the
 * time atexit handlers run), then call libxml2's. */
static int reported;
void xmlCleanupParser(void)
{
	if (!reported++)
		report();
	void (*real)(void) =
		(void (*)(void))dlsym(RTLD_NEXT, "xmlCleanupParser");
	if (real)
		real();
}

static void at_exit(void)
{
	if (!reported++)
		report();
}

__attribute__((constructor)) static void init(void)
{
	atexit(at_exit);
}
