/*
 * staticcall-inspect - show the static-call sites of an ELF file or of a
 * running process.
 *
 *   staticcall-inspect [--json] [--no-source] FILE...
 *       keys, their sites (function+offset, file:line with debug info) and
 *       the form each site was compiled to (call, tail jump, jcc; anchored
 *       sites decoded forward as the runtime does).
 *   staticcall-inspect [--json] [--no-source] --pid PID
 *       every loaded object of PID with a site table: each site's live form
 *       (direct to which function, via its trampoline and why, unverified).
 *
 * Reads the tables docs/ABI.md describes, straight from the ELF64 file
 * (<elf.h>, no libelf); live bytes come from /proc/PID/mem (needs the same
 * rights as a debugger attaching to PID). Source lines come from
 * `addr2line`, when the file has debug info and addr2line is installed.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "staticcall_abi.h"

static int opt_json, opt_source = 1;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "staticcall-inspect: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- ELF file ---------------------------------------------------------- */

struct sym {
	uint64_t addr, size;
	const char *name;
	unsigned char type, bind;
};

struct elf {
	char *path;
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Phdr *ph;
	const char *shstr;
	struct sym *syms; /* symtab then dynsym, sorted by address */
	size_t nsyms;
	const Elf64_Shdr *sites, *keys;
	int has_debug;
	char *error; /* why it cannot be read, NULL if fine */
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* prefer sized, global, function/object symbols first */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	if ((x->bind == STB_GLOBAL) != (y->bind == STB_GLOBAL))
		return x->bind == STB_GLOBAL ? -1 : 1;
	return strcmp(x->name, y->name);
}

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

static void add_symbols(struct elf *e, const Elf64_Shdr *symtab, size_t *cap)
{
	if (!symtab || symtab->sh_entsize != sizeof(Elf64_Sym) ||
	    !in_file(e, symtab->sh_offset, symtab->sh_size) ||
	    symtab->sh_link >= e->eh->e_shnum)
		return;
	const Elf64_Shdr *strs = &e->sh[symtab->sh_link];
	if (!in_file(e, strs->sh_offset, strs->sh_size))
		return;
	const Elf64_Sym *s = (const void *)(e->data + symtab->sh_offset);
	size_t n = symtab->sh_size / sizeof *s;
	const char *str = (const char *)e->data + strs->sh_offset;
	for (size_t i = 1; i < n; i++) {
		unsigned t = ELF64_ST_TYPE(s[i].st_info);
		if (s[i].st_shndx == SHN_UNDEF || s[i].st_name >= strs->sh_size ||
		    !str[s[i].st_name] ||
		    (t != STT_FUNC && t != STT_OBJECT && t != STT_NOTYPE &&
		     t != STT_GNU_IFUNC))
			continue;
		if (*cap == e->nsyms) {
			*cap = *cap ? *cap * 2 : 256;
			e->syms = realloc(e->syms, *cap * sizeof *e->syms);
			if (!e->syms)
				die("out of memory");
		}
		e->syms[e->nsyms++] = (struct sym){ s[i].st_value, s[i].st_size,
						    str + s[i].st_name, t,
						    ELF64_ST_BIND(s[i].st_info) };
	}
}

static struct elf *elf_open(const char *path)
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
	void *m = e->size ? mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0)
			  : MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED) {
		e->error = strdup("cannot map the file");
		return e;
	}
	e->data = m;
	e->eh = m;
	if (e->size < sizeof(Elf64_Ehdr) || memcmp(e->eh->e_ident, ELFMAG, SELFMAG) ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		e->error = strdup("not a 64-bit little-endian ELF file");
		return e;
	}
	if (e->eh->e_machine != EM_X86_64) {
		e->error = strdup("not an x86-64 ELF file (only x86-64 is supported)");
		return e;
	}
	if (e->eh->e_type != ET_EXEC && e->eh->e_type != ET_DYN) {
		e->error = strdup("neither an executable nor a shared object");
		return e;
	}
	if (e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(e, e->eh->e_shoff, (uint64_t)e->eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    e->eh->e_shstrndx >= e->eh->e_shnum || e->eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(e, e->eh->e_phoff, (uint64_t)e->eh->e_phnum * sizeof(Elf64_Phdr))) {
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
	e->has_debug = section(e, ".debug_info") != NULL ||
		       section(e, ".debug_line") != NULL;
	size_t cap = 0;
	add_symbols(e, section(e, ".symtab"), &cap);
	add_symbols(e, section(e, ".dynsym"), &cap);
	qsort(e->syms, e->nsyms, sizeof *e->syms, sym_cmp);
	return e;
}

/* The PT_LOAD segment holding vaddr (NULL if none). */
static const Elf64_Phdr *segment_of(const struct elf *e, uint64_t va)
{
	for (int i = 0; i < e->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];
		if (p->p_type == PT_LOAD && va >= p->p_vaddr && va < p->p_vaddr + p->p_memsz)
			return p;
	}
	return NULL;
}

