/*
 * object.c - trust nothing in a site table until the object's own program
 * headers say it is sane.
 *
 * The table reached us through a pointer the plugin-generated constructor
 * passed in. We find the linked object that contains it (dl_iterate_phdr),
 * check the header, then check every record: descriptors inside the
 * descriptor table, trampolines and sites inside an executable segment of
 * this same object, and the bytes at each one exactly what the plugin
 * emitted. A record that fails is reported and never patched: its code
 * stays as compiled, which is always correct.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct find_ctx {
	uintptr_t addr;
	struct sc_object *obj;
	int found;
};

static int prot_of(ElfW(Word) f)
{
	return ((f & PF_R) ? PROT_READ : 0) | ((f & PF_W) ? PROT_WRITE : 0) |
	       ((f & PF_X) ? PROT_EXEC : 0);
}

static char *self_exe_name(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return strdup("(main program)");
	buf[n] = 0;
	return strdup(buf);
}

static int find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find_ctx *fc = data;
	(void)size;
	int hit = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && fc->addr >= lo &&
		    fc->addr < lo + ph->p_memsz)
			hit = 1;
	}
	if (!hit)
		return 0;
	struct sc_object *o = fc->obj;
	o->base = info->dlpi_addr;
	o->name = info->dlpi_name && info->dlpi_name[0] ?
			  strdup(info->dlpi_name) :
			  self_exe_name();
	for (int i = 0; i < info->dlpi_phnum && o->nsegs < SC_MAX_SEGMENTS;
	     i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		o->segs[o->nsegs++] =
			(struct sc_segment){ lo, lo + ph->p_memsz,
					     prot_of(ph->p_flags) };
	}
	fc->found = 1;
	return 1;
}

int sc_object_locate(struct sc_object *o, const void *addr)
{
	struct find_ctx fc = { (uintptr_t)addr, o, 0 };
	dl_iterate_phdr(find_cb, &fc);
	return fc.found ? 0 : -ENOENT;
}

static const struct sc_segment *segment_of(const struct sc_object *o,
					   uintptr_t p, size_t len)
{
	for (int i = 0; i < o->nsegs; i++)
		if (p >= o->segs[i].lo && p + len <= o->segs[i].hi &&
		    p + len >= p)
			return &o->segs[i];
	return NULL;
}

int sc_object_prot(const struct sc_object *o, const void *p, size_t len)
{
	const struct sc_segment *s = segment_of(o, (uintptr_t)p, len);
	return s ? s->prot : -1;
}

int sc_object_exec_prot(const struct sc_object *o, const void *p, size_t len)
{
	const struct sc_segment *s = segment_of(o, (uintptr_t)p, len);
	if (!s || !(s->prot & PROT_EXEC))
		return 0;
	/* The pages we would mprotect must belong to this segment only, or
	 * restoring "its" protection could change another segment's. */
	size_t ps = sc_page_size();
	uintptr_t plo = (uintptr_t)p & ~(ps - 1);
	uintptr_t phi = ((uintptr_t)p + len + ps - 1) & ~(ps - 1);
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *t = &o->segs[i];
		if (t == s)
			continue;
		uintptr_t tlo = t->lo & ~(ps - 1);
		uintptr_t thi = (t->hi + ps - 1) & ~(ps - 1);
		if (tlo < phi && plo < thi && t->prot != s->prot)
			return 0;
	}
	return s->prot;
}

