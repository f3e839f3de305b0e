/*
 * livecode.c - check the live code of a staticcall program with Zydis.
 *
 * Only active when built with a staticcall plugin (__STATICCALL_PLUGIN__);
 * otherwise every entry point is a silent no-op (and Zydis is not needed).
 *
 * sc_check_live() walks every loaded object (dl_iterate_phdr) that holds a
 * `__staticcall_tramp.*` symbol or that is not a system library, reads its
 * ELF symbol table from the file (.symtab, else .dynsym), decodes the bytes
 * of every FUNC symbol as they are in memory now and checks:
 *
 *  (a) every relative call/jmp/jcc whose target is a trampoline is a site
 *      the runtime reports (static_call_sites) for a registered key, and is
 *      a 5-byte E8/E9 (a jcc or a short jump to a trampoline can never be
 *      patched);
 *  (b) every reported site of a registered key decodes live as what its
 *      form says: DIRECT / TAIL_JUMP is call / jmp rel32 to exactly
 *      static_call_query(key) (and `reaches` says the same); TRAMPOLINE is
 *      call / jmp rel32 to its trampoline; NOP is a 5-byte NOP and only with
 *      a NULL target. A site whose non-NULL target is within rel32 range
 *      (|target - (site + 5)| < 2^31) must be DIRECT / TAIL_JUMP; an
 *      UNVERIFIED site is a failure; the instruction must lie inside one
 *      aligned quadword (ABI.md); a key registered with sc_live_key must
 *      have at least one site; a trampoline slot is either the slow path
 *      (EB 06 CC..) or E9 rel32 to exactly the current target;
 *  (c) no call/jmp through a memory operand at a key's address remains, nor
 *      (a simple register tracking along straight-line code, forgotten at
 *      calls and at branch targets) a call/jmp through a register that was
 *      loaded from a key (`mov k(%rip),%rax; call *%rax`, or through the
 *      GOT: `mov k@GOTPCREL(%rip),%rax; call *(%rax)`). A value copied out
 *      of a key and called later (through the stack, across a call or a
 *      join) is a legitimate indirect call and is not flagged.
 *
 * Each failure is one line on stderr starting with "livecode:".
 */
#define _GNU_SOURCE
#include "livecode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_MAX_KEYS 64

static struct {
	const void *key;
	const char *name;
	int flags;
} sc_keys[SC_MAX_KEYS];
static int sc_nkeys;
static int sc_failures;

static void add_key(const void *key, const char *name, int flags)
{
	for (int i = 0; i < sc_nkeys; i++)
		if (sc_keys[i].key == key)
			return;
	if (sc_nkeys == SC_MAX_KEYS) {
		fprintf(stderr, "livecode: too many keys\n");
		abort();
	}
	sc_keys[sc_nkeys].key = key;
	sc_keys[sc_nkeys].name = name;
	sc_keys[sc_nkeys].flags = flags;
	sc_nkeys++;
}

void sc_live_key(const void *key, const char *name)
{
	add_key(key, name, 0);
}

void sc_live_key_nosites(const void *key, const char *name)
{
	add_key(key, name, SC_LIVE_NOSITES);
}

void sc_live_key_flags(const void *key, const char *name, int flags)
{
	add_key(key, name, flags);
}

void sc_live_unkey(const void *key)
{
	for (int i = 0; i < sc_nkeys; i++)
		if (sc_keys[i].key == key) {
			sc_keys[i] = sc_keys[--sc_nkeys];
			return;
		}
}

int sc_live_failures(void)
{
	return sc_failures;
}

void sc_live_fail(const char *file, int line, const char *what)
{
	sc_failures++;
	fprintf(stderr, "livecode: FAIL %s:%d: %s\n", file, line, what);
}

int sc_live_exit(void)
{
	fflush(stdout);
	if (sc_failures) {
		fprintf(stderr, "livecode: %d failure(s)\n", sc_failures);
		return 1;
	}
	return 0;
}