/* Bytes of the file at vaddr; *avail says how many exist. NULL if none. */
static const uint8_t *at(const struct elf *e, uint64_t va, size_t *avail)
{
	const Elf64_Phdr *p = segment_of(e, va);
	if (!p || va >= p->p_vaddr + p->p_filesz ||
	    !in_file(e, p->p_offset, p->p_filesz))
		return NULL;
	if (avail)
		*avail = p->p_vaddr + p->p_filesz - va;
	return e->data + p->p_offset + (va - p->p_vaddr);
}

/* The symbol containing addr (or exactly at it if want_exact). */
static const struct sym *sym_at(const struct elf *e, uint64_t addr, int functions,
				int exact)
{
	size_t lo = 0, hi = e->nsyms;
	while (lo < hi) { /* first symbol with address > addr */
		size_t mid = (lo + hi) / 2;
		if (e->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct sym *best = NULL;
	for (size_t i = lo; i-- > 0;) {
		const struct sym *s = &e->syms[i];
		if (exact && s->addr != addr)
			break;
		if (functions && s->type != STT_FUNC && s->type != STT_GNU_IFUNC)
			continue;
		if (!functions && s->type == STT_FUNC)
			continue;
		if (s->size ? addr < s->addr + s->size : s->addr == addr)
			return s;
		if (!best && !functions && s->addr == addr)
			best = s;
		if (addr - s->addr > (1u << 24))
			break;
	}
	return best;
}

/* Dynamic relocation at vaddr: its type, symbol name (or NULL), addend. */
static int reloc_at(const struct elf *e, uint64_t va, const char **name,
		    int64_t *addend, uint64_t *symval)
{
	for (int i = 0; i < e->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		if (s->sh_type != SHT_RELA || !(s->sh_flags & SHF_ALLOC) ||
		    s->sh_entsize != sizeof(Elf64_Rela) || !in_file(e, s->sh_offset, s->sh_size))
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
				const Elf64_Shdr *str = st->sh_link < e->eh->e_shnum ? &e->sh[st->sh_link] : NULL;
				if (str && in_file(e, st->sh_offset, st->sh_size) &&
				    (si + 1) * sizeof(Elf64_Sym) <= st->sh_size &&
				    in_file(e, str->sh_offset, str->sh_size)) {
					const Elf64_Sym *sym = (const Elf64_Sym *)(e->data + st->sh_offset) + si;
					if (sym->st_name < str->sh_size)
						*name = (const char *)e->data + str->sh_offset + sym->st_name;
					*symval = sym->st_shndx != SHN_UNDEF ? sym->st_value : 0;
				}
			}
			return (int)ELF64_R_TYPE(r[j].r_info);
		}
	}
	return -1;
}

/* ---- decoding sites ---------------------------------------------------- */

/*
 * Through the runtime's own arch code (runtime/arch.h, the staticcall_arch
 * library), so the inspector reads sites, slots and anchors exactly as the
 * runtime does. It only computes with the addresses it is given: they may
 * be file or process addresses, never dereferenced.
 */
enum form { F_CALL = SC_INSN_CALL, F_JMP = SC_INSN_JMP, F_JCC = SC_INSN_JCC, F_NONE };
static const char *const form_names[] = { "call", "tail-jump", "jcc", "unrecognised" };

static void *addr_ptr(uint64_t a) { return (void *)(uintptr_t)a; }

static struct sc_code code_at(uint64_t insn, int kind)
{
	return (struct sc_code){ .insn = addr_ptr(insn), .kind = (uint8_t)kind,
				 .len = (uint8_t)sc_arch_insn_len(kind) };
}

/* The site instruction of any kind at insn (bytes b[0..n)): its kind, and
 * where it goes in *dest; F_NONE if none. */
static int site_insn(uint64_t insn, const uint8_t *b, size_t n, uint64_t *dest)
{
	for (int k = F_CALL; k <= F_JCC; k++) {
		struct sc_code c = code_at(insn, k);
		void *to = NULL;
		if (n >= c.len && sc_arch_match(b, k) &&
		    sc_arch_read_site(&c, b, &to) == STATIC_CALL_SITE_DIRECT) {
			*dest = (uintptr_t)to;
			return k;
		}
	}
	return F_NONE;
}

/* Is the slot word valid? *reaches: where it jumps, 0 for the slow path. */
static int slot_word(uint64_t slot, uint64_t w, uint64_t *reaches)
{
	void *r = NULL;
	if (!sc_arch_decode_slot(addr_ptr(slot), w, &r))
		return 0;
	*reaches = (uintptr_t)r;
	return 1;
}

/* ---- addr2line --------------------------------------------------------- */

