/*
 * livecode_core.c - the architecture-independent part of the live-code
 * checker of livecode.h, linked with one architecture part: livecode.c
 * (x86-64, Zydis) or tests/arm64/livecode_aarch64.c (AArch64); see
 * livecode_arch.h.
 *
 * Here: the key registry, sc_live_fail / sc_live_exit / SC_UPDATE support,
 * and, only when built with a staticcall plugin (__STATICCALL_PLUGIN__),
 * the check itself; otherwise sc_check_live and sc_check_key are silent
 * no-ops.
 *
 * sc_check_live() walks every loaded object (dl_iterate_phdr) that holds a
 * `__staticcall_tramp.*` (or `__staticcall_tramp_cond.*`) symbol or that is
 * not a system library, reads its ELF symbol table from the file (.symtab,
 * else .dynsym), has the arch part decode every FUNC symbol as it is in
 * memory now (recording relative branches and nops, and failing on indirect
 * calls through a key: check (c)), then for every registered key:
 *  - the runtime reports at least one site (unless SC_LIVE_NOSITES);
 *  - each reported site and each of its trampolines is checked by the arch
 *    part (check (b));
 * and finally (a): every decoded branch to a trampoline is a site the
 * runtime reports, of the length of a patchable site.
 *
 * Each failure is one line on stderr starting with "livecode:".
 */
#define _GNU_SOURCE
#include "livecode_arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sc_lc_key sc_keys[SC_MAX_KEYS];
int sc_nkeys;
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

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sc_lc_recs sc_lc_recs;
struct sc_lc_tramps sc_lc_tramps;
int sc_lc_failures;

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

const char *sc_lc_key_name(const void *key)
{
	for (int i = 0; i < sc_nkeys; i++)
		if (sc_keys[i].key == key)
			return sc_keys[i].name;
	return "?";
}

int sc_lc_key_index(uintptr_t a)
{
	for (int i = 0; i < sc_nkeys; i++)
		if ((uintptr_t)sc_keys[i].key == a)
			return i;
	return -1;
}

/* The first of the n elements of `size` bytes at v (sorted by address,
 * each starting with its uintptr_t address) whose address is a, or NULL. */
static const void *find_addr(const void *v, size_t n, size_t size,
			     uintptr_t a)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (*(const uintptr_t *)((const char *)v + mid * size) < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && *(const uintptr_t *)((const char *)v + lo * size) == a)
		return (const char *)v + lo * size;
	return NULL;
}

const char *sc_lc_tramp_name(uintptr_t a)
{
	const struct tramp *t = find_addr(sc_lc_tramps.v, sc_lc_tramps.n,
					  sizeof *sc_lc_tramps.v, a);
	return t ? t->name : NULL;
}

const struct rec *sc_lc_find_rec(uintptr_t a)
{
	return find_addr(sc_lc_recs.v, sc_lc_recs.n, sizeof *sc_lc_recs.v, a);
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

/* By address, the largest of the symbols at one address first. */
static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->addr != y->addr)
		return (x->addr > y->addr) - (x->addr < y->addr);
	return (x->size < y->size) - (x->size > y->size);
}

int sc_lc_cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

