/*
 * An ELF64 file read straight from a private mapping (<elf.h>, no libelf):
 * its headers, sections, symbols (sorted by address: the runtime's
 * elf_symbols.c), dynamic relocations
 * and the bytes at a virtual address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"
#include "staticcall_abi.h"

/* Linked where the host can build the x86 arch code (x86-64 hosts:
 * runtime/meson.build); elsewhere NULL. */
#pragma weak sc_x86_ops

static const Elf64_Shdr *section(const struct elf *e, const char *name)
{
	for (int i = 0; i < e->eh->e_shnum; i++)
		if (e->sh[i].sh_name < e->sh[e->eh->e_shstrndx].sh_size &&
		    !strcmp(e->shstr + e->sh[i].sh_name, name))
			return &e->sh[i];
	return NULL;
}

static int in_file(const struct elf *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

struct elf *elf_open(const char *path)
{
	struct elf *e = xcalloc(1, sizeof *e);
	e->path = strdup(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (asprintf(&e->error, "cannot open: %s", strerror(errno)) < 0)
			die("out of memory");
		if (fd >= 0)
			close(fd);
		return e;
	}
	e->size = st.st_size;
	void *m = e->size ? mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0) :
			    MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED) {
		e->error = strdup("cannot map the file");
		return e;
	}
	e->data = m;
	e->eh = m;
	if (e->size < sizeof(Elf64_Ehdr) ||
	    memcmp(e->eh->e_ident, ELFMAG, SELFMAG) ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		e->error = strdup("not a 64-bit little-endian ELF file");
		return e;
	}
	if (e->eh->e_machine == EM_X86_64) {
		if (!&sc_x86_ops) {
			e->error = strdup("an x86-64 file: this build of the "
					  "inspector reads arm64 files only");
			return e;
		}
		e->arch = &sc_x86_ops;
		e->arch_name = "x86-64";
	} else if (e->eh->e_machine == EM_AARCH64) {
		e->arch = &sc_a64_ops;
		e->arch_name = "arm64";
	} else {
		e->error = strdup("neither an x86-64 nor an arm64 ELF file");
		return e;
	}
	if (e->eh->e_type != ET_EXEC && e->eh->e_type != ET_DYN) {
		e->error = strdup("neither an executable nor a shared object");
		return e;
	}
	if (e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(e, e->eh->e_shoff,
		     (uint64_t)e->eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    e->eh->e_shstrndx >= e->eh->e_shnum ||
	    e->eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(e, e->eh->e_phoff,
		     (uint64_t)e->eh->e_phnum * sizeof(Elf64_Phdr))) {
		e->error = strdup("malformed ELF headers");
		return e;
	}
	e->sh = (const void *)(e->data + e->eh->e_shoff);
	e->ph = (const void *)(e->data + e->eh->e_phoff);
	const Elf64_Shdr *ss = &e->sh[e->eh->e_shstrndx];
	if (!in_file(e, ss->sh_offset, ss->sh_size)) {
		e->error = strdup("malformed section names");
		return e;
	}
	e->shstr = (const char *)e->data + ss->sh_offset;
	e->sites = section(e, SC_ABI_SITES_SECTION);
	e->keys = section(e, SC_ABI_KEYS_SECTION);
	e->jumps = section(e, SC_ABI_JUMP_SECTION);
	e->promote = section(e, SC_ABI_PROMOTE_SECTION);
	e->has_debug = section(e, ".debug_info") != NULL ||
		       section(e, ".debug_line") != NULL;
	/* the runtime's reader: the inspector names what the runtime does */
	if (sc_elf_symbols_read(&e->symbols, e->data, e->size) == -ENOMEM)
		die("out of memory");
	return e;
}

/* The PT_LOAD segment holding vaddr (NULL if none). */
const Elf64_Phdr *segment_of(const struct elf *e, uint64_t va)
{
	for (int i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type == PT_LOAD && va >= p->p_vaddr &&
		    va < p->p_vaddr + p->p_memsz)
			return p;
	}
	return NULL;
}

/* Bytes of the file at vaddr; *avail says how many exist. NULL if none. */
const uint8_t *elf_bytes_at(const struct elf *e, uint64_t va, size_t *avail)
{
	const Elf64_Phdr *p = segment_of(e, va);
	if (!p || va >= p->p_vaddr + p->p_filesz ||
	    !in_file(e, p->p_offset, p->p_filesz))
		return NULL;
	if (avail)
		*avail = p->p_vaddr + p->p_filesz - va;
	return e->data + p->p_offset + (va - p->p_vaddr);
}

/* The symbol containing addr (or exactly at it if exact). */
const struct sc_elf_sym *sym_at(const struct elf *e, uint64_t addr,
				int functions, int exact)
{
	return sc_elf_symbol_at(&e->symbols, addr, functions, exact);
}

/* Dynamic relocation at vaddr: its type, symbol name (or NULL), addend. */
int reloc_at(const struct elf *e, uint64_t va, const char **name,
	     int64_t *addend, uint64_t *symval)
{
	for (int i = 0; i < e->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_RELA || !(s->sh_flags & SHF_ALLOC) ||
		    s->sh_entsize != sizeof(Elf64_Rela) ||
		    !in_file(e, s->sh_offset, s->sh_size))
			continue;
		const Elf64_Rela *r = (const void *)(e->data + s->sh_offset);
		for (size_t j = 0; j < s->sh_size / sizeof *r; j++) {
			if (r[j].r_offset != va)
				continue;
			*name = NULL;
			*symval = 0;
			*addend = r[j].r_addend;
			uint32_t si = ELF64_R_SYM(r[j].r_info);
			if (si && s->sh_link < e->eh->e_shnum) {
				const Elf64_Shdr *st = &e->sh[s->sh_link];
				const Elf64_Shdr *str =
					st->sh_link < e->eh->e_shnum ?
						&e->sh[st->sh_link] :
						NULL;
				if (str &&
				    in_file(e, st->sh_offset, st->sh_size) &&
				    (si + 1) * sizeof(Elf64_Sym) <=
					    st->sh_size &&
				    in_file(e, str->sh_offset, str->sh_size)) {
					const Elf64_Sym *sym =
						(const Elf64_Sym
							 *)(e->data +
							    st->sh_offset) +
						si;
					if (sym->st_name < str->sh_size)
						*name = (const char *)e->data +
							str->sh_offset +
							sym->st_name;
					*symval = sym->st_shndx != SHN_UNDEF ?
							  sym->st_value :
							  0;
				}
			}
			return (int)ELF64_R_TYPE(r[j].r_info);
		}
	}
	return -1;
}

enum reloc_kind reloc_kind(const struct elf *e, int type)
{
	if (e->eh->e_machine == EM_AARCH64)
		return type == R_AARCH64_ABS64 || type == R_AARCH64_GLOB_DAT ?
			       RELOC_SYMBOL :
		       type == R_AARCH64_RELATIVE ? RELOC_RELATIVE :
						    RELOC_OTHER;
	return type == R_X86_64_64 || type == R_X86_64_GLOB_DAT ? RELOC_SYMBOL :
	       type == R_X86_64_RELATIVE ? RELOC_RELATIVE :
					   RELOC_OTHER;
}
