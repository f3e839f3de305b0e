/*
 * A running process (--pid): its mappings, the loaded objects with a site
 * table and their load bias, and each key's and site's live bytes read from
 * /proc/PID/mem (needs the same rights as a debugger attaching to PID).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"
#include "staticcall_abi.h"

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
		if (sscanf(line,
			   "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %n",
			   &m.lo, &m.hi, m.perms, &m.off, &pos) < 4)
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
		if (o->e->ph[i].p_type == PT_LOAD &&
		    o->e->ph[i].p_vaddr < first)
			first = o->e->ph[i].p_vaddr;
	if (o->e->eh->e_type == ET_EXEC) {
		o->have_base = 1;
		return o;
	}
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].path && !strcmp(maps[i].path, path) &&
		    maps[i].off == 0) {
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
		const struct sc_elf_sym *s = sym_at(o->e, addr - o->base, 1, 0);
		if (!s)
			s = sym_at(o->e, addr - o->base, 0, 0);
		const char *base = strrchr(o->path, '/');
		base = base ? base + 1 : o->path;
		char *r;
		int rc =
			s ? (addr - o->base == s->addr ?
				     asprintf(&r, "%s (%s)", s->name, base) :
				     asprintf(&r, "%s+0x%" PRIx64 " (%s)",
					      s->name, addr - o->base - s->addr,
					      base)) :
			    asprintf(&r, "(%s)", base);
		if (rc < 0)
			die("out of memory");
		return r;
	}
	return NULL;
}

/* What the runtime knows of its promotable sites (staticcall_abi.h
 * "sc_abi_promote_view"): each site's state, read once from the runtime
 * in the process (the copy whose view lists objects). */
struct view_site {
	uint64_t insn;
	int state;
};
static struct view_site *view_sites;
static size_t nview_sites;
static int view_mode = -1; /* SC_PROMOTE_VIEW_*, -1: no runtime view */

/* At most this many sites in all: a list that lists more (a corrupt
 * one: an object linking to itself, a review's, each time with 2^20
 * sites) is read no further. */
#define VIEW_SITES_MAX (1u << 20)
#define VIEW_BYTES_MAX (256ull << 20) /* (of the runtime's site records) */
static uint64_t view_bytes;

/* 0, or -1 when the view holds more sites than any program would. */
static int read_view_object(const struct sc_abi_promote_view *v, uint64_t po)
{
	uint64_t sites, n;
	if (read_mem(po + v->obj_sites, &sites, 8) ||
	    read_mem(po + v->obj_nsites, &n, 8) ||
	    v->site_insn + 8u > v->site_size || v->site_state >= v->site_size)
		return 0;
	if (n > VIEW_SITES_MAX - nview_sites ||
	    n * v->site_size > VIEW_BYTES_MAX - view_bytes) {
		fprintf(stderr,
			"staticcall-inspect: the runtime's view lists more "
			"promotable sites than any program has (%u, %llu MiB):"
			" a corrupt list, read no further\n",
			VIEW_SITES_MAX, VIEW_BYTES_MAX >> 20);
		return -1;
	}
	view_bytes += n * v->site_size;
	uint8_t *buf = malloc(n * v->site_size + 1);
	view_sites =
		realloc(view_sites, (nview_sites + n) * sizeof *view_sites);
	if (!buf || !view_sites)
		die("out of memory");
	if (!read_mem(sites, buf, n * v->site_size))
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *s = buf + i * v->site_size;
			struct view_site *o = &view_sites[nview_sites++];
			memcpy(&o->insn, s + v->site_insn, 8);
			uint8_t st = s[v->site_state];
			o->state = st < sizeof v->state_of &&
						   v->state_of[st] != 0xff ?
					   v->state_of[st] :
					   -1;
		}
	free(buf);
	return 0;
}