int sc_live_after_update(int rc, const char *key, const char *fn,
			 const char *file, int line)
{
	if (rc != 0) {
		char buf[256];
		snprintf(buf, sizeof buf, "static_call_update(%s, %s) = %d",
			 key, fn, rc);
		sc_live_fail(file, line, buf);
	}
	if (sc_check_live() != 0) {
		char buf[256];
		snprintf(buf, sizeof buf,
			 "live code after static_call_update(%s, %s)", key,
			 fn);
		sc_live_fail(file, line, buf);
	}
	return rc;
}

#ifndef __STATICCALL_PLUGIN__

int sc_check_live(void)
{
	return 0;
}

int sc_check_key(const void *key, const void *expected)
{
	(void)key;
	(void)expected;
	return 0;
}

#else /* __STATICCALL_PLUGIN__ */

#include <Zydis/Zydis.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRAMP_PREFIX "__staticcall_tramp."
#define TRAMP_COND_PREFIX "__staticcall_tramp_cond." /* NULL-safe variant */

enum rec_kind { REC_CALL, REC_JMP, REC_JCC, REC_NOP };

struct rec {
	uintptr_t addr;
	uintptr_t target; /* for relative branches */
	int len;
	int kind;
};

struct tramp {
	uintptr_t addr;
	char name[96];
};

struct func {
	uintptr_t addr;
	size_t size;
	const char *name;
};

static struct {
	struct rec *v;
	size_t n, cap;
} recs;
static struct {
	struct tramp *v;
	size_t n, cap;
} tramps;
static int check_failures;

#define FAIL(...)                                                             \
	do {                                                                  \
		check_failures++;                                             \
		fprintf(stderr, "livecode: " __VA_ARGS__);                    \
		fputc('\n', stderr);                                          \
	} while (0)

#define PUSH(arr, item)                                                       \
	do {                                                                  \
		if ((arr).n == (arr).cap) {                                   \
			(arr).cap = (arr).cap ? 2 * (arr).cap : 256;          \
			(arr).v = realloc((arr).v, (arr).cap * sizeof *(arr).v); \
			if (!(arr).v)                                         \
				abort();                                      \
		}                                                             \
		(arr).v[(arr).n++] = (item);                                  \
	} while (0)

/* The public macro, applied to the key through its address (so this file
 * does not depend on the runtime's entry-point name). */
static int key_sites(const void *key, struct static_call_site_info *buf,
		     size_t n)
{
	return static_call_sites(*(void *const *)key, buf, n);
}

static const void *current_target(const void *key)
{
	return __atomic_load_n((void *const *)key, __ATOMIC_ACQUIRE);
}

static const char *key_name(const void *key)
{
	for (int i = 0; i < sc_nkeys; i++)
		if (sc_keys[i].key == key)
			return sc_keys[i].name;
	return "?";
}

