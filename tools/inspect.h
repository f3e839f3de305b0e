/*
 * staticcall-inspect's internal interface: what its files share.
 *
 *   inspect_elf.c     an ELF file: sections, symbols, relocations, bytes
 *   inspect_lines.c   source lines of addresses (addr2line)
 *   inspect_tables.c  the key and site tables of one file, the compiled forms
 *   inspect_live.c    a running process (--pid): live forms and why
 *   inspect_print.c   text and JSON output
 *   staticcall-inspect.c  options, files, main
 */
#ifndef STATICCALL_INSPECT_H
#define STATICCALL_INSPECT_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "reasons.h"
#include "elf_symbols.h"

/* Options (staticcall-inspect.c). */
extern int opt_json, opt_source;

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *xcalloc(size_t n, size_t sz);

/* ---- an ELF file (inspect_elf.c) --------------------------------------- */

struct elf {
	char *path;
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Phdr *ph;
	const char *shstr;
	struct sc_elf_symbols symbols; /* the runtime's reader (elf_symbols.c) */
	const Elf64_Shdr *sites, *keys;
	const Elf64_Shdr *jumps; /* static keys' records (__staticcall_jump) */
	const Elf64_Shdr *promote; /* promotable sites (__staticcall_promote) */
	const struct sc_arch_ops *arch; /* by e_machine: x86-64 or arm64 */
	const char *arch_name;
	int has_debug;
	char *error; /* why it cannot be read, NULL if fine */
};

/* Never NULL: e->error says why the file cannot be read. */
struct elf *elf_open(const char *path);
const Elf64_Phdr *segment_of(const struct elf *e, uint64_t va);
const uint8_t *elf_bytes_at(const struct elf *e, uint64_t va, size_t *avail);
const struct sc_elf_sym *sym_at(const struct elf *e, uint64_t addr,
				int functions, int exact);
int reloc_at(const struct elf *e, uint64_t va, const char **name,
	     int64_t *addend, uint64_t *symval);
/* What a dynamic relocation type of the file's arch writes. */
enum reloc_kind { RELOC_OTHER, RELOC_SYMBOL, RELOC_RELATIVE };
enum reloc_kind reloc_kind(const struct elf *e, int type);

/* ---- source lines (inspect_lines.c) ------------------------------------ */

struct srcloc {
	char *file_line;    /* file:line of the site, NULL if unknown */
	char *inlined_into; /* outermost function when inlined, else NULL */
};

struct srcloc *addr2line(const char *path, const uint64_t *addrs, size_t n);

/* ---- tables and forms (inspect_tables.c) ------------------------------- */

enum form {
	F_CALL = SC_INSN_CALL,
	F_JMP = SC_INSN_JMP,
	F_JCC = SC_INSN_JCC,
	F_NONE
};
extern const char *const form_names[];

struct site {
	uint64_t record; /* vaddr of the record */
	uint64_t addr;	 /* the address the record names (site or anchor) */
	uint64_t insn;	 /* the call/jmp/jcc (file vaddr), 0 if not found */
	uint32_t flags;
	int form;	 /* compiled form, enum form */
	const char *why; /* why unrecognised */
	const struct sc_elf_sym *func;
	struct srcloc src;
	/* live */
	const char *live; /* direct/tail-jump/trampoline/unverified/updating */
	uint64_t reaches; /* live destination (process address) */
	char *reaches_sym;
	const char *reason;
};

struct key {
	uint64_t desc; /* vaddr of the descriptor */
	uint64_t var;  /* key variable's vaddr in this file, 0 if elsewhere */
	char *name;
	int is_static;
	uint64_t tramp;
	uint32_t flags;
	const char *slot; /* "slow-path" / "direct" / "unexpected" */
	struct site **sites;
	size_t nsites;
	/* live */
	uint64_t live_var, target, slot_reaches;
	int have_target;
	char *target_sym, *slot_sym;
};