struct srcloc {
	char *file_line;    /* file:line of the site, NULL if unknown */
	char *inlined_into; /* outermost function when inlined, else NULL */
};

static char *strip_discriminator(char *s)
{
	char *d = strstr(s, " (discriminator");
	if (d)
		*d = 0;
	return s;
}

/* Source locations for n addresses of the file (file vaddrs). */
static struct srcloc *addr2line(const char *path, const uint64_t *addrs, size_t n)
{
	struct srcloc *out = xcalloc(n, sizeof *out);
	if (!n)
		return out;
	char tmpl[] = "/tmp/staticcall-inspect.XXXXXX";
	int in = mkstemp(tmpl);
	if (in < 0)
		return out;
	unlink(tmpl);
	FILE *f = fdopen(in, "w+");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%" PRIx64 "\n", addrs[i]);
	fflush(f);
	lseek(in, 0, SEEK_SET);
	int pfd[2];
	if (pipe(pfd) < 0) {
		fclose(f);
		return out;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(pfd[1], 1);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(pfd[0]);
		execlp("addr2line", "addr2line", "-a", "-f", "-i", "-C", "-e", path,
		       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fclose(f);
	if (pid < 0) {
		close(pfd[0]);
		return out;
	}
	FILE *r = fdopen(pfd[0], "r");
	char *line = NULL;
	size_t cap = 0;
	long idx = -1;
	int pair = 0; /* lines seen after the address marker */
	char *func = NULL;
	while (getline(&line, &cap, r) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '0' && line[1] == 'x' && pair % 2 == 0) {
			char *end;
			uint64_t a = strtoull(line, &end, 16);
			if (!*end && idx + 1 < (long)n && a == addrs[idx + 1]) {
				idx++;
				pair = 0;
				continue;
			}
		}
		if (idx < 0)
			continue;
		if (pair % 2 == 0) {
			free(func);
			func = strdup(line);
		} else {
			strip_discriminator(line);
			if (pair == 1 && strncmp(line, "??", 2))
				out[idx].file_line = strdup(line);
			if (pair > 1) {
				free(out[idx].inlined_into);
				out[idx].inlined_into = strdup(func);
			}
		}
		pair++;
	}
	free(func);
	free(line);
	fclose(r);
	waitpid(pid, NULL, 0);
	return out;
}

/* ---- the tables of one file -------------------------------------------- */

struct site {
	uint64_t record;   /* vaddr of the record */
	uint64_t addr;     /* the address the record names (site or anchor) */
	uint64_t insn;     /* the call/jmp/jcc (file vaddr), 0 if not found */
	uint32_t flags;
	int form;          /* compiled form, enum form */
	const char *why;   /* why unrecognised */
	const struct sym *func;
	struct srcloc src;
	/* live */
	const char *live;  /* direct / tail-jump / trampoline / unverified / updating */
	uint64_t reaches;  /* live destination (process address) */
	char *reaches_sym;
	const char *reason;
};

struct key {
	uint64_t desc;       /* vaddr of the descriptor */
	uint64_t var;        /* key variable's vaddr in this file, 0 if elsewhere */
	char *name;
	int is_static;
	uint64_t tramp;
	uint32_t flags;
	const char *slot;    /* "slow-path" / "direct" / "unexpected" */
	struct site **sites;
	size_t nsites;
	/* live */
	uint64_t live_var, target, slot_reaches;
	int have_target;
	char *target_sym, *slot_sym;
};

struct table {
	struct elf *e;
	struct key *keys;
	size_t nkeys;
	struct site *sites;
	size_t nsites;
	char **problems;
	size_t nproblems;
	uint64_t base; /* live: load bias */
};

static void problem(struct table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t->problems = realloc(t->problems, (t->nproblems + 1) * sizeof *t->problems);
	if (!t->problems || vasprintf(&t->problems[t->nproblems], fmt, ap) < 0)
		die("out of memory");
	t->nproblems++;
	va_end(ap);
}

static char *key_name(const struct elf *e, uint64_t desc, uint64_t *var, int *is_static)
{
	const char *rname;
	int64_t addend;
	uint64_t symval;
	*var = 0;
	*is_static = 0;
	int rt = reloc_at(e, desc, &rname, &addend, &symval);
	if (rt == R_X86_64_64 || rt == R_X86_64_GLOB_DAT) {
		if (rname) {
			*var = symval ? symval + addend : 0;
			char *s;
			if (addend ? asprintf(&s, "%s%+" PRId64, rname, addend) < 0
				   : !(s = strdup(rname)))
				die("out of memory");
			return s;
		}
	} else if (rt == R_X86_64_RELATIVE) {
		*var = addend;
	} else {
		size_t avail;
		const uint8_t *p = at(e, desc, &avail);
		if (p && avail >= 8)
			memcpy(var, p, 8);
	}
	if (*var) {
		const struct sym *s = sym_at(e, *var, 0, 1);
		if (s) {
			*is_static = s->bind == STB_LOCAL;
			return strdup(s->name);
		}
	}
	/* The descriptor's own symbol: __staticcall_key.<K> */
	static const char *const prefixes[] = { SC_ABI_DESC_PREFIX, "__staticcall_key_cond." };
	for (size_t i = 0; i < e->nsyms; i++)
		for (int j = 0; j < 2; j++) {
			size_t plen = strlen(prefixes[j]);
			if (e->syms[i].addr == desc && !strncmp(e->syms[i].name, prefixes[j], plen)) {
				*is_static = e->syms[i].bind == STB_LOCAL;
				return strdup(e->syms[i].name + plen);
			}
		}
	return strdup("?");
}

static void read_tables(struct table *t)
{
	struct elf *e = t->e;
	size_t avail;
	if (e->keys) {
		if (e->keys->sh_size % sizeof(struct sc_abi_desc))
			problem(t, "%s size is not a multiple of %zu", SC_ABI_KEYS_SECTION,
				sizeof(struct sc_abi_desc));
		t->nkeys = e->keys->sh_size / sizeof(struct sc_abi_desc);
		t->keys = xcalloc(t->nkeys, sizeof *t->keys);
		for (size_t i = 0; i < t->nkeys; i++) {
			struct key *k = &t->keys[i];
			k->desc = e->keys->sh_addr + i * sizeof(struct sc_abi_desc);
			const uint8_t *p = at(e, k->desc, &avail);
			if (!p || avail < 16) {
				problem(t, "descriptor at 0x%" PRIx64 " not in the file", k->desc);
				k->name = strdup("?");
				continue;
			}
			int32_t rel;
			memcpy(&rel, p + 8, 4);
			memcpy(&k->flags, p + 12, 4);
			k->tramp = k->desc + 8 + (int64_t)rel;
			k->name = key_name(e, k->desc, &k->var, &k->is_static);
			const uint8_t *slot = at(e, k->tramp, &avail);
			uint64_t w;
			uint64_t to;
			if (slot && avail >= 8) {
				memcpy(&w, slot, 8);
				k->slot = slot_word(k->tramp, w, &to) && !to
						  ? "slow-path" : "unexpected";
			} else {
				k->slot = "missing";
			}
		}
	}
	if (!e->sites)
		return;
	if (e->sites->sh_size % sizeof(struct sc_abi_site))
		problem(t, "%s size is not a multiple of %zu", SC_ABI_SITES_SECTION,
			sizeof(struct sc_abi_site));
	t->nsites = e->sites->sh_size / sizeof(struct sc_abi_site);
	t->sites = xcalloc(t->nsites, sizeof *t->sites);
	for (size_t i = 0; i < t->nsites; i++) {
		struct site *s = &t->sites[i];
		s->record = e->sites->sh_addr + i * sizeof(struct sc_abi_site);
		s->form = F_NONE;
		const uint8_t *p = at(e, s->record, &avail);
		if (!p || avail < 12) {
			s->why = "record not in the file";
			continue;
		}
		int32_t srel, drel;
		memcpy(&srel, p, 4);
		memcpy(&drel, p + 4, 4);
		memcpy(&s->flags, p + 8, 4);
		s->addr = s->record + (int64_t)srel;
		uint64_t desc = s->record + 4 + (int64_t)drel;
		struct key *k = NULL;
		for (size_t j = 0; j < t->nkeys; j++)
			if (t->keys[j].desc == desc)
				k = &t->keys[j];
		if (!k) {
			problem(t, "site record 0x%" PRIx64 " names no descriptor of %s",
				s->record, SC_ABI_KEYS_SECTION);
			continue;
		}
		k->sites = realloc(k->sites, (k->nsites + 1) * sizeof *k->sites);
		if (!k->sites)
			die("out of memory");
		k->sites[k->nsites++] = s;
		s->func = sym_at(e, s->addr, 1, 0);
		const Elf64_Phdr *seg = segment_of(e, s->addr);
		const uint8_t *b = at(e, s->addr, &avail);
		if (!b || !seg || !(seg->p_flags & PF_X)) {
			s->why = "site is not in an executable segment";
			continue;
		}
		if (s->flags & SC_SITE_ANCHOR) {
			/* The runtime's search, on the file's bytes: the
			 * trampoline as seen from them. */
			uint8_t *p;
			int kind;
			if (!sc_find_site(b, b + avail,
					  b + (k->tramp - s->addr), &p, &kind,
					  &s->why))
				continue;
			s->insn = s->addr + (uint64_t)(p - b);
			s->form = kind;
			continue;
		}
		uint64_t dest = 0;
		int f = site_insn(s->addr, b, avail, &dest);
		if (f == F_NONE) {
			s->why = "site does not hold a call to its trampoline";
			continue;
		}
		if (dest != k->tramp) {
			s->why = "site does not reach its trampoline";
			continue;
		}
		s->insn = s->addr;
		s->form = f;
	}
	if (opt_source && e->has_debug) {
		uint64_t *addrs = xcalloc(t->nsites, sizeof *addrs);
		for (size_t i = 0; i < t->nsites; i++)
			addrs[i] = t->sites[i].insn ? t->sites[i].insn : t->sites[i].addr;
		struct srcloc *src = addr2line(e->path, addrs, t->nsites);
		for (size_t i = 0; i < t->nsites; i++)
			t->sites[i].src = src[i];
		free(src);
		free(addrs);
	}
}

/* ---- output helpers ---------------------------------------------------- */

static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_addr(uint64_t a) { printf("\"0x%" PRIx64 "\"", a); }

static char *func_off(const struct site *s, uint64_t addr)
{
	char *r;
	if (!s->func)
		return strdup("?");
	if (asprintf(&r, "%s+0x%" PRIx64, s->func->name, addr - s->func->addr) < 0)
		die("out of memory");
	return r;
}

static const char *desc_flags(uint32_t f)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%s%s%s", f & SC_DESC_RETPOLINE ? "retpoline," : "",
		 f & SC_DESC_IBT ? "ibt," : "", f & 0x4u ? "null-safe," : "");
	if (*buf)
		buf[strlen(buf) - 1] = 0;
	return buf;
}

