/*
 * dynsym.c - look a symbol up in one loaded object's own dynamic symbol
 * table, without dlopen/dlsym.
 *
 * Why not dlsym: getting a handle with dlopen(RTLD_NOLOAD) on an object
 * that is loaded but not yet initialised runs its constructors right there,
 * from inside whatever we were doing (fork-safety and registry choice run
 * in constructors themselves): a recursion into the runtime that deadlocks.
 * Reading the object's GNU or SysV hash table has no such side effect.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>

#include "internal.h"

/* glibc relocates the d_ptr entries of .dynamic in place for loaded
 * objects, but not for the vDSO: accept both. */
static uintptr_t dyn_ptr(const struct dl_phdr_info *info, ElfW(Addr) v)
{
	return v < info->dlpi_addr ? info->dlpi_addr + v : v;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;
	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

static const void *defined(const struct dl_phdr_info *info,
			   const ElfW(Sym) *sym, size_t *size)
{
	if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0 ||
	    ELF64_ST_TYPE(sym->st_info) == STT_TLS)
		return NULL;
	if (size)
		*size = sym->st_size;
	return (const void *)(info->dlpi_addr + sym->st_value);
}

const void *sc_dynsym_lookup(const struct dl_phdr_info *info, const char *name)
{
	return sc_dynsym_lookup_sized(info, name, NULL);
}

const void *sc_dynsym_lookup_sized(const struct dl_phdr_info *info,
				   const char *name, size_t *size)
{
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr +
						  info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *gnu = NULL, *sysv = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++)
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			symtab = (const void *)dyn_ptr(info, dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			strtab = (const void *)dyn_ptr(info, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			gnu = (const void *)dyn_ptr(info, dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			sysv = (const void *)dyn_ptr(info, dyn->d_un.d_ptr);
			break;
		}
	if (!symtab || !strtab)
		return NULL;

	if (gnu) {
		uint32_t nbuckets = gnu[0], symoffset = gnu[1],
			 bloom_size = gnu[2];
		const uint32_t *buckets =
			(const uint32_t *)((const ElfW(Addr) *)(gnu + 4) +
					   bloom_size);
		const uint32_t *chain = buckets + nbuckets;
		uint32_t h = gnu_hash(name);
		if (!nbuckets)
			return NULL;
		uint32_t i = buckets[h % nbuckets];
		if (i < symoffset)
			return NULL;
		for (;; i++) {
			uint32_t ch = chain[i - symoffset];
			if ((ch | 1) == (h | 1) &&
			    !strcmp(strtab + symtab[i].st_name, name))
				return defined(info, &symtab[i], size);
			if (ch & 1)
				return NULL;
		}
	}
	if (sysv) {
		uint32_t nbucket = sysv[0];
		const uint32_t *bucket = sysv + 2, *chain = bucket + nbucket;
		if (!nbucket)
			return NULL;
		for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i;
		     i = chain[i])
			if (!strcmp(strtab + symtab[i].st_name, name))
				return defined(info, &symtab[i], size);
	}
	return NULL;
}