/* One static key site (inspect_keys.c). */
struct jump_site {
	uint64_t site, target, keyref, var;
	char *key;	      /* the key variable's name */
	int likely;	      /* static_branch_likely */
	const char *compiled; /* "load-and-test", else what it holds */
	const char *live;     /* --pid: "nop", "jump", "load-and-test" */
	const struct sc_elf_sym *func;
};

/* One promotable indirect-call site (inspect_promote.c; docs/GUIDE.md
 * "Promoted indirect calls"). */
#define PROMOTE_MAX_TARGETS 16 /* runtime/promote.h's */
struct promote_site {
	uint64_t site, thunk; /* file addresses */
	int reg, tail;
	int jump; /* a tail site that is no call (SC_PROMOTE_JUMP) */
	int sls; /* arm64: a `bl` to LLVM's own SLS thunk (SC_PROMOTE_SLS) */
	const char *compiled; /* "thunk", "sls-thunk" or what it holds
				 instead */
	const struct sc_elf_sym *func;
	/* --pid */
	const char *live; /* learning, thunk, off, sealed, megamorphic,
			     far, given-up, promoted, ... */
	uint64_t stub;	  /* promoted: the stub (process address) */
	int in_place;	  /* given up, `call *%reg` in its own bytes
			     (promote-plain; terminal) */
	int ntargets, counted;
	uint64_t targets[PROMOTE_MAX_TARGETS], hits[PROMOTE_MAX_TARGETS];
	uint64_t misses;
	char *target_sym[PROMOTE_MAX_TARGETS];
	/* the slow path of an inline site (SC_PROMOTE_INLINE): its `leaq
	 * A` (file address); --pid: A, 0 when closed, and its symbol;
	 * bypassed: closed for good, its first instruction a `jmp` to the
	 * slow path; unexpected: that instruction neither as compiled nor
	 * that jmp (a breakpoint) */
	uint64_t inline_seq, inline_target;
	char *inline_sym;
	int inline_bypassed, inline_unexpected;
};

struct table {
	struct elf *e;
	struct jump_site *jumps;
	size_t njumps;
	struct key *keys;
	size_t nkeys;
	struct site *sites;
	size_t nsites;
	char **problems;
	size_t nproblems;
	uint64_t base; /* live: load bias */
	struct promote_site *promote;
	size_t npromote;
};

/* Fills t from t->e: keys, sites, compiled forms, source lines. */
void read_tables(struct table *t);
/* The name of the variable a pointer at vaddr `at` (with its relocation)
 * points to; *var its address in the file, 0 if elsewhere. */
char *key_name(const struct elf *e, uint64_t at, uint64_t *var, int *is_static);
/* Static keys (inspect_keys.c): t->jumps from t->e; print them (text, or
 * the JSON member "static_key_sites" of the file's object). */
void read_static_keys(struct table *t);
void print_static_keys(const struct table *t);
/* --pid: each site's live form, read through read(addr, buf, n). */
void live_static_keys(struct table *t,
		      int (*read)(uint64_t addr, void *buf, size_t n));

/* The runtime's decoding (e->arch), on addresses that are never
 * dereferenced. */
void *addr_ptr(uint64_t a);
struct sc_code code_at(const struct elf *e, uint64_t insn, int kind);
int slot_word(const struct elf *e, uint64_t slot, uint64_t w,
	      uint64_t *reaches);

/* Promotable sites (inspect_promote.c): t->promote from t->e; with --pid
 * each one's live state through read(), targets named by describe();
 * print them (text, or the JSON member "promote_sites"). */
void read_promote_sites(struct table *t);
void live_promote_sites(struct table *t,
			int (*read)(uint64_t addr, void *buf, size_t n),
			char *(*describe)(uint64_t addr),
			int (*state)(uint64_t insn, int *mode));
void print_promote_sites(const struct table *t, int live);

/* ---- a running process (inspect_live.c) -------------------------------- */

int inspect_pid(pid_t pid);

/* ---- output (inspect_print.c) ------------------------------------------ */

/* One object, static or live. */
void print_table(const struct table *t, int live, int first);

#endif
