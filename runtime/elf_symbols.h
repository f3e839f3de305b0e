/*
 * elf_symbols.h - the symbols of an ELF64 file, sorted by address: one
 * implementation for the runtime's names (symname.c: stale reports, the
 * log, STATICCALL_REPORT) and the inspector's (tools/inspect_elf.c), so
 * both name an address alike, static functions included (.symtab).
 */
#ifndef SC_ELF_SYMBOLS_H
#define SC_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct sc_elf_sym {
	uint64_t addr, size;
	const char *name; /* into the file's mapping */
	unsigned char type, bind;
};

struct sc_elf_symbols {
	const uint8_t *data; /* the file (NULL: none) */
	size_t size;
	int mapped;		 /* data is our mapping of it */
	struct sc_elf_sym *syms; /* .symtab then .dynsym, sorted by address */
	size_t n;
};

/* Map the file at path and read its symbols; 0 or -errno (then t holds
 * nothing and sc_elf_symbols_close is still right). A file without
 * symbol tables is 0 with t->n == 0. */
int sc_elf_symbols_open(struct sc_elf_symbols *t, const char *path);
/* The same from a file already in memory, left to its owner. */
int sc_elf_symbols_read(struct sc_elf_symbols *t, const uint8_t *data,
			size_t size);
void sc_elf_symbols_close(struct sc_elf_symbols *t);

/* The symbol holding file address addr: with `functions`, STT_FUNC and
 * STT_GNU_IFUNC only; without, anything but STT_FUNC (a variable); with
 * `exact`, only one starting at addr. NULL if none. */
const struct sc_elf_sym *sc_elf_symbol_at(const struct sc_elf_symbols *t,
					  uint64_t addr, int functions,
					  int exact);

#endif