static const char *tramp_name(uintptr_t a)
{
	size_t lo = 0, hi = tramps.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (tramps.v[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < tramps.n && tramps.v[lo].addr == a)
		return tramps.v[lo].name;
	return NULL;
}

static const struct rec *find_rec(uintptr_t a)
{
	size_t lo = 0, hi = recs.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (recs.v[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < recs.n && recs.v[lo].addr == a)
		return &recs.v[lo];
	return NULL;
}

static int cmp_rec(const void *a, const void *b)
{
	uintptr_t x = ((const struct rec *)a)->addr,
		  y = ((const struct rec *)b)->addr;
	return (x > y) - (x < y);
}

static int cmp_tramp(const void *a, const void *b)
{
	uintptr_t x = ((const struct tramp *)a)->addr,
		  y = ((const struct tramp *)b)->addr;
	return (x > y) - (x < y);
}

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->addr != y->addr)
		return (x->addr > y->addr) - (x->addr < y->addr);
	return (x->size < y->size) - (x->size > y->size);
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

/* One loaded object, as dl_iterate_phdr describes it. */
struct object {
	const char *name; /* for diagnostics */
	const struct dl_phdr_info *info;
	void *map;
	size_t map_size;
	struct func *funcs;
	size_t nfuncs;
	int has_tramps;
};

static int in_segment(const struct object *o, uintptr_t a, size_t len,
		      int need_exec)
{
	const struct dl_phdr_info *info = o->info;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (need_exec && !(p->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + p->p_vaddr;
		if (a >= lo && a + len <= lo + p->p_memsz && a + len >= a)
			return 1;
	}
	return 0;
}

static int is_system_object(const char *path)
{
	static const char *const prefixes[] = {"/lib/", "/lib64/", "/usr/",
					       "linux-vdso", "linux-gate"};
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strncmp(base, "libstaticcall.", 14) == 0;
}

/* Read the FUNC symbols of the object's file. 0 on success. */
static int load_symbols(struct object *o, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
		close(fd);
		return -1;
	}
	void *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	o->map = map;
	o->map_size = st.st_size;
	const unsigned char *base = map;
	const ElfW(Ehdr) *eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff == 0 ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) >
		    o->map_size)
		return -1;
	const ElfW(Shdr) *sh = (const void *)(base + eh->e_shoff);
	const ElfW(Shdr) *symtab = NULL;
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			symtab = &sh[i];
	if (!symtab)
		for (int i = 0; i < eh->e_shnum; i++)
			if (sh[i].sh_type == SHT_DYNSYM)
				symtab = &sh[i];
	if (!symtab || symtab->sh_link >= eh->e_shnum ||
	    symtab->sh_offset + symtab->sh_size > o->map_size)
		return -1;
	const ElfW(Shdr) *strsh = &sh[symtab->sh_link];
	if (strsh->sh_offset + strsh->sh_size > o->map_size)
		return -1;
	const char *strtab = (const char *)base + strsh->sh_offset;
	const ElfW(Sym) *syms = (const void *)(base + symtab->sh_offset);
	size_t nsyms = symtab->sh_size / sizeof(ElfW(Sym));

	o->funcs = calloc(nsyms ? nsyms : 1, sizeof *o->funcs);
	if (!o->funcs)
		abort();
	uintptr_t bias = o->info->dlpi_addr;
	for (size_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *s = &syms[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_shndx == SHN_UNDEF || s->st_size == 0 ||
		    s->st_name >= strsh->sh_size)
			continue;
		const char *name = strtab + s->st_name;
		uintptr_t a = bias + s->st_value;
		if (!in_segment(o, a, s->st_size, 1))
			continue;
		if (strncmp(name, TRAMP_PREFIX, strlen(TRAMP_PREFIX)) == 0 ||
		    strncmp(name, TRAMP_COND_PREFIX, strlen(TRAMP_COND_PREFIX)) == 0) {
			struct tramp t = {.addr = a};
			snprintf(t.name, sizeof t.name, "%s", name);
			PUSH(tramps, t);
			o->has_tramps = 1;
			continue; /* its own code is checked through its slot */
		}
		o->funcs[o->nfuncs].addr = a;
		o->funcs[o->nfuncs].size = s->st_size;
		o->funcs[o->nfuncs].name = name;
		o->nfuncs++;
	}
	qsort(o->funcs, o->nfuncs, sizeof *o->funcs, cmp_func);
	return 0;
}

static int key_index(uintptr_t a)
{
	for (int i = 0; i < sc_nkeys; i++)
		if ((uintptr_t)sc_keys[i].key == a)
			return i;
	return -1;
}

/* Does the readable quadword at `a` (inside the object) hold a key's
 * address (a GOT slot of a key)? */
static int got_slot_key(const struct object *o, uintptr_t a)
{
	if (a & 7 || !in_segment(o, a, 8, 0))
		return -1;
	return key_index(*(const uintptr_t *)a);
}