static int header_ok(const struct sc_object *o, const struct sc_abi_object *a)
{
	const char *why = NULL;
	if (a->magic != SC_ABI_MAGIC)
		why = "bad magic";
	else if (a->version != SC_ABI_VERSION)
		why = "unsupported table version";
	else if (a->arch != sc_arch_id())
		why = "table built for another architecture";
	else if (a->site_size != sizeof(struct sc_abi_site) ||
		 a->desc_size != sizeof(struct sc_abi_desc))
		why = "unexpected record sizes";
	else if (a->sites_end < a->sites_begin || a->descs_end < a->descs_begin)
		why = "inverted table bounds";
	else if (((uintptr_t)a->sites_begin & 3) ||
		 ((uintptr_t)a->descs_begin & 7) ||
		 ((char *)a->sites_end - (char *)a->sites_begin) %
			 sizeof(struct sc_abi_site) ||
		 ((char *)a->descs_end - (char *)a->descs_begin) %
			 sizeof(struct sc_abi_desc))
		why = "misaligned table";
	else if (a->sites_end > a->sites_begin) {
		const struct sc_segment *s =
			segment_of(o, (uintptr_t)a->sites_begin,
				   (size_t)((char *)a->sites_end -
					    (char *)a->sites_begin));
		if (!s)
			why = "site table outside its object";
		else if (s->prot & PROT_WRITE)
			why = "site table is writable";
	}
	if (!why && a->descs_end > a->descs_begin &&
	    !segment_of(o, (uintptr_t)a->descs_begin,
			(size_t)((char *)a->descs_end - (char *)a->descs_begin)))
		why = "key table outside its object";
	if (why) {
		if (a->magic == SC_ABI_MAGIC && a->version != SC_ABI_VERSION)
			sc_log(SC_LOG_ERROR,
			       "%s: site table version %u, this runtime reads %u: "
			       "not patched (rebuild with a matching plugin)",
			       o->name, a->version, SC_ABI_VERSION);
		else
			sc_log(SC_LOG_ERROR, "%s: %s: site table ignored",
			       o->name, why);
		return 0;
	}
	return 1;
}

static void load_tramp(struct sc_object *o, struct sc_tramp *t,
		       const struct sc_abi_desc *d)
{
	uint8_t *slot = (uint8_t *)&d->tramp_rel + d->tramp_rel;
	void *reaches;
	uint64_t word;
	t->object = o;
	t->flags = d->flags;
	t->code.insn = slot;
	t->code.len = 8;
	t->code.kind = SC_INSN_SLOT;
	t->code.state = SC_CODE_UNVERIFIED;
	if ((uintptr_t)slot % sc_arch_tramp_align() ||
	    !(t->code.prot = sc_object_exec_prot(o, slot, SC_TRAMP_SLOT))) {
		t->code.reason =
			"trampoline is not in an executable segment of its object";
		sc_log(SC_LOG_WARN, "%s: trampoline %p: %s", o->name,
		       (void *)slot, t->code.reason);
		return;
	}
	word = sc_code_load64((const uint64_t *)slot);
	memcpy(t->code.bytes, &word, 8);
	if (!sc_arch_decode_slot(slot, word, &reaches)) {
		t->code.reason = "trampoline slot holds unexpected bytes";
		sc_log(SC_LOG_WARN, "%s: trampoline %p: %s", o->name,
		       (void *)slot, t->code.reason);
		return;
	}
	t->code.state = SC_CODE_OK;
	/* Lazy binding only through a bind block exactly as the plugin
	 * emits it, calling into this object (its PLT): the slot's bind form
	 * jumps there (docs/ABI.md). */
	const uint8_t *lo;
	const void *callee;
	t->bindable = (d->flags & SC_DESC_BIND) &&
		      sc_object_exec_prot(o, slot - 64, 64) &&
		      sc_arch_bind_block_ok(slot, d, &lo, &callee) &&
		      sc_object_exec_prot(o, lo, (size_t)(slot - lo)) &&
		      sc_object_exec_prot(o, callee, 1);
}

/* Check a site's bytes: the plugin's call/jmp/jcc to its own trampoline. */
static void verify_site(struct sc_site *s)
{
	struct sc_code *c = &s->code;
	uint8_t live[SC_MAX_INSN];
	memcpy(live, c->insn, c->len);
	struct sc_decoded d = sc_decode_site(c, live, s->tramp->code.insn);
	if (d.form == STATIC_CALL_SITE_TRAMPOLINE) {
		memcpy(c->bytes, live, c->len);
		sc_arch_keep_compiled(c, live);
		c->state = SC_CODE_OK;
		c->reason = NULL;
	} else {
		c->reason = SC_REASON_NOT_A_SITE;
	}
}