static const char *file_type(const struct elf *e)
{
	if (e->eh->e_type == ET_EXEC)
		return "executable";
	for (int i = 0; i < e->eh->e_phnum; i++)
		if (e->ph[i].p_type == PT_INTERP)
			return "pie-executable";
	return "shared-object";
}

/* One object, static or live. */
static void print_table(const struct table *t, int live, int first)
{
	const struct elf *e = t->e;
	size_t ns = 0;
	for (size_t i = 0; i < t->nkeys; i++)
		ns += t->keys[i].nsites;
	if (opt_json) {
		printf("%s\n    {\"file\": ", first ? "" : ",");
		json_str(e->path);
		printf(", \"type\": \"%s\"", file_type(e));
		if (live)
			printf(", \"base\": \"0x%" PRIx64 "\"", t->base);
		printf(", \"debug_info\": %s, \"problems\": [", e->has_debug ? "true" : "false");
		for (size_t i = 0; i < t->nproblems; i++) {
			printf("%s", i ? ", " : "");
			json_str(t->problems[i]);
		}
		printf("],\n     \"keys\": [");
		for (size_t i = 0; i < t->nkeys; i++) {
			const struct key *k = &t->keys[i];
			printf("%s\n      {\"name\": ", i ? "," : "");
			json_str(k->name);
			printf(", \"static\": %s, \"variable\": ", k->is_static ? "true" : "false");
			if (live && k->live_var)
				json_addr(k->live_var);
			else if (k->var)
				json_addr(k->var + t->base);
			else
				printf("null");
			printf(", \"descriptor\": ");
			json_addr(k->desc + t->base);
			printf(", \"trampoline\": ");
			json_addr(k->tramp + t->base);
			printf(", \"flags\": \"%s\", \"slot\": \"%s\"", desc_flags(k->flags), k->slot);
			if (live) {
				printf(", \"slot_reaches\": ");
				if (k->slot_reaches)
					json_addr(k->slot_reaches);
				else
					printf("null");
				printf(", \"slot_reaches_symbol\": ");
				json_str(k->slot_sym);
				printf(", \"target\": ");
				if (k->have_target)
					json_addr(k->target);
				else
					printf("null");
				printf(", \"target_symbol\": ");
				json_str(k->target_sym);
			}
			printf(",\n       \"sites\": [");
			for (size_t j = 0; j < k->nsites; j++) {
				const struct site *s = k->sites[j];
				uint64_t a = s->insn ? s->insn : s->addr;
				char *fo = func_off(s, a);
				printf("%s\n        {\"address\": ", j ? "," : "");
				json_addr(a + t->base);
				printf(", \"function\": ");
				json_str(s->func ? s->func->name : NULL);
				printf(", \"offset\": %" PRIu64 ", \"source\": ",
				       s->func ? a - s->func->addr : 0);
				json_str(s->src.file_line);
				printf(", \"inlined_into\": ");
				json_str(s->src.inlined_into);
				printf(", \"anchor\": ");
				if (s->flags & SC_SITE_ANCHOR)
					json_addr(s->addr + t->base);
				else
					printf("null");
				printf(", \"compiled\": \"%s\", \"tail\": %s, \"why\": ", form_names[s->form],
				       s->flags & SC_SITE_TAIL ? "true" : "false");
				json_str(s->why);
				if (live) {
					printf(", \"live\": ");
					json_str(s->live);
					printf(", \"reaches\": ");
					if (s->reaches)
						json_addr(s->reaches);
					else
						printf("null");
					printf(", \"reaches_symbol\": ");
					json_str(s->reaches_sym);
					printf(", \"reason\": ");
					json_str(s->reason);
				}
				printf("}");
				free(fo);
			}
			printf("]}");
		}
		printf("]}");
		return;
	}

	printf("%s%s (%s%s): %zu key%s, %zu site%s\n", first ? "" : "\n", e->path, file_type(e),
	       e->has_debug ? ", debug info" : "", t->nkeys, t->nkeys == 1 ? "" : "s", ns,
	       ns == 1 ? "" : "s");
	if (live)
		printf("  loaded at 0x%" PRIx64 "\n", t->base);
	for (size_t i = 0; i < t->nproblems; i++)
		printf("  problem: %s\n", t->problems[i]);
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct key *k = &t->keys[i];
		printf("  key %s%s  trampoline 0x%" PRIx64, k->name, k->is_static ? " (static)" : "",
		       k->tramp + t->base);
		if (k->flags)
			printf(" [%s]", desc_flags(k->flags));
		if (live) {
			if (k->have_target)
				printf("\n    target 0x%" PRIx64 " %s", k->target,
				       k->target_sym ? k->target_sym : "");
			printf("\n    trampoline slot: %s", k->slot);
			if (k->slot_reaches)
				printf(" -> 0x%" PRIx64 " %s", k->slot_reaches,
				       k->slot_sym ? k->slot_sym : "");
		} else if (strcmp(k->slot, "slow-path")) {
			printf("  (slot: %s)", k->slot);
		}
		printf("\n");
		for (size_t j = 0; j < k->nsites; j++) {
			const struct site *s = k->sites[j];
			uint64_t a = s->insn ? s->insn : s->addr;
			char *fo = func_off(s, a);
			char form[64];
			snprintf(form, sizeof form, "%s%s", form_names[s->form],
				 s->flags & SC_SITE_ANCHOR ? " (anchor)" : "");
			char row[512];
			int n = snprintf(row, sizeof row, "    0x%-14" PRIx64 " %-28s %-20s %s%s%s%s%s%s",
					 a + t->base, fo, form,
					 s->src.file_line ? s->src.file_line : "",
					 s->src.inlined_into ? " (inlined into " : "",
					 s->src.inlined_into ? s->src.inlined_into : "",
					 s->src.inlined_into ? ")" : "", s->why ? " - " : "",
					 s->why ? s->why : "");
			if (n > (int)sizeof row - 1)
				n = sizeof row - 1;
			while (n > 0 && row[n - 1] == ' ')
				row[--n] = 0;
			printf("%s\n", row);
			if (live) {
				printf("      %s", s->live ? s->live : "?");
				if (s->reaches)
					printf(" -> 0x%" PRIx64 " %s", s->reaches,
					       s->reaches_sym ? s->reaches_sym : "");
				if (s->reason)
					printf(": %s", s->reason);
				printf("\n");
			}
			free(fo);
		}
	}
}