static int gpr_index(ZydisRegister r)
{
	if (r == ZYDIS_REGISTER_NONE)
		return -1;
	ZydisRegister big = ZydisRegisterGetLargestEnclosing(
		ZYDIS_MACHINE_MODE_LONG_64, r);
	if (big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15)
		return big - ZYDIS_REGISTER_RAX;
	return -1;
}

enum { REG_NONE = 0, REG_KEY_ADDR = 1, REG_KEY_VALUE = 2 };

static void decode_func(const struct object *o, const struct func *f,
			const ZydisDecoder *dec)
{
	uintptr_t a = f->addr, end = f->addr + f->size;
	int state[16] = {0}, which[16] = {0};
	struct {
		uintptr_t *v;
		size_t n, cap;
	} joins = {0};

	/* Pass 1: branch targets inside the function are join points, where
	 * the register tracking below forgets what it knew. */
	while (a < end) {
		ZydisDecodedInstruction ins;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			    dec, (const void *)a, end - a, &ins, ops))) {
			a++;
			continue;
		}
		ZyanU64 t;
		if (ins.attributes & ZYDIS_ATTRIB_IS_RELATIVE &&
		    ins.operand_count_visible &&
		    ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&ins, &ops[0], a,
							  &t)) &&
		    t > f->addr && t < end)
			PUSH(joins, (uintptr_t)t);
		a += ins.length;
	}
	if (joins.n)
		qsort(joins.v, joins.n, sizeof *joins.v, cmp_uptr);

	a = f->addr;
	while (a < end) {
		ZydisDecodedInstruction ins;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			    dec, (const void *)a, end - a, &ins, ops))) {
			a++;
			memset(state, 0, sizeof state);
			continue;
		}
		if (joins.n && bsearch(&a, joins.v, joins.n, sizeof *joins.v,
				       cmp_uptr))
			memset(state, 0, sizeof state);
		int cat = ins.meta.category;
		int is_call = cat == ZYDIS_CATEGORY_CALL;
		int is_jmp = cat == ZYDIS_CATEGORY_UNCOND_BR;
		int is_jcc = cat == ZYDIS_CATEGORY_COND_BR;
		const ZydisDecodedOperand *op0 =
			ins.operand_count_visible ? &ops[0] : NULL;

		if ((is_call || is_jmp || is_jcc) && op0 &&
		    op0->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    op0->imm.is_relative) {
			ZyanU64 t;
			if (ZYAN_SUCCESS(
				    ZydisCalcAbsoluteAddress(&ins, op0, a, &t))) {
				struct rec r = {a, (uintptr_t)t, ins.length,
						is_call  ? REC_CALL
						: is_jmp ? REC_JMP
							 : REC_JCC};
				PUSH(recs, r);
			}
		} else if (ins.mnemonic == ZYDIS_MNEMONIC_NOP &&
			   ins.length == 5) {
			struct rec r = {a, 0, 5, REC_NOP};
			PUSH(recs, r);
		} else if ((is_call || is_jmp) && op0 &&
			   op0->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			/* (c) call/jmp *k(%rip), *k, or *(%reg) with reg = &k */
			int k = -1;
			ZyanU64 m;
			if ((op0->mem.base == ZYDIS_REGISTER_RIP ||
			     op0->mem.base == ZYDIS_REGISTER_NONE) &&
			    op0->mem.index == ZYDIS_REGISTER_NONE &&
			    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&ins, op0, a,
								  &m)))
				k = key_index((uintptr_t)m);
			int b = gpr_index(op0->mem.base);
			if (k < 0 && b >= 0 && state[b] == REG_KEY_ADDR &&
			    op0->mem.index == ZYDIS_REGISTER_NONE &&
			    op0->mem.disp.value == 0)
				k = which[b];
			/* a test that calls the key's value on purpose (a
			 * select of two keys, which stays indirect) says so */
			if (k >= 0 && !(sc_keys[k].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through key "
				     "'%s' remains",
				     o->name, f->name, (unsigned long)(a - f->addr),
				     (void *)a, is_call ? "call" : "jmp",
				     sc_keys[k].name);
		} else if ((is_call || is_jmp) && op0 &&
			   op0->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			int r = gpr_index(op0->reg.value);
			if (r >= 0 && state[r] == REG_KEY_VALUE &&
			    !(sc_keys[which[r]].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through a "
				     "register loaded from key '%s' remains",
				     o->name, f->name, (unsigned long)(a - f->addr),
				     (void *)a, is_call ? "call" : "jmp",
				     sc_keys[which[r]].name);
		}

		/* Register tracking for (c). */
		if (is_call || is_jmp || ins.mnemonic == ZYDIS_MNEMONIC_RET) {
			memset(state, 0, sizeof state);
		} else {
			int dst = -1, nst = REG_NONE, nk = 0;
			if ((ins.mnemonic == ZYDIS_MNEMONIC_MOV ||
			     ins.mnemonic == ZYDIS_MNEMONIC_LEA) &&
			    ins.operand_count_visible == 2 &&
			    ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
			    ops[0].size == 64) {
				dst = gpr_index(ops[0].reg.value);
				const ZydisDecodedOperand *src = &ops[1];
				if (src->type == ZYDIS_OPERAND_TYPE_MEMORY) {
					ZyanU64 m;
					int bi = gpr_index(src->mem.base);
					if ((src->mem.base == ZYDIS_REGISTER_RIP ||
					     src->mem.base ==
						     ZYDIS_REGISTER_NONE) &&
					    src->mem.index ==
						    ZYDIS_REGISTER_NONE &&
					    ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(
						    &ins, src, a, &m))) {
						int k = key_index((uintptr_t)m);
						if (k >= 0) {
							nst = ins.mnemonic ==
									      ZYDIS_MNEMONIC_LEA
								      ? REG_KEY_ADDR
								      : REG_KEY_VALUE;
							nk = k;
						} else if (ins.mnemonic ==
								   ZYDIS_MNEMONIC_MOV &&
							   (k = got_slot_key(
								    o, (uintptr_t)m)) >= 0) {
							nst = REG_KEY_ADDR;
							nk = k;
						}
					} else if (ins.mnemonic ==
							   ZYDIS_MNEMONIC_MOV &&
						   bi >= 0 &&
						   state[bi] == REG_KEY_ADDR &&
						   src->mem.index ==
							   ZYDIS_REGISTER_NONE &&
						   src->mem.disp.value == 0) {
						nst = REG_KEY_VALUE;
						nk = which[bi];
					}
				} else if (src->type ==
						   ZYDIS_OPERAND_TYPE_REGISTER &&
					   ins.mnemonic == ZYDIS_MNEMONIC_MOV) {
					int s = gpr_index(src->reg.value);
					if (s >= 0) {
						nst = state[s];
						nk = which[s];
					}
				}
			}
			for (int i = 0; i < ins.operand_count; i++) {
				if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER ||
				    !(ops[i].actions &
				      ZYDIS_OPERAND_ACTION_MASK_WRITE))
					continue;
				int r = gpr_index(ops[i].reg.value);
				if (r >= 0)
					state[r] = REG_NONE;
			}
			if (dst >= 0) {
				state[dst] = nst;
				which[dst] = nk;
			}
		}
		a += ins.length;
	}
	free(joins.v);
}

