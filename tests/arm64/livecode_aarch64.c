/*
 * livecode_aarch64.c - the live-code checker of tests/support/livecode.h
 * for AArch64 (the x86-64 one, tests/support/livecode.c, needs Zydis).
 * run_corpus.py builds it instead with --livecode (tests/arm64/run.sh).
 *
 * Only active when built with a staticcall plugin (__STATICCALL_PLUGIN__);
 * otherwise every entry point is a silent no-op.
 *
 * Every AArch64 instruction is one aligned 4-byte word, so decoding is
 * reading words. sc_check_live() walks every loaded object that holds a
 * `__staticcall_tramp.*` symbol or is not a system library, reads its ELF
 * symbol table from the file and checks, in the code as it is in memory
 * (`__staticcall_tramp_cond.*`, the NULL-safe variant, counts as one more
 * trampoline):
 *
 *  (a) every B/BL whose target is a trampoline is a site the runtime
 *      reports for a registered key;
 *  (b) every reported site of a registered key decodes as its form says:
 *      DIRECT / TAIL_JUMP is BL / B to exactly the key's current target;
 *      TRAMPOLINE is BL / B to its trampoline, allowed only when the
 *      target is NULL or out of b/bl range (+-128 MiB) of the site;
 *      NOP only with a NULL target; the trampoline slot (word 0) is NOP,
 *      or B to exactly the current target, and NOP only when the target
 *      is NULL or out of range of the trampoline; word 1 is the slow
 *      path's `adrp x16` (or its linker relaxations);
 *  (c) no BLR/BR through a register loaded from a key remains (tracking
 *      adrp/add/ldr in straight-line code, forgotten at branch targets
 *      and after calls), through the GOT or not.
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

void sc_live_key(const void *key, const char *name) { add_key(key, name, 0); }
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
int sc_live_failures(void) { return sc_failures; }
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
	char buf[256];
	if (rc != 0) {
		snprintf(buf, sizeof buf, "static_call_update(%s, %s) = %d",
			 key, fn, rc);
		sc_live_fail(file, line, buf);
	}
	if (sc_check_live() != 0) {
		snprintf(buf, sizeof buf,
			 "live code after static_call_update(%s, %s)", key, fn);
		sc_live_fail(file, line, buf);
	}
	return rc;
}

#ifndef __STATICCALL_PLUGIN__

int sc_check_live(void) { return 0; }
int sc_check_key(const void *key, const void *expected)
{
	(void)key;
	(void)expected;
	return 0;
}

#else /* __STATICCALL_PLUGIN__ */

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRAMP_PREFIX "__staticcall_tramp."
#define TRAMP_COND_PREFIX "__staticcall_tramp_cond." /* NULL-safe variant */
#define A64_NOP 0xd503201fu
#define RANGE (INT64_C(1) << 27)

enum rec_kind { REC_BL, REC_B, REC_NOP };
struct rec {
	uintptr_t addr, target;
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

static struct { struct rec *v; size_t n, cap; } recs;
static struct { struct tramp *v; size_t n, cap; } tramps;
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

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}
/* recs, tramps and funcs all start with their address */
static int cmp_addr(const void *a, const void *b) { return cmp_uptr(a, b); }

static const char *tramp_name(uintptr_t a)
{
	struct tramp k = {.addr = a};
	const struct tramp *t = tramps.n ? bsearch(&k, tramps.v, tramps.n,
						   sizeof k, cmp_addr) : NULL;
	return t ? t->name : NULL;
}

static const struct rec *find_rec(uintptr_t a)
{
	struct rec k = {.addr = a};
	return recs.n ? bsearch(&k, recs.v, recs.n, sizeof k, cmp_addr) : NULL;
}

static const char *key_name(const void *key)
{
	for (int i = 0; i < sc_nkeys; i++)
		if (sc_keys[i].key == key)
			return sc_keys[i].name;
	return "?";
}

static int key_index(uintptr_t a)
{
	for (int i = 0; i < sc_nkeys; i++)
		if ((uintptr_t)sc_keys[i].key == a)
			return i;
	return -1;
}

struct object {
	const char *name;
	struct dl_phdr_info info;
	void *map;
	size_t map_size;
	struct func *funcs;
	size_t nfuncs;
	int has_tramps;
};