/* ---- live process ------------------------------------------------------ */

struct mapping {
	uint64_t lo, hi, off;
	char perms[5];
	char *path;
};

static struct mapping *maps;
static size_t nmaps;
static int memfd = -1;
static pid_t target_pid;

struct loaded {
	char *path;
	struct elf *e;
	uint64_t base;
	int have_base;
};
static struct loaded *objs;
static size_t nobjs;

static void read_maps(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		die("cannot read %s: %s", p, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		struct mapping m = { 0 };
		int pos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %n", &m.lo, &m.hi,
			   m.perms, &m.off, &pos) < 4)
			continue;
		char *path = line + pos;
		path[strcspn(path, "\n")] = 0;
		m.path = *path == '/' ? strdup(path) : NULL;
		maps = realloc(maps, (nmaps + 1) * sizeof *maps);
		if (!maps)
			die("out of memory");
		maps[nmaps++] = m;
	}
	free(line);
	fclose(f);
}

static int read_mem(uint64_t addr, void *buf, size_t n)
{
	return pread(memfd, buf, n, (off_t)addr) == (ssize_t)n ? 0 : -1;
}

/* The loaded object at path: its ELF and load bias. */
static struct loaded *loaded_object(const char *path)
{
	for (size_t i = 0; i < nobjs; i++)
		if (!strcmp(objs[i].path, path))
			return &objs[i];
	objs = realloc(objs, (nobjs + 1) * sizeof *objs);
	if (!objs)
		die("out of memory");
	struct loaded *o = &objs[nobjs++];
	memset(o, 0, sizeof *o);
	o->path = strdup(path);
	/* Through /proc/PID/root so that a process in another mount namespace
	 * (a container) is read right; fall back to the plain path. */
	char *p;
	if (asprintf(&p, "/proc/%d/root%s", (int)target_pid, path) < 0)
		die("out of memory");
	o->e = elf_open(p);
	if (o->e->error) {
		free(o->e->error);
		o->e = elf_open(path);
	}
	free(p);
	free(o->e->path);
	o->e->path = strdup(path);
	if (o->e->error)
		return o;
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < o->e->eh->e_phnum; i++)
		if (o->e->ph[i].p_type == PT_LOAD && o->e->ph[i].p_vaddr < first)
			first = o->e->ph[i].p_vaddr;
	if (o->e->eh->e_type == ET_EXEC) {
		o->have_base = 1;
		return o;
	}
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].path && !strcmp(maps[i].path, path) && maps[i].off == 0) {
			o->base = maps[i].lo - (first & ~(uint64_t)0xfff);
			o->have_base = 1;
			break;
		}
	return o;
}

