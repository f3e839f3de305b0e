/*
 * The tables of one file (docs/ABI.md): its key descriptors, their
 * trampoline slots, its site records, and the form each site was compiled
 * to.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "staticcall_abi.h"

/* ---- decoding sites ---------------------------------------------------- */

const char *const form_names[] = { "call", "tail-jump", "jcc", "unrecognised" };

void *addr_ptr(uint64_t a)
{
	return (void *)(uintptr_t)a;
}

struct sc_code code_at(const struct elf *e, uint64_t insn, int kind)
{
	return (struct sc_code){ .insn = addr_ptr(insn),
				 .kind = (uint8_t)kind,
				 .len = (uint8_t)e->arch->insn_len(kind) };
}

/* The site instruction of any kind at insn (bytes b[0..n)): its kind, and
 * where it goes in *dest; F_NONE if none. */
static int site_insn(const struct elf *e, uint64_t insn, const uint8_t *b,
		     size_t n, uint64_t *dest)
{
	for (int k = F_CALL; k <= F_JCC; k++) {
		struct sc_code c = code_at(e, insn, k);
		void *to = NULL;
		if (n >= c.len && e->arch->match(b, k) &&
		    e->arch->read_site(&c, b, &to) == STATIC_CALL_SITE_DIRECT) {
			*dest = (uintptr_t)to;
			return k;
		}
	}
	return F_NONE;
}

/* Is the slot word valid? *reaches: where it jumps, 0 for the slow path. */
int slot_word(const struct elf *e, uint64_t slot, uint64_t w, uint64_t *reaches)
{
	void *r = NULL;
	if (!e->arch->decode_slot(addr_ptr(slot), w, &r))
		return 0;
	*reaches = (uintptr_t)r;
	return 1;
}

/* ---- the tables -------------------------------------------------------- */

static void problem(struct table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t->problems =
		realloc(t->problems, (t->nproblems + 1) * sizeof *t->problems);
	if (!t->problems || vasprintf(&t->problems[t->nproblems], fmt, ap) < 0)
		die("out of memory");
	t->nproblems++;
	va_end(ap);
}

char *key_name(const struct elf *e, uint64_t desc, uint64_t *var,
	       int *is_static)
{
	const char *rname;
	int64_t addend;
	uint64_t symval;
	*var = 0;
	*is_static = 0;
	enum reloc_kind rk =
		reloc_kind(e, reloc_at(e, desc, &rname, &addend, &symval));
	if (rk == RELOC_SYMBOL) {
		if (rname) {
			*var = symval ? symval + addend : 0;
			char *s;
			if (addend ? asprintf(&s, "%s%+" PRId64, rname,
					      addend) < 0 :
				     !(s = strdup(rname)))
				die("out of memory");
			return s;
		}
	} else if (rk == RELOC_RELATIVE) {
		*var = addend;
	} else {
		size_t avail;
		const uint8_t *p = elf_bytes_at(e, desc, &avail);
		if (p && avail >= 8)
			memcpy(var, p, 8);
	}
	if (*var) {
		const struct sc_elf_sym *s = sym_at(e, *var, 0, 1);
		if (s) {
			*is_static = s->bind == STB_LOCAL;
			return strdup(s->name);
		}
	}
	/* The descriptor's own symbol: __staticcall_key.<K> */
	static const char *const prefixes[] = { SC_ABI_DESC_PREFIX,
						SC_ABI_DESC_COND_PREFIX };
	for (size_t i = 0; i < e->symbols.n; i++)
		for (size_t j = 0; j < sizeof prefixes / sizeof *prefixes;
		     j++) {
			size_t plen = strlen(prefixes[j]);
			if (e->symbols.syms[i].addr == desc &&
			    !strncmp(e->symbols.syms[i].name, prefixes[j],
				     plen)) {
				*is_static = e->symbols.syms[i].bind ==
					     STB_LOCAL;
				return strdup(e->symbols.syms[i].name + plen);
			}
		}
	return strdup("?");
}

