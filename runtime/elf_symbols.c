/*
 * elf_symbols.c - the symbols of an ELF64 file, read from a private
 * read-only mapping with <elf.h> alone (elf_symbols.h). Every offset and
 * size the file gives is checked against the file before it is read: the
 * runtime reads whatever file an object was loaded from.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_symbols.h"
#include "internal.h"

static int in_file(const struct sc_elf_symbols *t, uint64_t off, uint64_t len)
{
	return off <= t->size && len <= t->size - off;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sc_elf_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* prefer sized, global symbols first */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	if ((x->bind == STB_GLOBAL) != (y->bind == STB_GLOBAL))
		return x->bind == STB_GLOBAL ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* arm64's mapping symbols ($x code, $d data) name no function or
 * variable. */
static int mapping_symbol(const struct sc_elf_symbols *t, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)t->data;
	return eh->e_machine == EM_AARCH64 && name[0] == '$';
}

/* The named, defined functions and variables of one symbol table; with
 * `out` NULL, only counted. */
static size_t add_symbols(const struct sc_elf_symbols *t, const Elf64_Shdr *sh,
			  unsigned shnum, const Elf64_Shdr *tab,
			  struct sc_elf_sym *out)
{
	if (tab->sh_entsize != sizeof(Elf64_Sym) || tab->sh_link >= shnum ||
	    !in_file(t, tab->sh_offset, tab->sh_size))
		return 0;
	const Elf64_Shdr *strs = &sh[tab->sh_link];
	if (!in_file(t, strs->sh_offset, strs->sh_size) || !strs->sh_size ||
	    t->data[strs->sh_offset + strs->sh_size - 1] != 0)
		return 0; /* every name must end inside the table */
	const Elf64_Sym *s = (const void *)(t->data + tab->sh_offset);
	const char *str = (const char *)t->data + strs->sh_offset;
	size_t n = tab->sh_size / sizeof *s, k = 0;
	for (size_t i = 1; i < n; i++) {
		unsigned type = ELF64_ST_TYPE(s[i].st_info);
		if (s[i].st_shndx == SHN_UNDEF ||
		    s[i].st_name >= strs->sh_size || !str[s[i].st_name] ||
		    mapping_symbol(t, str + s[i].st_name) ||
		    (type != STT_FUNC && type != STT_OBJECT &&
		     type != STT_NOTYPE && type != STT_GNU_IFUNC))
			continue;
		if (out)
			out[k] = (struct sc_elf_sym){
				s[i].st_value, s[i].st_size, str + s[i].st_name,
				(unsigned char)type,
				(unsigned char)ELF64_ST_BIND(s[i].st_info)
			};
		k++;
	}
	return k;
}

static int read_symbols(struct sc_elf_symbols *t)
{
	const Elf64_Ehdr *eh = (const void *)t->data;
	if (t->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(t, eh->e_shoff,
		     (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
		return -ENOEXEC;
	const Elf64_Shdr *sh = (const void *)(t->data + eh->e_shoff);
	size_t total = 0;
	for (unsigned pass = 0; pass < 2; pass++)	  /* count, then fill */
		for (unsigned want = 0; want < 2; want++) /* .symtab first */
			for (unsigned i = 0; i < eh->e_shnum; i++) {
				if (sh[i].sh_type !=
				    (want ? SHT_DYNSYM : SHT_SYMTAB))
					continue;
				if (!pass) {
					total += add_symbols(t, sh, eh->e_shnum,
							     &sh[i], NULL);
					continue;
				}
				if (!t->syms) {
					t->syms = sc_mem_alloc((total + 1) *
							       sizeof *t->syms);
					if (!t->syms)
						return -ENOMEM;
				}
				t->n += add_symbols(t, sh, eh->e_shnum, &sh[i],
						    t->syms + t->n);
			}
	sc_sort(t->syms, t->n, sizeof *t->syms, sym_cmp);
	return 0;
}

int sc_elf_symbols_open(struct sc_elf_symbols *t, const char *path)
{
	memset(t, 0, sizeof *t);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return -ENOEXEC;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -ENOMEM;
	t->data = m;
	t->size = (size_t)st.st_size;
	t->mapped = 1;
	int err = read_symbols(t);
	if (err)
		sc_elf_symbols_close(t);
	return err;
}

int sc_elf_symbols_read(struct sc_elf_symbols *t, const uint8_t *data,
			size_t size)
{
	memset(t, 0, sizeof *t);
	t->data = data;
	t->size = size;
	int err = read_symbols(t);
	if (err)
		sc_elf_symbols_close(t);
	return err;
}

void sc_elf_symbols_close(struct sc_elf_symbols *t)
{
	if (t->mapped)
		munmap((void *)t->data, t->size);
	sc_mem_free(t->syms);
	memset(t, 0, sizeof *t);
}

const struct sc_elf_sym *sc_elf_symbol_at(const struct sc_elf_symbols *t,
					  uint64_t addr, int functions,
					  int exact)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) { /* the first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Below addr, downwards: a sized symbol holding addr wins; among
	 * unsized ones at addr, the first in sort order (global first:
	 * `hooks` rather than the linker's `_edata` at the same address). */
	const struct sc_elf_sym *best = NULL;
	for (size_t i = lo; i-- > 0;) {
		const struct sc_elf_sym *s = &t->syms[i];
		int func = s->type == STT_FUNC || s->type == STT_GNU_IFUNC;
		if ((exact || best) && s->addr != addr)
			break;
		if (functions ? !func : s->type == STT_FUNC)
			continue;
		if (s->size && addr < s->addr + s->size)
			return s;
		if (!s->size && s->addr == addr)
			best = s;
		if (addr - s->addr > (1u << 24)) /* no symbol is that large */
			break;
	}
	return best;
}