int sc_site_recheck(struct sc_site *s)
{
	if (s->code.state == SC_CODE_UNVERIFIED && s->code.prot &&
	    s->tramp->code.state == SC_CODE_OK)
		verify_site(s);
	return s->code.state == SC_CODE_OK;
}

/* The writable span of a site: the aligned words holding it. */
static int site_prot(const struct sc_object *o, const uint8_t *insn, int len)
{
	uintptr_t lo = (uintptr_t)insn & ~(uintptr_t)7;
	uintptr_t hi = ((uintptr_t)insn + len + 7) & ~(uintptr_t)7;
	return sc_object_exec_prot(o, (void *)lo, hi - lo);
}

static void report_left(const struct sc_object *o, const struct sc_site *s)
{
	sc_log(SC_LOG_WARN, "%s: site %p (offset %#lx): %s: left as compiled",
	       o->name, (void *)s->record_addr,
	       (unsigned long)((uintptr_t)s->record_addr - o->base),
	       s->code.reason);
}

static void load_site(struct sc_object *o, struct sc_site *s,
		      const struct sc_abi_site *r, int quiet)
{
	uint8_t *at = (uint8_t *)&r->site_rel + r->site_rel;
	const char *why = NULL;
	s->object = o;
	s->flags = r->flags;
	s->code.cond = !!(r->flags & SC_SITE_COND);
	s->record_addr = at;
	s->code.insn = at;
	s->code.state = SC_CODE_UNVERIFIED;
	if (r->flags & SC_SITE_ANCHOR) {
		const struct sc_segment *seg = NULL;
		for (int i = 0; i < o->nsegs; i++)
			if ((uintptr_t)at >= o->segs[i].lo &&
			    (uintptr_t)at < o->segs[i].hi &&
			    (o->segs[i].prot & PROT_EXEC))
				seg = &o->segs[i];
		uint8_t *insn;
		int kind;
		if (!seg)
			why = "anchor is not in an executable segment of its object";
		else if (sc_find_site(at, (const uint8_t *)seg->hi,
				      s->tramp->code.insn, &insn, &kind,
				      &why)) {
			s->code.insn = insn;
			s->code.kind = (uint8_t)kind;
			if (kind != SC_INSN_CALL)
				s->flags |= SC_SITE_TAIL;
		}
	} else {
		s->code.kind = (r->flags & SC_SITE_TAIL) ? SC_INSN_JMP :
							   SC_INSN_CALL;
	}
	s->code.len = (uint8_t)sc_arch_insn_len(s->code.kind);
	if (!why && !(s->code.prot = site_prot(o, s->code.insn, s->code.len)))
		why = "site is not in an executable segment of its object";
	if (!why) {
		verify_site(s);
		why = s->code.reason;
	}
	s->code.reason = why;
	if (s->code.state != SC_CODE_OK && !quiet)
		report_left(o, s);
}

static int cmp_site_insn(const void *a, const void *b)
{
	const struct sc_site *x = a, *y = b;
	return x->code.insn < y->code.insn ? -1 : x->code.insn > y->code.insn;
}

/* Two records naming one instruction (an anchor duplicated by the
 * optimizer, say) must not become two writers of the same bytes. */
static void drop_duplicates(struct sc_object *o)
{
	sc_sort(o->sites, o->nsites, sizeof *o->sites, cmp_site_insn);
	size_t n = 0;
	for (size_t i = 0; i < o->nsites; i++) {
		if (n && o->sites[n - 1].code.insn == o->sites[i].code.insn) {
			sc_log(SC_LOG_DEBUG, "%s: site %p recorded twice",
			       o->name, (void *)o->sites[i].code.insn);
			continue;
		}
		o->sites[n++] = o->sites[i];
	}
	o->nsites = n;
}