void read_tables(struct table *t)
{
	struct elf *e = t->e;
	size_t avail;
	if (e->keys) {
		if (e->keys->sh_size % sizeof(struct sc_abi_desc))
			problem(t, "%s size is not a multiple of %zu",
				SC_ABI_KEYS_SECTION,
				sizeof(struct sc_abi_desc));
		t->nkeys = e->keys->sh_size / sizeof(struct sc_abi_desc);
		t->keys = xcalloc(t->nkeys, sizeof *t->keys);
		for (size_t i = 0; i < t->nkeys; i++) {
			struct key *k = &t->keys[i];
			k->desc = e->keys->sh_addr +
				  i * sizeof(struct sc_abi_desc);
			const uint8_t *p = elf_bytes_at(e, k->desc, &avail);
			struct sc_abi_desc d;
			if (!p || avail < sizeof d) {
				problem(t,
					"descriptor at 0x%" PRIx64
					" not in the file",
					k->desc);
				k->name = strdup("?");
				continue;
			}
			memcpy(&d, p, sizeof d);
			k->flags = d.flags;
			k->tramp = k->desc +
				   offsetof(struct sc_abi_desc, tramp_rel) +
				   (int64_t)d.tramp_rel;
			k->name = key_name(e, k->desc, &k->var, &k->is_static);
			const uint8_t *slot = elf_bytes_at(e, k->tramp, &avail);
			uint64_t w;
			uint64_t to;
			if (slot && avail >= SC_TRAMP_SLOT) {
				memcpy(&w, slot, SC_TRAMP_SLOT);
				k->slot = slot_word(e, k->tramp, w, &to) &&
							  !to ?
						  "slow-path" :
						  "unexpected";
			} else {
				k->slot = "missing";
			}
		}
	}
	if (!e->sites)
		return;
	if (e->sites->sh_size % sizeof(struct sc_abi_site))
		problem(t, "%s size is not a multiple of %zu",
			SC_ABI_SITES_SECTION, sizeof(struct sc_abi_site));
	t->nsites = e->sites->sh_size / sizeof(struct sc_abi_site);
	t->sites = xcalloc(t->nsites, sizeof *t->sites);
	for (size_t i = 0; i < t->nsites; i++) {
		struct site *s = &t->sites[i];
		s->record = e->sites->sh_addr + i * sizeof(struct sc_abi_site);
		s->form = F_NONE;
		const uint8_t *p = elf_bytes_at(e, s->record, &avail);
		struct sc_abi_site r;
		if (!p || avail < sizeof r) {
			s->why = "record not in the file";
			continue;
		}
		memcpy(&r, p, sizeof r);
		s->flags = r.flags;
		s->addr = s->record + offsetof(struct sc_abi_site, site_rel) +
			  (int64_t)r.site_rel;
		uint64_t desc = s->record +
				offsetof(struct sc_abi_site, desc_rel) +
				(int64_t)r.desc_rel;
		struct key *k = NULL;
		for (size_t j = 0; j < t->nkeys; j++)
			if (t->keys[j].desc == desc)
				k = &t->keys[j];
		if (!k) {
			problem(t,
				"site record 0x%" PRIx64
				" names no descriptor of %s",
				s->record, SC_ABI_KEYS_SECTION);
			continue;
		}
		k->sites =
			realloc(k->sites, (k->nsites + 1) * sizeof *k->sites);
		if (!k->sites)
			die("out of memory");
		k->sites[k->nsites++] = s;
		s->func = sym_at(e, s->addr, 1, 0);
		const Elf64_Phdr *seg = segment_of(e, s->addr);
		const uint8_t *b = elf_bytes_at(e, s->addr, &avail);
		if (!b || !seg || !(seg->p_flags & PF_X)) {
			s->why = "site is not in an executable segment";
			continue;
		}
		if (s->flags & SC_SITE_ANCHOR) {
			/* The runtime's search, on the file's bytes: the
			 * trampoline as seen from them. */
			uint8_t *p;
			int kind;
			if (!e->arch->find_site(b, b + avail,
						b + (k->tramp - s->addr), &p,
						&kind, &s->why))
				continue;
			s->insn = s->addr + (uint64_t)(p - b);
			s->form = kind;
			continue;
		}
		uint64_t dest = 0;
		int f = site_insn(e, s->addr, b, avail, &dest);
		if (f == F_NONE) {
			s->why = SC_REASON_NOT_A_SITE;
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
			addrs[i] = t->sites[i].insn ? t->sites[i].insn :
						      t->sites[i].addr;
		struct srcloc *src = addr2line(e->path, addrs, t->nsites);
		for (size_t i = 0; i < t->nsites; i++)
			t->sites[i].src = src[i];
		free(src);
		free(addrs);
	}
}