static void read_promote_view(void)
{
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].path)
			loaded_object(maps[i].path);
	for (size_t i = 0; i < nobjs; i++) {
		const struct loaded *o = &objs[i];
		if (o->e->error || !o->have_base)
			continue;
		const struct sc_elf_symbols *syms = &o->e->symbols;
		uint64_t seen = 0; /* .symtab and .dynsym both name it */
		for (size_t j = 0; j < syms->n; j++) {
			struct sc_abi_promote_view v;
			uint64_t at = syms->syms[j].addr + o->base, po;
			if (at == seen ||
			    strcmp(syms->syms[j].name,
				   SC_ABI_PROMOTE_VIEW_SYM) ||
			    read_mem(at, &v, sizeof v) ||
			    v.version != SC_ABI_PROMOTE_VIEW_VERSION ||
			    read_mem(v.objects, &po, 8))
				continue;
			seen = at;
			/* the copy that registered objects, else any */
			if (po || view_mode < 0)
				view_mode = (int)v.mode;
			for (int k = 0; po && k < 65536; k++) {
				if (read_view_object(&v, po) ||
				    read_mem(po + v.obj_next, &po, 8))
					break;
			}
		}
	}
}

/* The runtime's state of the promotable site at insn (enum
 * static_call_promote_state), -1 if it has none; *mode its view's. */
static int promote_state(uint64_t insn, int *mode)
{
	*mode = view_mode;
	for (size_t i = 0; i < nview_sites; i++)
		if (view_sites[i].insn == insn)
			return view_sites[i].state;
	return -1;
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
	} else if (!slot_word(t->e, k->tramp + b, w, &k->slot_reaches)) {
		k->slot_reaches = 0;
		k->slot = "unexpected";
	} else if (!k->slot_reaches && t->e->arch->bind_slot(w) &&
		   w == t->e->arch->bind_slot(w)) {
		k->slot =
			"bind"; /* lazy binding: its call sites not all bound */
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

/*
 * A fragment (runtime/fragment.c) at an x86-64 call site: the live bytes,
 * less their 2e padding prefixes, are the instruction the key's value
 * runs, after its endbr64, followed there by `ret` (or a sequence's
 * instructions then NOPs). Read from
 * the process, as the runtime wrote it: its inline-form table is not
 * visible from outside.
 */
static int holds_fragment_of(const struct sc_code *c, const uint8_t *live,
			     uint64_t target)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint8_t fn[4 + SC_MAX_INSN + 1];
	if (c->kind != SC_INSN_CALL || c->len != 5 || !target ||
	    read_mem(target, fn, sizeof fn) < 0)
		return 0;
	const uint8_t *insn = memcmp(fn, endbr64, 4) ? fn : fn + 4;
	int pad = 0;
	while (pad < 4 && live[pad] == 0x2e)
		pad++;
	if (!memcmp(live + pad, insn, (size_t)(5 - pad)) &&
	    insn[5 - pad] == 0xc3)
		return 1;
	/* a multi-instruction fragment (STATIC_CALL_BOOT keys): the
	 * instructions, then one-byte NOPs up to the call's end */
	for (int n = 2; n < 5; n++) {
		int nops = 1;
		for (int i = n; i < 5; i++)
			nops &= live[i] == 0x90;
		if (nops && insn[n] == 0xc3 && !memcmp(live, insn, (size_t)n))
			return 1;
	}
	return 0;
}