static int cmp_tramp_insn(const void *a, const void *b)
{
	const struct sc_tramp *x = *(struct sc_tramp *const *)a;
	const struct sc_tramp *y = *(struct sc_tramp *const *)b;
	return x->code.insn < y->code.insn ? -1 : x->code.insn > y->code.insn;
}

struct sc_tramp **
sc_object_tramps_by_address(struct sc_object *o,
			    int (*keep)(const struct sc_tramp *), size_t *n)
{
	struct sc_tramp **ts =
		sc_mem_alloc((o->ntramps ? o->ntramps : 1) * sizeof *ts);
	*n = 0;
	if (!ts)
		return NULL;
	for (size_t i = 0; i < o->ntramps; i++)
		if (keep(&o->tramps[i]))
			ts[(*n)++] = &o->tramps[i];
	sc_sort(ts, *n, sizeof *ts, cmp_tramp_insn);
	return ts;
}

static int tramp_verified(const struct sc_tramp *t)
{
	return t->code.state == SC_CODE_OK;
}

static void refuse(struct sc_code *c)
{
	c->state = SC_CODE_UNVERIFIED;
	c->prot = 0; /* never written, never read */
	c->reason = "overlaps another patchable piece of code";
}

/* Pieces of code are at most this long (a slot), so a piece can only
 * overlap those that start fewer bytes before it. */
#define PIECE_MAX 8
/* How many earlier pieces starting within PIECE_MAX bytes are compared;
 * more than that (only a hostile table stacks so many) refuses the piece. */
#define WINDOW 16

/*
 * Two verified pieces of code that overlap (two keys naming one
 * trampoline, an anchor resolving into a slot, a site inside another)
 * would each be rewritten for its own key and corrupt the other: neither
 * is patched. One pass over the pieces in address order (the sites are
 * sorted by drop_duplicates, the slots merged in), each compared with the
 * few before it: no copy and no sort of 100,000 pieces.
 */