/* "symbol+off (object)" for a process address, or NULL. */
static char *describe(uint64_t addr)
{
	for (size_t i = 0; i < nmaps; i++) {
		if (addr < maps[i].lo || addr >= maps[i].hi || !maps[i].path)
			continue;
		struct loaded *o = loaded_object(maps[i].path);
		if (o->e->error || !o->have_base)
			return NULL;
		const struct sym *s = sym_at(o->e, addr - o->base, 1, 0);
		if (!s)
			s = sym_at(o->e, addr - o->base, 0, 0);
		const char *base = strrchr(o->path, '/');
		base = base ? base + 1 : o->path;
		char *r;
		int rc = s ? (addr - o->base == s->addr
				      ? asprintf(&r, "%s (%s)", s->name, base)
				      : asprintf(&r, "%s+0x%" PRIx64 " (%s)", s->name,
						 addr - o->base - s->addr, base))
			   : asprintf(&r, "(%s)", base);
		if (rc < 0)
			die("out of memory");
		return r;
	}
	return NULL;
}

static void live_key(struct table *t, struct key *k)
{
	uint64_t b = t->base, q;
	if (read_mem(k->desc + b, &q, 8) == 0)
		k->live_var = q;
	if (k->live_var && read_mem(k->live_var, &k->target, 8) == 0) {
		k->have_target = 1;
		k->target_sym = k->target ? describe(k->target) : NULL;
	}
	uint64_t w;
	if (read_mem(k->tramp + b, &w, 8) < 0) {
		k->slot = "unreadable";
	} else if (!slot_word(k->tramp + b, w, &k->slot_reaches)) {
		k->slot_reaches = 0;
		k->slot = "unexpected";
	} else if (!k->slot_reaches) {
		k->slot = "slow-path";
	} else {
		k->slot = "direct";
		k->slot_sym = describe(k->slot_reaches);
	}
}