int sc_lc_in_segment(const struct object *o, uintptr_t a, size_t len,
		     int need_exec)
{
	const struct dl_phdr_info *info = &o->info;
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

int sc_lc_got_slot_key(const struct object *o, uintptr_t a)
{
	if (a & 7 || !sc_lc_in_segment(o, a, 8, 0))
		return -1;
	return sc_lc_key_index(*(const uintptr_t *)a);
}

const char *sc_lc_form_name(int form)
{
	const char *s = static_call_form_name(form);
	return s ? s : "?";
}

void sc_lc_fail_form(const struct static_call_site_info *s, const char *kn)
{
	FAIL("key '%s': site %p (%s) has form %d (%s), reason: %s", kn,
	     s->address, s->object ? s->object : "?", s->form,
	     sc_lc_form_name(s->form), s->reason ? s->reason : "none given");
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
	uintptr_t bias = o->info.dlpi_addr;
	for (size_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *s = &syms[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_shndx == SHN_UNDEF || s->st_size == 0 ||
		    s->st_name >= strsh->sh_size)
			continue;
		const char *name = strtab + s->st_name;
		uintptr_t a = bias + s->st_value;
		if (!sc_lc_in_segment(o, a, s->st_size, 1))
			continue;
		if (strncmp(name, TRAMP_PREFIX, strlen(TRAMP_PREFIX)) == 0 ||
		    strncmp(name, TRAMP_COND_PREFIX, strlen(TRAMP_COND_PREFIX)) == 0) {
			struct tramp t = {.addr = a};
			snprintf(t.name, sizeof t.name, "%s", name);
			PUSH(sc_lc_tramps, t);
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
	/* dl_iterate_phdr's info is only valid during the callback: copy
	 * (dlpi_phdr points into the loaded object, which stays). */
	o->info = *info;
	/* Decode objects with trampolines and the test's own objects. */
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

static int run_check(const void *only_key, const void *expected)
{
	struct walk w = {0};

	sc_lc_failures = 0;
	sc_lc_recs.n = 0;
	sc_lc_tramps.n = 0;
	dl_iterate_phdr(collect_object, &w);
	for (size_t i = 0; i < w.n; i++) {
		struct object *o = &w.objs[i];
		uintptr_t last_end = 0;
		for (size_t j = 0; j < o->nfuncs; j++) {
			const struct func *f = &o->funcs[j];
			/* skip aliases and symbols nested in another */
			if (f->addr < last_end ||
			    f->addr % sc_lc_arch_func_align)
				continue;
			sc_lc_arch_decode_func(o, f);
			last_end = f->addr + f->size;
		}
	}
	if (sc_lc_recs.n)
		qsort(sc_lc_recs.v, sc_lc_recs.n, sizeof *sc_lc_recs.v,
		      cmp_rec);
	if (sc_lc_tramps.n)
		qsort(sc_lc_tramps.v, sc_lc_tramps.n, sizeof *sc_lc_tramps.v,
		      cmp_tramp);

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
			sc_lc_arch_check_site(&buf[i], key, target);
			/* each trampoline once per key is enough */
			int seen = 0;
			for (int j = 0; j < i; j++)
				if (buf[j].trampoline == buf[i].trampoline)
					seen = 1;
			if (!seen && buf[i].trampoline &&
			    sc_lc_tramp_name((uintptr_t)buf[i].trampoline))
				sc_lc_arch_check_tramp(
					key, (uintptr_t)buf[i].trampoline,
					target);
		}
		free(buf);
	}
	if (reported.n)
		qsort(reported.v, reported.n, sizeof *reported.v,
		      sc_lc_cmp_uptr);

	/* (a) every branch to a trampoline is a reported site that can be
	 * patched. */
	for (size_t i = 0; i < sc_lc_recs.n; i++) {
		const struct rec *r = &sc_lc_recs.v[i];
		if (r->kind == REC_NOP)
			continue;
		const char *tn = sc_lc_tramp_name(r->target);
		if (!tn)
			continue;
		int found = reported.n &&
			    bsearch(&r->addr, reported.v, reported.n,
				    sizeof *reported.v, sc_lc_cmp_uptr) != NULL;
		if (!found)
			FAIL("%p: %s to %s is not a site reported by the "
			     "runtime (unregistered key or missing record)",
			     (void *)r->addr, sc_lc_arch_branch_name(r->kind),
			     tn);
		else if (r->kind == REC_JCC || r->len != sc_lc_arch_site_len)
			FAIL("%p: %d-byte %s to %s cannot be patched",
			     (void *)r->addr, r->len,
			     r->kind == REC_JCC
				     ? sc_lc_arch_branch_name(REC_JCC)
				     : "branch",
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
			w.n, nf, sc_lc_tramps.n, sc_lc_recs.n, reported.n,
			sc_nkeys, sc_lc_failures);
	}
	free(reported.v);
	for (size_t i = 0; i < w.n; i++) {
		munmap(w.objs[i].map, w.objs[i].map_size);
		free(w.objs[i].funcs);
	}
	free(w.objs);
	fflush(stderr);
	return sc_lc_failures;
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