static int in_segment(const struct object *o, uintptr_t a, size_t len,
		      int need_exec)
{
	for (int i = 0; i < o->info.dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &o->info.dlpi_phdr[i];
		if (p->p_type != PT_LOAD || (need_exec && !(p->p_flags & PF_X)))
			continue;
		uintptr_t lo = o->info.dlpi_addr + p->p_vaddr;
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
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > o->map_size)
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
	for (size_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *s = &syms[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_shndx == SHN_UNDEF || s->st_size == 0 ||
		    s->st_name >= strsh->sh_size)
			continue;
		const char *name = strtab + s->st_name;
		uintptr_t a = o->info.dlpi_addr + s->st_value;
		if (!in_segment(o, a, s->st_size, 1))
			continue;
		if (strncmp(name, TRAMP_PREFIX, strlen(TRAMP_PREFIX)) == 0 ||
		    strncmp(name, TRAMP_COND_PREFIX,
			    strlen(TRAMP_COND_PREFIX)) == 0) {
			struct tramp t = {.addr = a};
			snprintf(t.name, sizeof t.name, "%s", name);
			PUSH(tramps, t);
			o->has_tramps = 1;
			continue;
		}
		o->funcs[o->nfuncs++] = (struct func){a, s->st_size, name};
	}
	qsort(o->funcs, o->nfuncs, sizeof *o->funcs, cmp_addr);
	return 0;
}