static void refuse_overlaps(struct sc_object *o)
{
	size_t nt;
	struct sc_tramp **ts =
		sc_object_tramps_by_address(o, tramp_verified, &nt);
	if (!ts)
		return;

	struct sc_code *win[WINDOW]; /* the last pieces, a ring */
	size_t seen = 0;
	for (size_t t = 0, i = 0; t < nt || i < o->nsites;) {
		struct sc_code *c;
		if (i < o->nsites && o->sites[i].code.state != SC_CODE_OK) {
			i++;
			continue;
		}
		if (i == o->nsites ||
		    (t < nt && ts[t]->code.insn < o->sites[i].code.insn))
			c = &ts[t++]->code;
		else
			c = &o->sites[i++].code;
		uintptr_t lo = (uintptr_t)c->insn;
		size_t near = 0;
		int hit = 0;
		for (size_t k = 0; k < seen && k < WINDOW; k++) {
			struct sc_code *q = win[(seen - 1 - k) % WINDOW];
			if ((uintptr_t)q->insn + PIECE_MAX <= lo)
				break;
			near++;
			if ((uintptr_t)q->insn + q->len > lo) {
				sc_log(SC_LOG_WARN,
				       "%s: code at %p overlaps code "
				       "at %p: neither is patched",
				       o->name, (void *)q->insn,
				       (void *)c->insn);
				refuse(q);
				hit = 1;
			}
		}
		if (hit || near == WINDOW)
			refuse(c);
		win[seen++ % WINDOW] = c;
	}

	/* A site whose bytes did not match may be checked again at an update
	 * (sc_site_recheck): one lying over verified code (a record naming a
	 * trampoline slot, whose bytes can come to look like a jump to the
	 * trampoline) must never be. */
	for (size_t i = 0; i < o->nsites; i++) {
		struct sc_code *c = &o->sites[i].code;
		if (c->state == SC_CODE_OK || !c->prot)
			continue;
		uintptr_t lo = (uintptr_t)c->insn,
			  hi = lo + (c->len ? c->len : 8);
		int over = 0;
		/* verified sites nearby: the sites are sorted */
		for (size_t j = i;
		     j-- > 0 && !over &&
		     (uintptr_t)o->sites[j].code.insn + PIECE_MAX > lo;)
			over = o->sites[j].code.state == SC_CODE_OK &&
			       (uintptr_t)o->sites[j].code.insn +
					       o->sites[j].code.len >
				       lo;
		for (size_t j = i + 1; j < o->nsites && !over &&
				       (uintptr_t)o->sites[j].code.insn < hi;
		     j++)
			over = o->sites[j].code.state == SC_CODE_OK;
		/* verified slots: the last one starting before hi, and those
		 * just before it */
		size_t a = 0, b = nt;
		while (a < b) {
			size_t m = a + (b - a) / 2;
			if ((uintptr_t)ts[m]->code.insn < hi)
				a = m + 1;
			else
				b = m;
		}
		for (size_t j = a;
		     j-- > 0 && !over &&
		     (uintptr_t)ts[j]->code.insn + PIECE_MAX > lo;)
			over = ts[j]->code.state == SC_CODE_OK;
		if (over) {
			c->prot = 0;
			c->reason = "overlaps another patchable piece of code";
		}
	}
	/* A site is only as trustworthy as the trampoline it was checked
	 * against. */
	for (size_t i = 0; i < o->nsites; i++)
		if (o->sites[i].code.state == SC_CODE_OK &&
		    o->sites[i].tramp->code.state != SC_CODE_OK) {
			o->sites[i].code.state = SC_CODE_UNVERIFIED;
			o->sites[i].code.reason = "its trampoline was refused";
		}
	sc_mem_free(ts);
}

/* A descriptor naming no key variable (unmapped, read-only, code,
 * misaligned): its trampoline and sites stay as compiled, and the registry
 * never reads the address. */
static void refuse_bad_key(struct sc_object *o, size_t i,
			   struct sc_key_checker *kc)
{
	struct sc_tramp *t = &o->tramps[i];
	void *var = o->abi->descs_begin[i].key;
	const char *why = sc_key_check(o, var, kc);
	if (!why)
		return;
	t->key_refused = 1;
	t->code.state = SC_CODE_UNVERIFIED;
	t->code.reason = why;
	sc_log(SC_LOG_WARN,
	       "%s: key descriptor %zu (%p): %s: its trampoline "
	       "and sites stay as compiled",
	       o->name, i, var, why);
}

static int validate(struct sc_object *o, int allow_defer);

struct sc_object *sc_object_load(const struct sc_abi_object *abi)
{
	struct sc_object *o = sc_mem_alloc((1) * (sizeof *o));
	if (!o)
		return NULL;
	o->abi = abi;
	struct find_ctx fc = { (uintptr_t)abi, o, 0 };
	dl_iterate_phdr(find_cb, &fc);
	if (!fc.found) {
		sc_log(SC_LOG_ERROR,
		       "site table %p is not inside any loaded object",
		       (const void *)abi);
		sc_mem_free(o);
		return NULL;
	}
	if (validate(o, sc_bind_lazy())) {
		sc_object_free(o);
		return NULL;
	}
	return o;
}

int sc_object_validate(struct sc_object *o)
{
	return validate(o, 0);
}

/* The trampoline a site record names, or NULL if it names no descriptor
 * of its table. */
static struct sc_tramp *record_tramp(const struct sc_object *o,
				     const struct sc_abi_site *r)
{
	const struct sc_abi_object *abi = o->abi;
	const char *d = (const char *)&r->desc_rel + r->desc_rel;
	const char *db = (const char *)abi->descs_begin;
	if (d < db || d >= (const char *)abi->descs_end ||
	    (size_t)(d - db) % sizeof(struct sc_abi_desc))
		return NULL;
	return &o->tramps[(size_t)(d - db) / sizeof(struct sc_abi_desc)];
}