struct walk {
	struct object *objs;
	size_t n, cap;
};

static int collect_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct walk *w = data;
	const char *name = info->dlpi_name;
	const char *path = name;
	if (!name || !*name) {
		name = "(main executable)";
		path = "/proc/self/exe";
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 16;
		w->objs = realloc(w->objs, w->cap * sizeof *w->objs);
		if (!w->objs)
			abort();
	}
	struct object *o = &w->objs[w->n];
	memset(o, 0, sizeof *o);
	o->name = name;
	/* dl_iterate_phdr's info is only valid during the callback: copy. */
	struct dl_phdr_info *copy = malloc(sizeof *copy);
	if (!copy)
		abort();
	*copy = *info;
	o->info = copy;
	if (load_symbols(o, path) != 0) {
		if (o->map)
			munmap(o->map, o->map_size);
		free(o->funcs);
		free(copy);
		return 0;
	}
	/* Decode objects with trampolines and the test's own objects. */
	if (!o->has_tramps && is_system_object(path)) {
		munmap(o->map, o->map_size);
		free(o->funcs);
		free(copy);
		return 0;
	}
	w->n++;
	return 0;
}

static const char *form_name(int form)
{
	const char *s = static_call_form_name(form);
	return s ? s : "?";
}

/* Check one reported site against the live code. */
static void check_site(const struct static_call_site_info *s, const void *key,
		       uintptr_t target)
{
	const char *kn = key_name(key);
	uintptr_t a = (uintptr_t)s->address;
	const struct rec *r = find_rec(a);
	const char *obj = s->object ? s->object : "?";

	/* Forms that call nothing are two or three instructions: compare the
	 * live bytes themselves (docs/PATCHING.md). */
	if (s->form == STATIC_CALL_SITE_RETURN_ZERO ||
	    (s->form == STATIC_CALL_SITE_NOP && s->tail)) {
		static const unsigned char ret0_call[5] = {0x31, 0xc0, 0x0f, 0x1f, 0x00};
		static const unsigned char ret0_tail[5] = {0x31, 0xc0, 0xc3, 0xcc, 0xcc};
		static const unsigned char nop_tail[5] = {0xc3, 0xcc, 0xcc, 0xcc, 0xcc};
		int ret0 = s->form == STATIC_CALL_SITE_RETURN_ZERO;
		const unsigned char *want = ret0 ? (s->tail ? ret0_tail : ret0_call)
						 : nop_tail;
		if (memcmp((const void *)a, want, 5))
			FAIL("key '%s': site %p (%s) reported %s but the live "
			     "bytes are not that form", kn, (void *)a, obj,
			     form_name(s->form));
		if (ret0 && target != (uintptr_t)__staticcall_ret0)
			FAIL("key '%s': site %p (%s) returns zero but the key "
			     "holds %p", kn, (void *)a, obj, (void *)target);
		if (!ret0 && target)
			FAIL("key '%s': site %p (%s) is a NOP but the key's "
			     "target is %p", kn, (void *)a, obj, (void *)target);
		return;
	}

	if (!r || r->len != 5) {
		FAIL("key '%s': reported site %p (%s, form %s) is not a 5-byte "
		     "call/jmp/nop at an instruction boundary of a known "
		     "function",
		     kn, (void *)a, obj, form_name(s->form));
		return;
	}
	/* Sites crossing an aligned quadword are fine: the runtime re-targets
	 * them with its three-phase protocol (docs/PATCHING.md). */

	int64_t dist = (int64_t)(target - (a + 5));
	int in_range = target && dist > -(INT64_C(1) << 31) &&
		       dist < (INT64_C(1) << 31);
	int want_kind = s->tail ? REC_JMP : REC_CALL;

	switch (s->form) {
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP: {
		int k = s->form == STATIC_CALL_SITE_DIRECT ? REC_CALL : REC_JMP;
		if (r->kind != k)
			FAIL("key '%s': site %p (%s) reported %s but the live "
			     "code is not a %s rel32",
			     kn, (void *)a, obj, form_name(s->form),
			     k == REC_CALL ? "call" : "jmp");
		else if (r->target != target)
			FAIL("key '%s': site %p (%s) reported %s but reaches %p, "
			     "not the current target %p%s",
			     kn, (void *)a, obj, form_name(s->form),
			     (void *)r->target, (void *)target,
			     tramp_name(r->target) ? " (a trampoline)" : "");
		if ((uintptr_t)s->reaches != r->target)
			FAIL("key '%s': site %p (%s) reports reaches=%p, the "
			     "code reaches %p",
			     kn, (void *)a, obj, s->reaches, (void *)r->target);
		if (r->kind != want_kind)
			FAIL("key '%s': site %p (%s): tail=%d but form %s", kn,
			     (void *)a, obj, s->tail, form_name(s->form));
		break;
	}
	case STATIC_CALL_SITE_TRAMPOLINE:
		if (r->kind != want_kind ||
		    r->target != (uintptr_t)s->trampoline)
			FAIL("key '%s': site %p (%s) reported TRAMPOLINE but the "
			     "live code is not a %s to its trampoline %p",
			     kn, (void *)a, obj,
			     want_kind == REC_CALL ? "call" : "jmp",
			     s->trampoline);
		if (!tramp_name((uintptr_t)s->trampoline))
			FAIL("key '%s': site %p (%s): reported trampoline %p "
			     "is no " TRAMP_PREFIX "* symbol",
			     kn, (void *)a, obj, s->trampoline);
		if (in_range)
			FAIL("key '%s': site %p (%s) left on its trampoline "
			     "though the target %p is within rel32 range "
			     "(reason: %s)",
			     kn, (void *)a, obj, (void *)target,
			     s->reason ? s->reason : "none given");
		break;
	case STATIC_CALL_SITE_NOP:
		if (r->kind != REC_NOP)
			FAIL("key '%s': site %p (%s) reported NOP but the live "
			     "code is not a 5-byte nop",
			     kn, (void *)a, obj);
		if (target)
			FAIL("key '%s': site %p (%s) is a NOP but the key's "
			     "target is %p",
			     kn, (void *)a, obj, (void *)target);
		break;
	default:
		FAIL("key '%s': site %p (%s) has form %d (%s), reason: %s", kn,
		     (void *)a, obj, s->form, form_name(s->form),
		     s->reason ? s->reason : "none given");
		break;
	}
}

