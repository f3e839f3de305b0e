/*
 * key_check.c - a key descriptor must name a key variable.
 *
 * The registry reads every key a table names (registration patches each
 * key to its value; verify, resync and store_range read it again). A
 * descriptor naming an unmapped address, from a corrupt or hostile table,
 * crashed dlopen. A key is an aligned pointer in writable data: a writable
 * segment of the registering object, or of another loaded object (a key
 * defined in a library and used here), outside that object's RELRO span
 * (read-only after relocation). Anything else is refused: the descriptor's
 * trampoline and sites stay as compiled, with the reason.
 *
 * Loaded objects are found with dl_iterate_phdr, as object.c finds the
 * registering one: it takes the dynamic linker's object-list lock, never
 * held while constructors run inside dlopen, and the registry's lock is
 * never taken under it.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <sys/mman.h>

#include "internal.h"

struct key_find {
	uintptr_t addr;
	struct sc_key_checker *kc;
	const char *why; /* NULL: found, writable */
	int found;
};

static const char *kind_of(ElfW(Word) flags)
{
	if (!(flags & PF_W))
		return (flags & PF_X) ? "key descriptor names code" :
					"key descriptor names read-only memory";
	return NULL;
}

static int key_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct key_find *kf = data;
	const ElfW(Phdr) *load = NULL;
	uintptr_t relro_lo = 0, relro_hi = 0;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && kf->addr >= lo &&
		    kf->addr + sizeof(void *) <= lo + ph->p_memsz)
			load = ph;
		if (ph->p_type == PT_GNU_RELRO) {
			relro_lo = lo;
			relro_hi = lo + ph->p_memsz;
		}
	}
	if (!load)
		return 0;
	kf->found = 1;
	kf->why = kind_of(load->p_flags);
	if (!kf->why && kf->addr < relro_hi &&
	    kf->addr + sizeof(void *) > relro_lo)
		kf->why = "key descriptor names memory read-only after "
			  "relocation (RELRO)";
	if (!kf->why) {
		/* the next key is usually in the same segment */
		uintptr_t lo = info->dlpi_addr + load->p_vaddr;
		kf->kc->lo = lo;
		kf->kc->hi = lo + load->p_memsz;
		kf->kc->relro_lo = relro_lo;
		kf->kc->relro_hi = relro_hi;
	}
	return 1;
}

const char *sc_key_check(const struct sc_object *o, const void *var,
			 struct sc_key_checker *kc)
{
	uintptr_t a = (uintptr_t)var;
	if (!var)
		return "key descriptor names NULL";
	if (a & (sizeof(void *) - 1))
		return "key descriptor names a misaligned address";
	if (a + sizeof(void *) < a)
		return "key descriptor names no variable";
	if (a >= kc->lo && a + sizeof(void *) <= kc->hi &&
	    (a >= kc->relro_hi || a + sizeof(void *) <= kc->relro_lo))
		return NULL;
	/* The registering object as the caller described it (the fuzzer
	 * describes heap buffers no loaded object holds). */
	for (int i = 0; i < o->nsegs; i++)
		if (a >= o->segs[i].lo && a + sizeof(void *) <= o->segs[i].hi &&
		    !(o->segs[i].prot & PROT_WRITE))
			return (o->segs[i].prot & PROT_EXEC) ?
				       "key descriptor names code" :
				       "key descriptor names read-only memory";
	struct key_find kf = { a, kc, NULL, 0 };
	dl_iterate_phdr(key_cb, &kf);
	if (!kf.found)
		return "key descriptor names an address in no loaded object "
		       "(unmapped?)";
	return kf.why;
}