static uint8_t *record_addr(const struct sc_abi_site *r)
{
	return (uint8_t *)&r->site_rel + r->site_rel;
}

const uint8_t *sc_object_site_insn(const struct sc_object *o, size_t i)
{
	return o->deferred ? record_addr(&o->abi->sites_begin[i]) :
			     o->sites[i].code.insn;
}

/*
 * Can o's site records be left unread until each is bound? Only when
 * every one is a call site at its record's address (no anchor to decode,
 * no tail jump; guarded calls are calls) of a verified trampoline with a verified bind block, inside an
 * executable segment, the records in strictly ascending address order
 * with no two sites overlapping and no site overlapping a slot: then what
 * drop_duplicates and refuse_overlaps would find holds without reading a
 * byte of code, and each site's own check (its bytes: a call of its
 * trampoline) is the same code, run when the site is first filled. Counts
 * each trampoline's sites in `unbound`. Reads the table only.
 */
static int can_defer(struct sc_object *o, size_t nrec)
{
	const struct sc_abi_site *rec = o->abi->sites_begin;
	int len = sc_arch_insn_len(SC_INSN_CALL);
	uintptr_t prev_end = 0, ps = sc_page_size();
	/* site_prot's answer for a span depends on its segment and its
	 * pages: a span in the same segment within the pages of one already
	 * checked gets the same answer (one full check per page) */
	const struct sc_segment *ok_seg = NULL;
	uintptr_t ok_lo = 0, ok_hi = 0;
	size_t i;
	for (i = 0; i < nrec; i++) {
		struct sc_tramp *t = record_tramp(o, &rec[i]);
		uintptr_t at = (uintptr_t)record_addr(&rec[i]);
		uintptr_t lo = at & ~(uintptr_t)7,
			  hi = (at + (uintptr_t)len + 7) & ~(uintptr_t)7;
		if (!t || t->code.state != SC_CODE_OK || !t->bindable ||
		    t->key_refused || (rec[i].flags & ~SC_SITE_COND) ||
		    at < prev_end || hi < lo)
			break;
		const struct sc_segment *seg = segment_of(o, lo, hi - lo);
		if (!seg || seg != ok_seg || lo < ok_lo || hi > ok_hi) {
			if (!site_prot(o, (const uint8_t *)at, len))
				break;
			ok_seg = seg;
			ok_lo = lo & ~(ps - 1);
			ok_hi = (hi + ps - 1) & ~(ps - 1);
		}
		prev_end = at + (uintptr_t)len;
		t->unbound++;
	}
	/* no slot overlaps a site: the first site ending after it must
	 * start at or after its end (sites are sorted and disjoint) */
	for (size_t j = 0; i == nrec && j < o->ntramps; j++) {
		const struct sc_tramp *t = &o->tramps[j];
		if (t->code.state != SC_CODE_OK)
			continue;
		uintptr_t lo = (uintptr_t)t->code.insn, hi = lo + SC_TRAMP_SLOT;
		size_t a = 0, b = nrec;
		while (a < b) {
			size_t m = a + (b - a) / 2;
			if ((uintptr_t)record_addr(&rec[m]) + (uintptr_t)len <=
			    lo)
				a = m + 1;
			else
				b = m;
		}
		if (a < nrec && (uintptr_t)record_addr(&rec[a]) < hi)
			i = 0; /* overlap: not deferred */
	}
	if (i == nrec)
		return 1;
	for (size_t j = 0; j < o->ntramps; j++)
		o->tramps[j].unbound = 0;
	return 0;
}

/* Fill record i of a deferred object: the same checks as any site. A
 * site that fails them is no longer counted unbound. */