/* why, then more: a reason of the runtime's, completed. */
static const char *reason_with(const char *why, const char *more)
{
	char *r;
	if (asprintf(&r, "%s%s", why, more) < 0)
		die("out of memory");
	return r;
}

static void live_site(struct table *t, struct key *k, struct site *s)
{
	uint64_t b = t->base;
	if (s->form == F_NONE) {
		s->live = "unverified";
		s->reason = s->why;
		return;
	}
	uint8_t buf[SC_MAX_INSN];
	uint64_t insn = s->insn + b;
	struct sc_code c = code_at(insn, s->form);
	int len = c.len;
	if (read_mem(insn, buf, len) < 0) {
		s->live = "unreadable";
		s->reason = "cannot read the process's memory";
		return;
	}
	if (buf[0] == 0xeb && buf[1] == 0xfe) {
		s->live = "updating";
		s->reason = "holds `jmp .` (an update is in progress)";
		return;
	}
	void *to = NULL;
	switch (sc_arch_read_site(&c, buf, &to)) {
	case STATIC_CALL_SITE_NOP:
		s->live = "nop";
		s->reason = s->form == F_CALL ? "key is NULL: guarded call removed"
					      : "key is NULL: guarded tail call returns";
		return;
	case STATIC_CALL_SITE_RETURN_ZERO:
		s->live = "return-zero";
		s->reason = "static_call_update_ret0: returns 0 inline";
		return;
	case STATIC_CALL_SITE_DIRECT:
		break;
	default:
		s->live = "unverified";
		s->reason = "live bytes are not the compiled instruction (changed by someone else?)";
		return;
	}
	s->reaches = (uintptr_t)to;
	uint64_t tramp = k->tramp + b;
	if (s->reaches != tramp) {
		s->live = s->form == F_CALL ? "direct" : "tail-jump";
		s->reaches_sym = describe(s->reaches);
		if (k->have_target && k->target != s->reaches)
			s->reason = "does not reach the key's current value (an update in progress?)";
		return;
	}
	s->live = "trampoline";
	s->reaches_sym = describe(s->reaches);
	/* Whether the site could reach the target: the runtime's encoder. */
	uint8_t out[SC_MAX_INSN];
	const char *why = NULL;
	memcpy(c.op, buf, 2);
	if (!k->have_target)
		s->reason = "key variable unreadable";
	else if (!k->target)
		s->reason = "target is NULL (the trampoline's slow path calls through the key)";
	else if (!sc_arch_encode_site(&c, addr_ptr(k->target), out, &why))
		s->reason = reason_with(why, !strcmp(k->slot, "direct")
					     ? "; the trampoline jumps to it directly"
					     : " and of the trampoline; slow path");
	else if ((insn + len - 4) / 8 != (insn + len - 1) / 8)
		s->reason = "the instruction straddles an 8-byte word: no single atomic write can "
			    "change it (STATICCALL_STRADDLE=wait patches it through a brief `jmp .`)";
	else if (!strcmp(k->slot, "direct"))
		s->reason = "site kept on its trampoline (STATICCALL_SITES=trampoline, or the runtime "
			    "refused the site: STATICCALL_LOG=info says why)";
	else
		s->reason = "not patched (runtime not loaded or not registered, STATICCALL_DISABLE=1, "
			    "or the runtime refused the site: STATICCALL_LOG=info says why)";
}