/* The trampoline's slot must be the slow path or a jmp to the target. */
static void check_tramp(const void *key, uintptr_t tramp, uintptr_t target)
{
	const unsigned char *p = (const unsigned char *)tramp;
	static const unsigned char slow[8] = {0xeb, 0x06, 0xcc, 0xcc,
					      0xcc, 0xcc, 0xcc, 0xcc};
	if (memcmp(p, slow, 8) == 0)
		return;
	if (p[0] == 0xe9 && p[5] == 0xcc && p[6] == 0xcc && p[7] == 0xcc) {
		int32_t rel;
		memcpy(&rel, p + 1, 4);
		uintptr_t t = tramp + 5 + (intptr_t)rel;
		if (t != target)
			FAIL("key '%s': trampoline %p jumps directly to %p, "
			     "not to the current target %p",
			     key_name(key), (void *)tramp, (void *)t,
			     (void *)target);
		return;
	}
	FAIL("key '%s': trampoline %p slot holds neither form: "
	     "%02x %02x %02x %02x %02x %02x %02x %02x",
	     key_name(key), (void *)tramp, p[0], p[1], p[2], p[3], p[4], p[5],
	     p[6], p[7]);
}

static int run_check(const void *only_key, const void *expected)
{
	struct walk w = {0};
	ZydisDecoder dec;

	check_failures = 0;
	recs.n = 0;
	tramps.n = 0;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	dl_iterate_phdr(collect_object, &w);
	for (size_t i = 0; i < w.n; i++) {
		struct object *o = &w.objs[i];
		uintptr_t last_end = 0;
		for (size_t j = 0; j < o->nfuncs; j++) {
			/* skip aliases and symbols nested in another */
			if (o->funcs[j].addr < last_end)
				continue;
			decode_func(o, &o->funcs[j], &dec);
			last_end = o->funcs[j].addr + o->funcs[j].size;
		}
	}
	qsort(recs.v, recs.n, sizeof *recs.v, cmp_rec);
	qsort(tramps.v, tramps.n, sizeof *tramps.v, cmp_tramp);

	/* All reported sites of all registered keys, for (a). */
	struct {
		uintptr_t *v;
		size_t n, cap;
	} reported = {0};

	for (int k = 0; k < sc_nkeys; k++) {
		const void *key = sc_keys[k].key;
		uintptr_t target = (uintptr_t)current_target(key);
		struct static_call_site_info dummy;
		int n = key_sites(key, &dummy, 0);
		if (n < 0) {
			FAIL("key '%s': static_call_sites returned %d",
			     sc_keys[k].name, n);
			continue;
		}
		if (n == 0 && !(sc_keys[k].flags & SC_LIVE_NOSITES))
			FAIL("key '%s': the runtime reports no site",
			     sc_keys[k].name);
		struct static_call_site_info *buf =
			calloc(n ? n : 1, sizeof *buf);
		if (!buf)
			abort();
		int m = key_sites(key, buf, n);
		if (m != n)
			FAIL("key '%s': static_call_sites count changed %d -> %d",
			     sc_keys[k].name, n, m);
		if (m > n)
			m = n;
		int check_this = !only_key || only_key == key;
		if (check_this && only_key &&
		    target != (uintptr_t)expected)
			FAIL("key '%s' holds %p, expected %p", sc_keys[k].name,
			     (void *)target, expected);
		for (int i = 0; i < m; i++) {
			PUSH(reported, (uintptr_t)buf[i].address);
			if (!check_this)
				continue;
			check_site(&buf[i], key, target);
			/* each trampoline once per key is enough */
			int seen = 0;
			for (int j = 0; j < i; j++)
				if (buf[j].trampoline == buf[i].trampoline)
					seen = 1;
			if (!seen && buf[i].trampoline &&
			    tramp_name((uintptr_t)buf[i].trampoline))
				check_tramp(key, (uintptr_t)buf[i].trampoline,
					    target);
		}
		free(buf);
	}
	if (reported.n)
		qsort(reported.v, reported.n, sizeof *reported.v, cmp_uptr);

	/* (a) every branch to a trampoline is a reported 5-byte site. */
	for (size_t i = 0; i < recs.n; i++) {
		const struct rec *r = &recs.v[i];
		if (r->kind == REC_NOP)
			continue;
		const char *tn = tramp_name(r->target);
		if (!tn)
			continue;
		int found = reported.n &&
			    bsearch(&r->addr, reported.v, reported.n,
				    sizeof *reported.v, cmp_uptr) != NULL;
		if (!found)
			FAIL("%p: %s to %s is not a site reported by the "
			     "runtime (unregistered key or missing record)",
			     (void *)r->addr,
			     r->kind == REC_CALL  ? "call"
			     : r->kind == REC_JMP ? "jmp"
						  : "conditional jump",
			     tn);
		else if (r->kind == REC_JCC || r->len != 5)
			FAIL("%p: %d-byte %s to %s cannot be patched",
			     (void *)r->addr, r->len,
			     r->kind == REC_JCC ? "conditional jump" : "branch",
			     tn);
	}

	if (getenv("SC_LIVE_VERBOSE")) {
		size_t nf = 0;
		for (size_t i = 0; i < w.n; i++)
			nf += w.objs[i].nfuncs;
		fprintf(stderr,
			"livecode: %zu objects, %zu functions, %zu trampolines, "
			"%zu branches/nops, %zu reported sites of %d keys, %d "
			"failures\n",
			w.n, nf, tramps.n, recs.n, reported.n, sc_nkeys,
			check_failures);
	}
	free(reported.v);
	for (size_t i = 0; i < w.n; i++) {
		munmap(w.objs[i].map, w.objs[i].map_size);
		free(w.objs[i].funcs);
		free((void *)w.objs[i].info);
	}
	free(w.objs);
	fflush(stderr);
	return check_failures;
}

int sc_check_live(void)
{
	return run_check(NULL, NULL);
}

int sc_check_key(const void *key, const void *expected)
{
	return run_check(key, expected);
}

#endif /* __STATICCALL_PLUGIN__ */