static struct sc_site *fill(struct sc_object *o, size_t i, int quiet)
{
	struct sc_site *s = &o->sites[i];
	if (s->object)
		return s;
	const struct sc_abi_site *r = &o->abi->sites_begin[i];
	s->tramp = record_tramp(o, r); /* checked by can_defer */
	load_site(o, s, r, quiet);
	if (s->code.state == SC_CODE_OK) {
		s->bind = SC_SITE_UNBOUND;
	} else {
		s->bind = SC_SITE_BOUND; /* never patched: state not OK */
		s->tramp->unbound--;
	}
	return s;
}

struct sc_site *sc_object_site(struct sc_object *o, size_t i)
{
	return o->deferred ? fill(o, i, 1) : &o->sites[i];
}

void sc_object_fill_all(struct sc_object *o)
{
	if (!o->deferred)
		return;
	for (size_t i = 0; i < o->nsites; i++) {
		struct sc_site *s = &o->sites[i];
		if (!s->object)
			fill(o, i, 0);
		else if (s->code.state != SC_CODE_OK)
			report_left(o, s); /* filled by the binder, quietly */
	}
}

static int validate(struct sc_object *o, int allow_defer)
{
	const struct sc_abi_object *abi = o->abi;
	if (!header_ok(o, abi))
		return -EINVAL;

	o->ntramps = (size_t)(abi->descs_end - abi->descs_begin);
	o->tramps = sc_mem_alloc((o->ntramps ? o->ntramps : 1) *
				 (sizeof *o->tramps));
	size_t nrec = (size_t)(abi->sites_end - abi->sites_begin);
	if (!o->tramps)
		return -ENOMEM;
	struct sc_key_checker kc = { 0, 0, 0, 0 };
	for (size_t i = 0; i < o->ntramps; i++) {
		load_tramp(o, &o->tramps[i], &abi->descs_begin[i]);
		refuse_bad_key(o, i, &kc);
	}
	if (allow_defer && nrec >= sc_env()->defer_min) {
		refuse_overlaps(o); /* the slots among themselves */
		if (can_defer(o, nrec)) {
			o->sites =
				sc_mem_alloc_untouched(nrec * sizeof *o->sites);
			if (!o->sites)
				return -ENOMEM;
			o->nsites = nrec;
			o->deferred = 1;
			sc_lines_load(o);
			return 0;
		}
	}
	o->sites = sc_mem_alloc((nrec ? nrec : 1) * (sizeof *o->sites));
	if (!o->sites)
		return -ENOMEM;

	for (size_t i = 0; i < nrec; i++) {
		const struct sc_abi_site *r = &abi->sites_begin[i];
		const char *d = (const char *)&r->desc_rel + r->desc_rel;
		const char *db = (const char *)abi->descs_begin;
		if (d < db || d >= (const char *)abi->descs_end ||
		    (size_t)(d - db) % sizeof(struct sc_abi_desc)) {
			sc_log(SC_LOG_WARN,
			       "%s: site record %zu names no key of its table: ignored",
			       o->name, i);
			continue;
		}
		struct sc_site *s = &o->sites[o->nsites++];
		s->tramp = &o->tramps[(size_t)(d - db) /
				      sizeof(struct sc_abi_desc)];
		if (s->tramp->code.state != SC_CODE_OK) {
			s->object = o;
			s->flags = r->flags;
			s->record_addr = s->code.insn =
				(uint8_t *)&r->site_rel + r->site_rel;
			s->code.len = (uint8_t)sc_arch_insn_len(SC_INSN_CALL);
			s->code.reason = s->tramp->code.reason;
			continue;
		}
		load_site(o, s, r, 0);
	}
	drop_duplicates(o);
	refuse_overlaps(o);
	sc_lines_load(o);
	return 0;
}

void sc_object_free(struct sc_object *o)
{
	if (!o)
		return;
	free(o->name); /* strdup */
	sc_mem_free(o->sites);
	sc_mem_free(o->tramps);
	sc_mem_free(o);
}