static int64_t sext(uint64_t v, int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* Direct branch target of B/BL/B.cond/CBZ/CBNZ/TBZ/TBNZ at pc, or 0. */
static uintptr_t branch_target(uint32_t w, uintptr_t pc, int *kind)
{
	*kind = -1;
	if ((w & 0x7c000000u) == 0x14000000u) { /* b, bl */
		*kind = (w >> 31) ? REC_BL : REC_B;
		return pc + sext(w & 0x03ffffffu, 26) * 4;
	}
	if ((w & 0xff000010u) == 0x54000000u || (w & 0x7e000000u) == 0x34000000u)
		return pc + sext((w >> 5) & 0x7ffff, 19) * 4;
	if ((w & 0x7e000000u) == 0x36000000u)
		return pc + sext((w >> 5) & 0x3fff, 14) * 4;
	return 0;
}

enum { REG_NONE, REG_ADDR, REG_KEY_VALUE };

static void decode_func(const struct object *o, const struct func *f)
{
	uintptr_t end = f->addr + (f->size & ~(size_t)3);
	int state[32] = {0}, which[32] = {0};
	uintptr_t val[32] = {0};
	struct { uintptr_t *v; size_t n, cap; } joins = {0};
	int kind;

	for (uintptr_t a = f->addr; a < end; a += 4) {
		uintptr_t t = branch_target(*(const uint32_t *)a, a, &kind);
		if (t > f->addr && t < end)
			PUSH(joins, t);
	}
	if (joins.n)
		qsort(joins.v, joins.n, sizeof *joins.v, cmp_uptr);

	for (uintptr_t a = f->addr; a < end; a += 4) {
		uint32_t w = *(const uint32_t *)a;
		if (joins.n && bsearch(&a, joins.v, joins.n, sizeof *joins.v,
				       cmp_uptr))
			memset(state, 0, sizeof state);
		uintptr_t t = branch_target(w, a, &kind);
		if (kind >= 0) {
			PUSH(recs, ((struct rec){a, t, kind}));
			memset(state, 0, sizeof state);
			continue;
		}
		if (w == A64_NOP) {
			PUSH(recs, ((struct rec){a, 0, REC_NOP}));
			continue;
		}
		unsigned rd = w & 31, rn = (w >> 5) & 31;
		/* br/blr (and their PAC forms) through a tracked register */
		if ((w & 0xfedf0000u) == 0xd61f0000u) { /* br, blr, bra*, blra* */
			int call = (w >> 21) & 1;
			if (state[rn] == REG_KEY_VALUE &&
			    !(sc_keys[which[rn]].flags & SC_LIVE_VALUE_CALLS))
				FAIL("%s: %s+%#lx (%p): indirect %s through a "
				     "register loaded from key '%s' remains",
				     o->name, f->name,
				     (unsigned long)(a - f->addr), (void *)a,
				     call ? "call" : "jump",
				     sc_keys[which[rn]].name);
			memset(state, 0, sizeof state);
			continue;
		}
		if ((w & 0xfffffc1fu) == 0xd65f0000u) { /* ret */
			memset(state, 0, sizeof state);
			continue;
		}
		int nst = REG_NONE, nk = 0;
		uintptr_t nv = 0;
		if ((w & 0x9f000000u) == 0x90000000u) { /* adrp */
			uint64_t imm = ((w >> 29) & 3) | (((w >> 5) & 0x7ffff) << 2);
			nst = REG_ADDR;
			nv = (a & ~(uintptr_t)0xfff) + (sext(imm, 21) << 12);
		} else if ((w & 0xff800000u) == 0x91000000u && /* add imm */
			   state[rn] == REG_ADDR) {
			nst = REG_ADDR;
			nv = val[rn] + (((w >> 10) & 0xfff)
					<< (((w >> 22) & 1) ? 12 : 0));
		} else if ((w & 0xffc00000u) == 0xf9400000u && /* ldr x, [x, #] */
			   state[rn] == REG_ADDR) {
			uintptr_t m = val[rn] + ((w >> 10) & 0xfff) * 8;
			int k = key_index(m);
			if (k >= 0) {
				nst = REG_KEY_VALUE;
				nk = k;
			} else if (!(m & 7) && in_segment(o, m, 8, 0) &&
				   (k = key_index(*(const uintptr_t *)m)) >= 0) {
				nst = REG_ADDR; /* a GOT slot of a key */
				nv = *(const uintptr_t *)m;
			}
		} else if ((w & 0xffe0ffe0u) == 0xaa0003e0u) { /* mov x, x */
			unsigned rm = (w >> 16) & 31;
			nst = state[rm];
			nk = which[rm];
			nv = val[rm];
		}
		/* Forget what the instruction may write: Rd (bits 0-4) for
		 * nearly everything, also Rt2 (bits 10-14) of load pairs. */
		if ((w & 0x3a000000u) == 0x28000000u)
			state[(w >> 10) & 31] = REG_NONE;
		state[rd] = nst;
		which[rd] = nk;
		val[rd] = nv;
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
	const char *name = info->dlpi_name, *path = name;
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
	o->info = *info;
	if (load_symbols(o, path) != 0 ||
	    (!o->has_tramps && is_system_object(path))) {
		if (o->map)
			munmap(o->map, o->map_size);
		free(o->funcs);
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

static int in_range(uintptr_t from, uintptr_t target)
{
	int64_t d = (int64_t)(target - from);
	return target && !(d & 3) && d >= -RANGE && d < RANGE;
}

static void check_site(const struct static_call_site_info *s, const void *key,
		       uintptr_t target)
{
	const char *kn = key_name(key), *obj = s->object ? s->object : "?";
	uintptr_t a = (uintptr_t)s->address;
	const struct rec *r = find_rec(a);
	int want = s->tail ? REC_B : REC_BL;

	if (!r) {
		FAIL("key '%s': reported site %p (%s, form %s) is not a "
		     "b/bl/nop in a known function",
		     kn, (void *)a, obj, form_name(s->form));
		return;
	}
	switch (s->form) {
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP: {
		int k = s->form == STATIC_CALL_SITE_DIRECT ? REC_BL : REC_B;
		if (r->kind != k || r->kind != want)
			FAIL("key '%s': site %p (%s) reported %s (tail=%d) but "
			     "the live code is not a %s",
			     kn, (void *)a, obj, form_name(s->form), s->tail,
			     k == REC_BL ? "bl" : "b");
		else if (r->target != target)
			FAIL("key '%s': site %p (%s) reported %s but reaches %p, "
			     "not the current target %p",
			     kn, (void *)a, obj, form_name(s->form),
			     (void *)r->target, (void *)target);
		if ((uintptr_t)s->reaches != r->target)
			FAIL("key '%s': site %p (%s) reports reaches=%p, the code "
			     "reaches %p",
			     kn, (void *)a, obj, s->reaches, (void *)r->target);
		break;
	}
	case STATIC_CALL_SITE_TRAMPOLINE:
		if (r->kind != want || r->target != (uintptr_t)s->trampoline)
			FAIL("key '%s': site %p (%s) reported TRAMPOLINE but the "
			     "live code is not a %s to its trampoline %p",
			     kn, (void *)a, obj, want == REC_BL ? "bl" : "b",
			     s->trampoline);
		if (!tramp_name((uintptr_t)s->trampoline))
			FAIL("key '%s': site %p (%s): reported trampoline %p is "
			     "no " TRAMP_PREFIX "* symbol",
			     kn, (void *)a, obj, s->trampoline);
		if (in_range(a, target))
			FAIL("key '%s': site %p (%s) left on its trampoline "
			     "though the target %p is within b/bl range "
			     "(reason: %s)",
			     kn, (void *)a, obj, (void *)target,
			     s->reason ? s->reason : "none given");
		else if (target && !s->reason)
			FAIL("key '%s': site %p (%s) on its trampoline with no "
			     "reason given", kn, (void *)a, obj);
		break;
	case STATIC_CALL_SITE_NOP:
		if (r->kind != REC_NOP || target)
			FAIL("key '%s': site %p (%s) reported NOP (target %p)",
			     kn, (void *)a, obj, (void *)target);
		break;
	default:
		FAIL("key '%s': site %p (%s) has form %d (%s), reason: %s", kn,
		     (void *)a, obj, s->form, form_name(s->form),
		     s->reason ? s->reason : "none given");
	}
}

static void check_tramp(const void *key, uintptr_t tramp, uintptr_t target)
{
	const uint32_t *p = (const uint32_t *)tramp;
	uint32_t w0 = p[0], w1 = p[1];
	if ((w1 & 0x9f00001fu) != 0x90000010u &&
	    (w1 & 0x9f00001fu) != 0x10000010u && w1 != A64_NOP)
		FAIL("key '%s': trampoline %p: word 1 %08x is not the slow "
		     "path's adrp x16", key_name(key), (void *)tramp, w1);
	if (w0 == A64_NOP) {
		if (in_range(tramp, target))
			FAIL("key '%s': trampoline %p on its slow path though "
			     "the target %p is within b range",
			     key_name(key), (void *)tramp, (void *)target);
		return;
	}
	if ((w0 & 0xfc000000u) == 0x14000000u) {
		uintptr_t t = tramp + sext(w0 & 0x03ffffffu, 26) * 4;
		if (t != target)
			FAIL("key '%s': trampoline %p branches to %p, not to "
			     "the current target %p",
			     key_name(key), (void *)tramp, (void *)t,
			     (void *)target);
		return;
	}
	FAIL("key '%s': trampoline %p slot holds neither form: %08x",
	     key_name(key), (void *)tramp, w0);
}

static int run_check(const void *only_key, const void *expected)
{
	struct walk w = {0};
	struct { uintptr_t *v; size_t n, cap; } reported = {0};

	check_failures = 0;
	recs.n = 0;
	tramps.n = 0;
	dl_iterate_phdr(collect_object, &w);
	for (size_t i = 0; i < w.n; i++) {
		uintptr_t last_end = 0;
		for (size_t j = 0; j < w.objs[i].nfuncs; j++) {
			const struct func *f = &w.objs[i].funcs[j];
			if (f->addr < last_end || (f->addr & 3))
				continue;
			decode_func(&w.objs[i], f);
			last_end = f->addr + f->size;
		}
	}
	if (recs.n)
		qsort(recs.v, recs.n, sizeof *recs.v, cmp_addr);
	if (tramps.n)
		qsort(tramps.v, tramps.n, sizeof *tramps.v, cmp_addr);

	for (int k = 0; k < sc_nkeys; k++) {
		const void *key = sc_keys[k].key;
		uintptr_t target = (uintptr_t)__atomic_load_n(
			(void *const *)key, __ATOMIC_ACQUIRE);
		int n = static_call_sites(*(void *const *)key, NULL, 0);
		if (n < 0) {
			FAIL("key '%s': static_call_sites returned %d",
			     sc_keys[k].name, n);
			continue;
		}
		if (n == 0 && !(sc_keys[k].flags & SC_LIVE_NOSITES))
			FAIL("key '%s': the runtime reports no site",
			     sc_keys[k].name);
		struct static_call_site_info *buf = calloc(n ? n : 1, sizeof *buf);
		if (!buf)
			abort();
		int m = static_call_sites(*(void *const *)key, buf, n);
		if (m > n)
			m = n;
		int check_this = !only_key || only_key == key;
		if (check_this && only_key && target != (uintptr_t)expected)
			FAIL("key '%s' holds %p, expected %p", sc_keys[k].name,
			     (void *)target, expected);
		for (int i = 0; i < m; i++) {
			PUSH(reported, (uintptr_t)buf[i].address);
			if (!check_this)
				continue;
			check_site(&buf[i], key, target);
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

	/* (a) every b/bl to a trampoline is a reported site */
	for (size_t i = 0; i < recs.n; i++) {
		const struct rec *r = &recs.v[i];
		const char *tn = r->kind == REC_NOP ? NULL : tramp_name(r->target);
		if (tn && !(reported.n && bsearch(&r->addr, reported.v, reported.n,
						  sizeof *reported.v, cmp_uptr)))
			FAIL("%p: %s to %s is not a site reported by the runtime "
			     "(unregistered key or missing record)",
			     (void *)r->addr, r->kind == REC_BL ? "bl" : "b", tn);
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
	}
	free(w.objs);
	fflush(stderr);
	return check_failures;
}

int sc_check_live(void) { return run_check(NULL, NULL); }
int sc_check_key(const void *key, const void *expected)
{
	return run_check(key, expected);
}

#endif /* __STATICCALL_PLUGIN__ */
