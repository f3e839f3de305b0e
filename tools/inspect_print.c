/*
 * Output: one object's keys and sites, as the readable table or as JSON.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "staticcall_abi.h"

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

static void json_addr(uint64_t a)
{
	printf("\"0x%" PRIx64 "\"", a);
}

static char *func_off(const struct site *s, uint64_t addr)
{
	char *r;
	if (!s->func)
		return strdup("?");
	if (asprintf(&r, "%s+0x%" PRIx64, s->func->name, addr - s->func->addr) <
	    0)
		die("out of memory");
	return r;
}

static const char *desc_flags(uint32_t f)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%s%s%s",
		 f & SC_DESC_RETPOLINE ? "retpoline," : "",
		 f & SC_DESC_IBT ? "ibt," : "",
		 f & SC_DESC_COND ? "null-safe," : "");
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

void print_table(const struct table *t, int live, int first)
{
	const struct elf *e = t->e;
	size_t ns = 0;
	for (size_t i = 0; i < t->nkeys; i++)
		ns += t->keys[i].nsites;
	if (opt_json) {
		printf("%s\n    {\"file\": ", first ? "" : ",");
		json_str(e->path);
		printf(", \"type\": \"%s\", \"arch\": \"%s\"", file_type(e),
		       e->arch_name);
		if (live)
			printf(", \"base\": \"0x%" PRIx64 "\"", t->base);
		printf(", \"debug_info\": %s, \"problems\": [",
		       e->has_debug ? "true" : "false");
		for (size_t i = 0; i < t->nproblems; i++) {
			printf("%s", i ? ", " : "");
			json_str(t->problems[i]);
		}
		printf("],\n     \"keys\": [");
		for (size_t i = 0; i < t->nkeys; i++) {
			const struct key *k = &t->keys[i];
			printf("%s\n      {\"name\": ", i ? "," : "");
			json_str(k->name);
			printf(", \"static\": %s, \"variable\": ",
			       k->is_static ? "true" : "false");
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
			printf(", \"flags\": \"%s\", \"slot\": \"%s\"",
			       desc_flags(k->flags), k->slot);
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
				printf("%s\n        {\"address\": ",
				       j ? "," : "");
				json_addr(a + t->base);
				printf(", \"function\": ");
				json_str(s->func ? s->func->name : NULL);
				printf(", \"offset\": %" PRIu64
				       ", \"source\": ",
				       s->func ? a - s->func->addr : 0);
				json_str(s->src.file_line);
				printf(", \"inlined_into\": ");
				json_str(s->src.inlined_into);
				printf(", \"anchor\": ");
				if (s->flags & SC_SITE_ANCHOR)
					json_addr(s->addr + t->base);
				else
					printf("null");
				printf(", \"compiled\": \"%s\", \"tail\": %s, \"why\": ",
				       form_names[s->form],
				       s->flags & SC_SITE_TAIL ? "true" :
								 "false");
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
			}
			printf("]}");
		}
		printf("]");
		print_static_keys(t);
		print_promote_sites(t, live);
		printf("}");
		return;
	}

	printf("%s%s (%s, %s%s): %zu key%s, %zu site%s\n", first ? "" : "\n",
	       e->path, file_type(e), e->arch_name,
	       e->has_debug ? ", debug info" : "", t->nkeys,
	       t->nkeys == 1 ? "" : "s", ns, ns == 1 ? "" : "s");
	if (live)
		printf("  loaded at 0x%" PRIx64 "\n", t->base);
	for (size_t i = 0; i < t->nproblems; i++)
		printf("  problem: %s\n", t->problems[i]);
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct key *k = &t->keys[i];
		printf("  key %s%s  trampoline 0x%" PRIx64, k->name,
		       k->is_static ? " (static)" : "", k->tramp + t->base);
		if (k->flags)
			printf(" [%s]", desc_flags(k->flags));
		if (live) {
			if (k->have_target)
				printf("\n    target 0x%" PRIx64 " %s",
				       k->target,
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
			int n = snprintf(
				row, sizeof row,
				"    0x%-14" PRIx64 " %-28s %-20s %s%s%s%s%s%s",
				a + t->base, fo, form,
				s->src.file_line ? s->src.file_line : "",
				s->src.inlined_into ? " (inlined into " : "",
				s->src.inlined_into ? s->src.inlined_into : "",
				s->src.inlined_into ? ")" : "",
				s->why ? " - " : "", s->why ? s->why : "");
			if (n > (int)sizeof row - 1)
				n = sizeof row - 1;
			while (n > 0 && row[n - 1] == ' ')
				row[--n] = 0;
			printf("%s\n", row);
			if (live) {
				printf("      %s", s->live ? s->live : "?");
				if (s->reaches)
					printf(" -> 0x%" PRIx64 " %s",
					       s->reaches,
					       s->reaches_sym ? s->reaches_sym :
								"");
				if (s->reason)
					printf(": %s", s->reason);
				printf("\n");
			}
			free(fo);
		}
	}
	print_static_keys(t);
	print_promote_sites(t, live);
}
