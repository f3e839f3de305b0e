/*
 * symname.c - "function+offset" for an address of a registered object, so
 * a stale-site report names the site as the user knows it.
 *
 * Static functions are in the file's .symtab only (not in .dynsym, so not
 * known to dladdr): read the object's file, read-only, when a report is
 * due; reports are rare, so no cache. A stripped file, or a sandbox that
 * forbids open(), falls back to dladdr with an exact size check (dladdr
 * alone names the nearest exported symbol, which may be another function).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static int inside(uintptr_t v, const ElfW(Sym) *sym)
{
	return v >= sym->st_value &&
	       (v < sym->st_value + sym->st_size ||
		(sym->st_size == 0 && v == sym->st_value));
}

/* The symbol of the file's symbol table of this type (STT_FUNC,
 * STT_OBJECT) holding file address v. */
static int from_file(const char *path, uintptr_t v, int type, char *buf,
		     size_t n)
{
	int found = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
		close(fd);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return 0;
	const ElfW(Ehdr) *eh = (const void *)f;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(ElfW(Shdr)) < eh->e_shnum)
		goto out;
	const ElfW(Shdr) *sh = (const void *)(f + eh->e_shoff);
	/* .symtab first (it has the static functions), else .dynsym */
	for (int pass = 0; pass < 2 && !found; pass++)
		for (int i = 0; i < eh->e_shnum && !found; i++) {
			const ElfW(Shdr) *s = &sh[i];
			if (s->sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB) ||
			    s->sh_link >= eh->e_shnum || s->sh_offset > size ||
			    s->sh_size > size - s->sh_offset)
				continue;
			const ElfW(Shdr) *str = &sh[s->sh_link];
			if (str->sh_offset > size || str->sh_size > size - str->sh_offset)
				continue;
			const ElfW(Sym) *sym = (const void *)(f + s->sh_offset);
			const char *names = (const char *)f + str->sh_offset;
			for (size_t j = 0; j < s->sh_size / sizeof *sym; j++) {
				if (ELF64_ST_TYPE(sym[j].st_info) != type ||
				    !inside(v, &sym[j]) ||
				    sym[j].st_name >= str->sh_size)
					continue;
				snprintf(buf, n, "%.*s+0x%lx",
					 (int)strnlen(names + sym[j].st_name,
						      str->sh_size - sym[j].st_name),
					 names + sym[j].st_name,
					 (unsigned long)(v - sym[j].st_value));
				found = 1;
				break;
			}
		}
out:
	munmap((void *)f, size);
	return found;
}

int sc_symbolize(const struct sc_object *o, const void *addr, char *buf,
		 size_t n)
{
	int type = STT_FUNC;
	uintptr_t v = (uintptr_t)addr - o->base;
	if (!sc_object_exec_prot(o, addr, 1))
		type = STT_OBJECT;
	if (o->name && from_file(o->name, v, type, buf, n))
		return 1;
	Dl_info di;
	const ElfW(Sym) *sym = NULL;
	if (dladdr1(addr, &di, (void **)&sym, RTLD_DL_SYMENT) && sym &&
	    di.dli_sname && inside(v, sym)) {
		snprintf(buf, n, "%s+0x%lx", di.dli_sname,
			 (unsigned long)(v - sym->st_value));
		return 1;
	}
	return 0;
}
