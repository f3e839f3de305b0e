/*
 * lines.c - each site's source file and line, for reports only.
 *
 * The plugins record where each site came from in an optional table
 * (SC_ABI_LINES_SECTION, docs/ABI.md), found through the object header
 * when SC_ABI_OBJ_LINES is set. It is checked like the other tables (inside
 * the object, aligned, read-only) but nothing but a message ever depends on
 * it: a bad table is ignored with a warning, a record or file name that
 * does not check out leaves its site named by address alone.
 */
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* The longest file name shown; longer ones are cut. */
#define SC_LINE_FILE_MAX 512

/* The read-only segment of o holding [p, p+len), or NULL. */
static const struct sc_segment *readonly_segment(const struct sc_object *o,
						 uintptr_t p, size_t len)
{
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *s = &o->segs[i];
		if (p >= s->lo && p + len >= p && p + len <= s->hi)
			return (s->prot & PROT_WRITE) ||
					       !(s->prot & PROT_READ) ?
				       NULL :
				       s;
	}
	return NULL;
}

void sc_lines_load(struct sc_object *o)
{
	const struct sc_abi_object *a = o->abi;
	o->lines = NULL;
	o->nlines = 0;
	if (!(a->reserved & SC_ABI_OBJ_LINES))
		return;
	const char *b = (const char *)a->lines_begin,
		   *e = (const char *)a->lines_end;
	const char *why = NULL;
	if (e < b)
		why = "inverted table bounds";
	else if (((uintptr_t)b & 3) ||
		 (size_t)(e - b) % sizeof(struct sc_abi_line))
		why = "misaligned table";
	else if (e > b && !readonly_segment(o, (uintptr_t)b, (size_t)(e - b)))
		why = "not in a read-only segment of its object";
	if (why) {
		sc_log(SC_LOG_WARN,
		       "%s: source lines table: %s: ignored "
		       "(sites are reported by address)",
		       o->name, why);
		return;
	}
	o->lines = a->lines_begin;
	o->nlines = (size_t)(e - b) / sizeof(struct sc_abi_line);
}

int sc_site_line(const struct sc_site *s, char *file, size_t n, unsigned *line)
{
	const struct sc_object *o = s->object;
	if (!n)
		return 0;
	for (size_t i = 0; i < o->nlines; i++) {
		const struct sc_abi_line *r = &o->lines[i];
		if ((const uint8_t *)&r->site_rel + r->site_rel !=
			    s->record_addr ||
		    !r->line)
			continue;
		/* The name: NUL-terminated inside one read-only segment. */
		uintptr_t p = (uintptr_t)&r->file_rel + r->file_rel;
		const struct sc_segment *seg = readonly_segment(o, p, 1);
		if (!seg)
			return 0;
		size_t max = seg->hi - p, len = 0;
		const char *name = (const char *)p;
		if (max > SC_LINE_FILE_MAX)
			max = SC_LINE_FILE_MAX;
		while (len < max && name[len])
			len++;
		if (len == max || !len)
			return 0;
		/* Only printable bytes reach the log. */
		size_t k = 0;
		for (; k < len && k + 1 < n; k++)
			file[k] = name[k] >= 0x20 && name[k] < 0x7f ? name[k] :
								      '?';
		file[k] = 0;
		*line = r->line;
		return 1;
	}
	return 0;
}
