/*
 * Static keys in an ELF file (include/staticcall/kernel.h): each record of
 * __staticcall_jump, its site (function+offset), the key it tests (through
 * its key pointer and that pointer's relocation), the sense, and what the
 * site was compiled to (a jump to its load and test). docs/ABI.md,
 * "Static keys".
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "staticcall_abi.h"

static int32_t rel_at(const struct elf *e, uint64_t va, int *ok)
{
	size_t avail;
	const uint8_t *p = elf_bytes_at(e, va, &avail);
	int32_t v = 0;
	*ok = p && avail >= 4;
	if (*ok)
		memcpy(&v, p, 4);
	return v;
}

void read_static_keys(struct table *t)
{
	const struct elf *e = t->e;
	if (!e->jumps)
		return;
	size_t n = e->jumps->sh_size / sizeof(struct sc_abi_jump);
	t->jumps = xcalloc(n, sizeof *t->jumps);
	for (size_t i = 0; i < n; i++) {
		uint64_t r = e->jumps->sh_addr + i * sizeof(struct sc_abi_jump);
		struct jump_site *j = &t->jumps[t->njumps];
		int ok1, ok2, ok3, ok4;
		j->site = r + rel_at(e, r, &ok1);
		j->target = r + 4 + rel_at(e, r + 4, &ok2);
		j->keyref = r + 8 + rel_at(e, r + 8, &ok3);
		j->likely = (rel_at(e, r + 12, &ok4) & SC_JUMP_LIKELY) != 0;
		if (!ok1 || !ok2 || !ok3 || !ok4)
			continue; /* not in the file (a malformed table) */
		int is_static;
		j->key = key_name(e, j->keyref, &j->var, &is_static);
		if (!j->key)
			j->key = strdup("?");
		j->func = sym_at(e, j->site, 1, 0);
		size_t avail;
		const uint8_t *b = elf_bytes_at(e, j->site, &avail);
		void *dest = NULL;
		int form = b && avail >= SC_MAX_INSN ?
				   e->arch->jump_read(addr_ptr(j->site), b,
						      &dest) :
				   STATIC_KEY_SITE_UNVERIFIED;
		j->compiled = form == STATIC_KEY_SITE_JUMP ? "load-and-test" :
			      form == STATIC_KEY_SITE_NOP  ? "nop" :
							     "unexpected";
		t->njumps++;
	}
}

void live_static_keys(struct table *t,
		      int (*read)(uint64_t addr, void *buf, size_t n))
{
	for (size_t i = 0; i < t->njumps; i++) {
		struct jump_site *j = &t->jumps[i];
		uint8_t b[SC_MAX_INSN];
		void *dest = NULL;
		uint64_t at = j->site + t->base;
		int form =
			read(at, b, sizeof b) ?
				STATIC_KEY_SITE_UNVERIFIED :
				t->e->arch->jump_read(addr_ptr(at), b, &dest);
		j->live = form == STATIC_KEY_SITE_NOP  ? "nop" :
			  form != STATIC_KEY_SITE_JUMP ? "unexpected" :
			  (uint64_t)(uintptr_t)dest == j->target + t->base ?
							 "jump" :
							 "load-and-test";
	}
}

void print_static_keys(const struct table *t)
{
	if (opt_json) {
		printf(",\n     \"static_key_sites\": [");
		for (size_t i = 0; i < t->njumps; i++) {
			const struct jump_site *j = &t->jumps[i];
			printf("%s\n      {\"key\": \"%s\", \"address\": "
			       "\"0x%" PRIx64 "\", \"function\": ",
			       i ? "," : "", j->key, j->site + t->base);
			if (j->func)
				printf("\"%s\", \"offset\": %" PRIu64,
				       j->func->name, j->site - j->func->addr);
			else
				printf("null, \"offset\": 0");
			printf(", \"target\": \"0x%" PRIx64 "\", \"branch\": "
			       "\"%s\", \"compiled\": \"%s\"",
			       j->target + t->base,
			       j->likely ? "likely" : "unlikely", j->compiled);
			if (j->live)
				printf(", \"live\": \"%s\"", j->live);
			printf("}");
		}
		printf("]");
		return;
	}
	if (!t->njumps)
		return;
	printf("  %zu static key site%s\n", t->njumps,
	       t->njumps == 1 ? "" : "s");
	for (size_t i = 0; i < t->njumps; i++) {
		const struct jump_site *j = &t->jumps[i];
		char fo[256];
		if (j->func)
			snprintf(fo, sizeof fo, "%s+0x%" PRIx64, j->func->name,
				 j->site - j->func->addr);
		else
			snprintf(fo, sizeof fo, "?");
		printf("    0x%-14" PRIx64 " %-28s key %s, %s, %s%s%s\n",
		       j->site + t->base, fo, j->key,
		       j->likely ? "likely" : "unlikely", j->compiled,
		       j->live ? "; live: " : "", j->live ? j->live : "");
	}
}
