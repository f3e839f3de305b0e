/*
 * symname.c - "function+offset" and "variable" for addresses of the
 * process, so reports, the log and STATICCALL_REPORT name sites, keys and
 * targets as the user (and the inspector) knows them.
 *
 * Static functions are in the file's .symtab only (not in .dynsym, so not
 * known to dladdr): the object's file is read, read-only, with the
 * inspector's reader (elf_symbols.c), when a name is due; a namer keeps
 * the last file it read for the next address. A stripped file, or a
 * sandbox that forbids open(), falls back to dladdr with an exact size
 * check (dladdr alone names the nearest exported symbol, which may be
 * another function).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "elf_symbols.h"
#include "internal.h"

static int inside(uintptr_t v, const ElfW(Sym) *sym)
{
	return v >= sym->st_value &&
	       (v < sym->st_value + sym->st_size ||
		(sym->st_size == 0 && v == sym->st_value));
}

/* The file and load bias of the object holding addr: a registered
 * object's (under the lock), else the dynamic linker's. */
static const char *object_of(const void *addr, uintptr_t *bias)
{
	for (const struct sc_object *o = sc_registered_objects(); o;
	     o = o->next)
		for (int j = 0; j < o->nsegs; j++)
			if ((uintptr_t)addr >= o->segs[j].lo &&
			    (uintptr_t)addr < o->segs[j].hi) {
				*bias = o->base;
				return o->name;
			}
	Dl_info di;
	struct link_map *lm = NULL;
	if (!dladdr1(addr, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return NULL;
	*bias = lm->l_addr;
	return lm->l_name && lm->l_name[0] ? lm->l_name : "/proc/self/exe";
}

static int load(struct sc_namer *nm, const char *path)
{
	if (nm->path[0] && !strcmp(nm->path, path))
		return nm->syms.n != 0;
	sc_elf_symbols_close(&nm->syms);
	snprintf(nm->path, sizeof nm->path, "%s", path);
	sc_elf_symbols_open(&nm->syms, path); /* a failure: no symbols */
	return nm->syms.n != 0;
}

void sc_namer_done(struct sc_namer *nm)
{
	sc_elf_symbols_close(&nm->syms);
	nm->path[0] = 0;
}

/* The symbol of file (bias: its load bias) holding addr. */
static int from_file(struct sc_namer *nm, const char *file, uintptr_t bias,
		     const void *addr, int functions, char *buf, size_t n)
{
	uint64_t v = (uintptr_t)addr - bias;
	if (!file || !load(nm, file))
		return 0;
	const struct sc_elf_sym *s =
		sc_elf_symbol_at(&nm->syms, v, functions, 0);
	if (!s)
		return 0;
	snprintf(buf, n, "%s+0x%lx", s->name, (unsigned long)(v - s->addr));
	return 1;
}

static int from_dladdr(const void *addr, char *buf, size_t n)
{
	Dl_info di;
	const ElfW(Sym) *sym = NULL;
	if (dladdr1(addr, &di, (void **)&sym, RTLD_DL_SYMENT) && sym &&
	    di.dli_sname &&
	    inside((uintptr_t)addr - (uintptr_t)di.dli_fbase, sym)) {
		snprintf(buf, n, "%s+0x%lx", di.dli_sname,
			 (unsigned long)((uintptr_t)addr -
					 (uintptr_t)di.dli_fbase -
					 sym->st_value));
		return 1;
	}
	return 0;
}

int sc_symbolize(const struct sc_object *o, const void *addr, char *buf,
		 size_t n)
{
	struct sc_namer nm = { 0 };
	int found = from_file(&nm, o->name, o->base, addr,
			      sc_object_exec_prot(o, addr, 1) != 0, buf, n);
	sc_namer_done(&nm);
	return found || from_dladdr(addr, buf, n);
}

const char *sc_namer_name(struct sc_namer *nm, const void *addr, char *buf,
			  size_t n)
{
	uintptr_t bias = 0;
	const char *file;
	if (!addr) {
		snprintf(buf, n, "NULL");
		return buf;
	}
	if (addr == (void *)__staticcall_ret0) {
		snprintf(buf, n, "return-zero");
		return buf;
	}
	if (sc_inline_name(addr, buf, n)) /* a generated function */
		return buf;
	file = object_of(addr, &bias);
	if (!from_file(nm, file, bias, addr, 1, buf, n) &&
	    !from_file(nm, file, bias, addr, 0, buf, n) &&
	    !from_dladdr(addr, buf, n)) {
		snprintf(buf, n, "%p", addr);
		return buf;
	}
	size_t l = strlen(buf); /* "wk+0x0": the whole variable, the function */
	if (l > 4 && !strcmp(buf + l - 4, "+0x0"))
		buf[l - 4] = 0;
	return buf;
}

int sc_namer_name_in(struct sc_namer *nm, const struct sc_object *o,
		     const void *addr, char *buf, size_t n)
{
	if (!from_file(nm, o->name, o->base, addr, 1, buf, n))
		return 0;
	size_t l = strlen(buf); /* "f+0x0": the function itself */
	if (l > 4 && !strcmp(buf + l - 4, "+0x0"))
		buf[l - 4] = 0;
	return 1;
}