static int inspect_pid(pid_t pid)
{
	target_pid = pid;
	read_maps(pid);
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
	memfd = open(p, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		die("cannot open %s: %s (needs the rights to ptrace the process)", p,
		    strerror(errno));
	if (opt_json)
		printf("{\"pid\": %d, \"objects\": [", (int)pid);
	else
		printf("process %d\n", (int)pid);
	int first = 1;
	for (size_t i = 0; i < nmaps; i++) {
		if (!maps[i].path)
			continue;
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			if (maps[j].path && !strcmp(maps[j].path, maps[i].path))
				seen = 1;
		if (seen)
			continue;
		struct loaded *o = loaded_object(maps[i].path);
		if (o->e->error || !o->e->sites || !o->have_base)
			continue;
		struct table t = { .e = o->e, .base = o->base };
		read_tables(&t);
		for (size_t k = 0; k < t.nkeys; k++) {
			live_key(&t, &t.keys[k]);
			for (size_t j = 0; j < t.keys[k].nsites; j++)
				live_site(&t, &t.keys[k], t.keys[k].sites[j]);
		}
		print_table(&t, 1, first);
		first = 0;
	}
	if (opt_json)
		printf("\n]}\n");
	else if (first)
		printf("no loaded object has a static-call site table\n");
	return 0;
}

static int inspect_files(char **files, int n)
{
	int rc = 0, first = 1;
	if (opt_json)
		printf("{\"files\": [");
	for (int i = 0; i < n; i++) {
		struct elf *e = elf_open(files[i]);
		if (e->error) {
			fprintf(stderr, "staticcall-inspect: %s: %s\n", files[i], e->error);
			rc = 1;
			continue;
		}
		struct table t = { .e = e };
		read_tables(&t);
		print_table(&t, 0, first);
		first = 0;
	}
	if (opt_json)
		printf("\n]}\n");
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: staticcall-inspect [--json] [--no-source] FILE...\n"
		"       staticcall-inspect [--json] [--no-source] --pid PID\n"
		"\n"
		"FILE: the keys of an ELF executable or shared object, their call sites\n"
		"(function+offset, file:line when it has debug info) and the form each\n"
		"site was compiled to: call, tail-jump or jcc (anchor: a Clang site,\n"
		"found by decoding forward from its anchor as the runtime does).\n"
		"\n"
		"--pid PID: every loaded object of the process with a site table, each\n"
		"site's live state: direct (to which function), trampoline (and why),\n"
		"unverified. Needs the rights to ptrace PID.\n"
		"\n"
		"--json: one JSON document on stdout instead of the table.\n"
		"--no-source: do not run addr2line for file:line.\n"
		"\n"
		"The runtime itself reports on stderr: STATICCALL_LOG=error|warn|info|debug\n"
		"(info: one line per update and per refused site). STATICCALL_DISABLE=1\n"
		"keeps every call on the slow path; STATICCALL_SITES=trampoline keeps\n"
		"sites on their trampolines. See docs/GUIDE.md.\n");
}

int main(int argc, char **argv)
{
	long pid = -1;
	char **files = xcalloc(argc, sizeof *files);
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "--no-source")) {
			opt_source = 0;
		} else if (!strcmp(argv[i], "--pid") || !strncmp(argv[i], "--pid=", 6)) {
			const char *v = argv[i][5] == '=' ? argv[i] + 6 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			pid = v ? strtol(v, &end, 10) : -1;
			if (!v || *end || pid <= 0) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "staticcall-inspect: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if ((pid > 0) == (nfiles > 0)) {
		usage(stderr);
		return 2;
	}
	return pid > 0 ? inspect_pid((pid_t)pid) : inspect_files(files, nfiles);
}