static void live_site(struct table *t, struct key *k, struct site *s)
{
	uint64_t b = t->base;
	if (s->form == F_NONE) {
		s->live = sc_site_form_name(STATIC_CALL_SITE_UNVERIFIED);
		s->reason = s->why;
		return;
	}
	uint8_t buf[SC_MAX_INSN];
	uint64_t insn = s->insn + b;
	const struct sc_arch_ops *arch = t->e->arch;
	struct sc_code c = code_at(t->e, insn, s->form);
	if (read_mem(insn, buf, c.len) < 0) {
		s->live = "unreadable";
		s->reason = "cannot read the process's memory";
		return;
	}
	if (arch->is_transient(&c, buf)) {
		s->live = "updating";
		s->reason = "holds the transient of an update in progress";
		return;
	}
	/* The runtime's classification (site_decode.c), its names. */
	struct sc_decoded d =
		arch->decode_site(&c, buf, addr_ptr(k->tramp + b));
	if (d.form == STATIC_CALL_SITE_UNVERIFIED && k->have_target &&
	    holds_fragment_of(&c, buf, k->target)) {
		s->live = sc_site_form_name(STATIC_CALL_SITE_FRAGMENT);
		s->reason = SC_REASON_INLINE;
		s->reaches = k->target;
		s->reaches_sym = describe(s->reaches);
		return;
	}
	s->live = sc_site_form_name(d.form);
	s->reaches = (uintptr_t)d.reaches;
	switch (d.form) {
	case STATIC_CALL_SITE_NOP:
		s->reason = SC_REASON_NOP;
		return;
	case STATIC_CALL_SITE_RETURN_ZERO:
		s->reason = SC_REASON_RET0;
		return;
	case STATIC_CALL_SITE_RETURN_CONST:
	case STATIC_CALL_SITE_RETURN_ARG:
		/* read from the bytes (x86-64); the key's value is the
		 * generated function doing the same */
		s->reason = SC_REASON_INLINE;
		if (k->have_target)
			s->reaches = k->target;
		return;
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP:
		s->reaches_sym = describe(s->reaches);
		if (k->have_target && k->target != s->reaches)
			s->reason =
				"does not reach the key's current value (an update in progress?)";
		return;
	case STATIC_CALL_SITE_TRAMPOLINE:
		break;
	default:
		s->reason =
			"live bytes are not the compiled instruction (changed by someone else?)";
		return;
	}
	s->reaches_sym = describe(s->reaches);
	/* Whether the site could reach the target, and be written there in
	 * one safe write: the runtime's encoder and planner (patch.c). */
	uint8_t out[SC_MAX_INSN];
	struct sc_byte_patch bp[SC_MAX_BYTE_PATCHES];
	const char *why = NULL;
	memcpy(c.bytes, buf, c.len);
	c.cond = !!(s->flags & SC_SITE_COND);
	arch->keep_compiled(&c, buf);
	if (!k->have_target)
		s->reason = "key variable unreadable";
	else if (!k->target)
		s->reason = SC_REASON_TARGET_NULL
			" (the trampoline's slow path calls through the key)";
	else if (!arch->encode_site(&c, addr_ptr(k->target), out, &why))
		s->reason = reason_with(
			why, !strcmp(k->slot, "direct") ?
				     "; the trampoline jumps to it directly" :
				     " and of the trampoline; slow path");
	else if (arch->plan(&c, buf, out, 0, bp) < 0)
		s->reason =
			"the instruction straddles an 8-byte word: no single atomic write can "
			"change it (STATICCALL_STRADDLE=wait patches it through a brief `jmp .`)";
	else if (!strcmp(k->slot, "bind"))
		s->reason =
			"not bound yet: lazy binding patches it when it first runs "
			"(STATICCALL_BIND=eager, static_call_bind)";
	else if (!strcmp(k->slot, "direct"))
		s->reason =
			"site kept on its trampoline (STATICCALL_SITES=trampoline, or the runtime "
			"refused the site: STATICCALL_LOG=info says why)";
	else
		s->reason = SC_REASON_NOT_PATCHED
			" (runtime not loaded or not registered, STATICCALL_DISABLE=1, "
			"or the runtime refused the site: STATICCALL_LOG=info says why)";
}

int inspect_pid(pid_t pid)
{
	target_pid = pid;
	read_maps(pid);
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
	memfd = open(p, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		die("cannot open %s: %s (needs the rights to ptrace the process)",
		    p, strerror(errno));
	read_promote_view();
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
		if (o->e->error ||
		    (!o->e->sites && !o->e->jumps && !o->e->promote) ||
		    !o->have_base)
			continue;
		struct table t = { .e = o->e, .base = o->base };
		read_tables(&t);
		read_static_keys(&t);
		live_static_keys(&t, read_mem);
		read_promote_sites(&t);
		live_promote_sites(&t, read_mem, describe, promote_state);
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
