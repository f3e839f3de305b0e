/*
 * fuzz_table.c - fuzz the runtime's handling of site tables and code bytes.
 *
 * One input describes one fake linked object: a table header (the fields
 * of struct sc_abi_object), a table buffer holding site records and key
 * descriptors, and a code buffer. The harness gives the runtime two
 * segments (the table, read-only unless the input says otherwise, and the
 * code, read+exec unless the input says otherwise), calls
 * sc_object_validate() on it, groups the trampolines that validated into
 * keys exactly as the registry does, and re-targets every key to a few
 * targets with sc_patch_key() through injected text operations that assert
 * on every attempted write:
 *
 *   - a page made writable lies inside the code buffer's pages; a word is
 *     only written while its page is writable, and every page opened is
 *     restored before sc_patch_key returns;
 *   - a written word is aligned and lies inside the code buffer, and every
 *     byte it changes lies inside a site or trampoline slot of the key
 *     being patched that passed verification when the object was loaded;
 *   - after the call, no byte outside those ranges has changed; on success
 *     every verified site still holds its instruction (same opcode)
 *     reaching its trampoline or the key's target, every verified slot is
 *     one of its two forms reaching nothing else; on failure the code is
 *     exactly what it was before the call (all or nothing).
 *
 * Faults can be injected (a page that cannot be made writable, a word that
 * changed behind the runtime's back) to exercise the roll-back paths.
 *
 * Input layout (little endian), see struct fz_header and gen_corpus.py:
 *   header (40 bytes) | table (table_len) | code (code_len) | targets
 * Unless FZ_RAW is set, the relative fields of the records are written by
 * the input as offsets from the start of a buffer and translated here
 * (site_rel, tramp_rel: from the code buffer; desc_rel: from the table
 * buffer), so inputs do not depend on where the buffers were allocated;
 * a descriptor's key pointer is a key number (its low byte).
 *
 * Built two ways: with clang -fsanitize=fuzzer,address,undefined (libFuzzer
 * supplies main) and, with -DFZ_REPLAY_MAIN, as a plain program that runs
 * the files and directories named on its command line (the seed corpus).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <Zydis/Zydis.h>

#include "internal.h"

/* ---- the runtime's log.c, replaced: quiet, and switches per input ---- */
static int fz_forced_trampoline;
static int fz_verbose = -1;

int sc_log_enabled(int l)
{
	if (fz_verbose < 0)
		fz_verbose = getenv("FZ_VERBOSE") != NULL;
	return fz_verbose && l <= SC_LOG_DEBUG;
}

void sc_log(int l, const char *fmt, ...)
{
	if (!sc_log_enabled(l))
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "staticcall: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* api.c (not linked here) defines it: patch.c compares targets with it. */
__attribute__((weak)) long __staticcall_ret0(void) { return 0; }

/* Sticky in patch.c (it would turn patching off for every later input):
 * never set here. */
int sc_patching_disabled_by_env(void) { return 0; }
int sc_sites_forced_to_trampoline(void) { return fz_forced_trampoline; }

/* ---- input format ----------------------------------------------------- */
#define FZ_CODE_NOEXEC 0x01   /* code segment readable only */
#define FZ_TABLE_WRITABLE 0x02 /* table segment read-write */
#define FZ_SPLIT 0x04         /* code split at `split`: second part RWX */
#define FZ_FORCED 0x08        /* STATICCALL_SITES=trampoline */
#define FZ_RAW 0x10           /* relative fields used as they are */
#define FZ_NO_TABLE_SEG 0x20  /* the table lies in no segment */

struct fz_header {
	uint32_t magic;
	uint16_t version, arch, site_size, desc_size;
	uint32_t reserved;
	int32_t sites_begin, sites_end; /* offsets into the table buffer */
	int32_t descs_begin, descs_end;
	uint16_t table_len, code_len;
	uint8_t mode;     /* FZ_* */
	uint8_t faults;   /* low nibble: n-th make_writable fails; high: n-th CAS */
	uint16_t split;   /* FZ_SPLIT: offset in the code buffer */
} __attribute__((packed));
_Static_assert(sizeof(struct fz_header) == 40, "header layout");

/* A target: kind 0 code + off, 1 far away (out of rel32 range), 2 NULL,
 * 3 the first slot of the key, 4 table + off, 5 __staticcall_ret0 (the
 * return-zero target). 5 bytes each. */
#define FZ_MAX_TARGETS 6
#define FZ_MAX_TABLE 4096
#define FZ_MAX_CODE 8192

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_table: check failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			abort();                                             \
		}                                                            \
	} while (0)

/* ---- state shared with the injected text operations ------------------ */
static struct {
	uint8_t *code;
	size_t code_len;
	uintptr_t page_lo, page_hi; /* pages of the code buffer */
	/* Bytes the current sc_patch_key may change (1 = allowed). */
	uint8_t allowed[FZ_MAX_CODE];
	/* Open (writable) page runs. */
	struct { uintptr_t lo; size_t len; int prot; } open[64];
	int nopen;
	int n_mw, n_cas;         /* calls so far in this sc_patch_key */
	int fail_mw, fail_cas;   /* 1-based call to fail, 0 none */
	int syncs;
} fz;

static int op_make_writable(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	size_t ps = sc_page_size();
	fz.n_mw++;
	CHECK(page % ps == 0 && len % ps == 0 && len > 0,
	      "unaligned page run %#lx+%zu", (unsigned long)page, len);
	CHECK(page >= fz.page_lo && page + len <= fz.page_hi,
	      "page run %#lx+%zu outside the code buffer's pages [%#lx, %#lx)",
	      (unsigned long)page, len, (unsigned long)fz.page_lo,
	      (unsigned long)fz.page_hi);
	CHECK(prot & PROT_EXEC, "page run to restore as non-executable (%d)", prot);
	if (fz.n_mw == fz.fail_mw)
		return -EIO;
	CHECK(fz.nopen < 64, "too many open page runs");
	for (int i = 0; i < fz.nopen; i++)
		CHECK(page + len <= fz.open[i].lo ||
			      fz.open[i].lo + fz.open[i].len <= page,
		      "page run opened twice");
	fz.open[fz.nopen].lo = page;
	fz.open[fz.nopen].len = len;
	fz.open[fz.nopen].prot = prot;
	fz.nopen++;
	return 0;
}

static int op_restore(void *ctx, uintptr_t page, size_t len, int prot)
{
	(void)ctx;
	for (int i = 0; i < fz.nopen; i++)
		if (fz.open[i].lo == page && fz.open[i].len == len) {
			CHECK(fz.open[i].prot == prot,
			      "restored with protection %d, opened for %d", prot,
			      fz.open[i].prot);
			fz.open[i] = fz.open[--fz.nopen];
			return 0;
		}
	CHECK(0, "restore of page run %#lx+%zu never made writable",
	      (unsigned long)page, len);
	return 0;
}

static int op_cas(void *ctx, uint64_t *word, uint64_t expect, uint64_t value)
{
	(void)ctx;
	uintptr_t w = (uintptr_t)word;
	fz.n_cas++;
	CHECK(w % 8 == 0, "unaligned word %p", (void *)word);
	CHECK(w >= (uintptr_t)fz.code && w + 8 <= (uintptr_t)fz.code + fz.code_len,
	      "write to %p outside the code buffer [%p, +%zu)", (void *)word,
	      (void *)fz.code, fz.code_len);
	int writable = 0;
	for (int i = 0; i < fz.nopen; i++)
		if (w >= fz.open[i].lo && w + 8 <= fz.open[i].lo + fz.open[i].len)
			writable = 1;
	CHECK(writable, "write to %p while its page is not writable", (void *)word);
	size_t off = w - (uintptr_t)fz.code;
	for (int b = 0; b < 8; b++)
		if ((uint8_t)((expect ^ value) >> (8 * b)))
			CHECK(fz.allowed[off + b],
			      "write changes byte at code+%#zx, outside every "
			      "verified site and slot of the key", off + b);
	if (fz.n_cas == fz.fail_cas)
		return 0; /* pretend another writer got there first */
	if (*word != expect)
		return 0;
	*word = value;
	return 1;
}

static void op_sync(void *ctx)
{
	(void)ctx;
	fz.syncs++;
}

static const struct sc_text_ops fz_ops = {
	.make_writable = op_make_writable,
	.restore = op_restore,
	.cas = op_cas,
	.sync_cores = op_sync,
	.ctx = NULL,
};

/* ---- keys as the registry builds them -------------------------------- */
struct fz_key {
	struct sc_key key;
	void *target;     /* last target patched successfully */
	int patched;
	uint8_t id;
};

static void *key_vars[256];

static int in_code(const uint8_t *p, size_t len)
{
	return p >= fz.code && p + len <= fz.code + fz.code_len && p + len >= p;
}

static void allow(const struct sc_code *c)
{
	if (c->state != SC_CODE_OK)
		return;
	CHECK(in_code(c->insn, c->len), "verified code at %p (len %d) outside "
	      "the code buffer", (void *)c->insn, c->len);
	memset(fz.allowed + (c->insn - fz.code), 1, c->len);
}

static int in_rel32(const void *from, const void *to)
{
	intptr_t d = (intptr_t)to - (intptr_t)from;
	return d >= INT32_MIN && d <= INT32_MAX;
}

static const uint8_t *reaches(const uint8_t *insn, int kind)
{
	int len = sc_arch_insn_len(kind);
	int32_t rel;
	memcpy(&rel, insn + len - 4, 4);
	return insn + len + rel;
}

/* What each verified slot reached when the object was loaded. */
static struct { const uint8_t *slot; void *reaches; } first[64];
static int nfirst;

static void *first_reach(const uint8_t *slot)
{
	for (int i = 0; i < nfirst; i++)
		if (first[i].slot == slot)
			return first[i].reaches;
	return NULL;
}

/*
 * May the code at `slot` (a verified trampoline slot) reach r? Keys are
 * every key owning that slot: a corrupted table can name one trampoline in
 * the descriptors of two keys (then the last update of either wins; see
 * tests/fuzz/README.md). For a slot, r == NULL is the slow path.
 */
/* Verified slots named by more than one descriptor. */
static int slot_shared(const uint8_t *slot);
static int fz_strict = -1;

static int slot_may_reach(struct fz_key *keys, int nkeys, const uint8_t *slot,
			  const void *r)
{
	int any_patched = 0;
	for (int k = 0; k < nkeys; k++)
		for (size_t i = 0; i < keys[k].key.ntramps; i++)
			if (keys[k].key.tramps[i]->code.insn == slot &&
			    keys[k].patched) {
				any_patched = 1;
				if (r == keys[k].target)
					return 1;
			}
	/* Before its first update a slot may reach whatever it was built
	 * reaching (a direct slot is a valid form). */
	return !any_patched && r == first_reach(slot);
}

static int slot_shared(const uint8_t *slot)
{
	int n = 0;
	for (int i = 0; i < nfirst; i++)
		n += first[i].slot == slot;
	return n > 1;
}

/* Every verified piece of every key holds a valid form reaching its
 * trampoline or a target its key (or a key sharing its trampoline) was
 * given. */
static void check_keys(struct fz_key *keys, int nkeys)
{
	for (int k = 0; k < nkeys; k++) {
		struct sc_key *key = &keys[k].key;
		for (size_t i = 0; i < key->ntramps; i++) {
			struct sc_code *c = &key->tramps[i]->code;
			if (c->state != SC_CODE_OK)
				continue;
			uint64_t word;
			void *r;
			memcpy(&word, c->insn, 8);
			CHECK(sc_arch_decode_slot(c->insn, word, &r),
			      "slot %p holds %#llx", (void *)c->insn,
			      (unsigned long long)word);
			CHECK(r == NULL || slot_may_reach(keys, nkeys, c->insn, r),
			      "slot %p reaches %p, key target %p", (void *)c->insn,
			      r, keys[k].target);
		}
		for (size_t i = 0; i < key->nsites; i++) {
			struct sc_site *s = key->sites[i];
			struct sc_code *c = &s->code;
			if (c->state != SC_CODE_OK)
				continue;
			CHECK(c->kind <= SC_INSN_JCC &&
				      c->len == sc_arch_insn_len(c->kind),
			      "site %p: kind %d len %d", (void *)c->insn, c->kind,
			      c->len);
			/* The runtime's own decoder names the form; each form
			 * must be one this key's target allows. */
			struct sc_decoded d = sc_arch_decode_site(c, c->insn,
								  s->tramp->code.insn);
			const uint8_t *r = d.reaches;
			int ok;
			switch (d.form) {
			case STATIC_CALL_SITE_TRAMPOLINE:
				ok = r == s->tramp->code.insn;
				break;
			case STATIC_CALL_SITE_DIRECT:
			case STATIC_CALL_SITE_TAIL_JUMP:
				ok = (d.form == STATIC_CALL_SITE_DIRECT) ==
					     (c->kind == SC_INSN_CALL) &&
				     r && slot_may_reach(keys, nkeys,
							 s->tramp->code.insn, r);
				break;
			case STATIC_CALL_SITE_NOP:
				ok = keys[k].patched && !keys[k].target;
				break;
			case STATIC_CALL_SITE_RETURN_ZERO:
				ok = keys[k].patched &&
				     keys[k].target == (void *)__staticcall_ret0;
				break;
			default:
				ok = 0;
			}
			CHECK(ok, "site %p (kind %d) holds form %d reaching %p: its "
			      "trampoline is %p, its key's target %p (bytes %02x %02x)",
			      (void *)c->insn, c->kind, d.form, (void *)r,
			      (void *)s->tramp->code.insn, keys[k].target,
			      c->insn[0], c->insn[1]);
			CHECK(!memcmp(c->insn, c->bytes, c->len),
			      "site %p differs from what the runtime wrote",
			      (void *)c->insn);
		}
	}
}

static void patch_one(struct fz_key *keys, int nkeys, int k, void *target,
		      const uint8_t *orig, int faults)
{
	struct fz_key *fk = &keys[k];
	struct sc_key *key = &fk->key;
	uint8_t before[FZ_MAX_CODE];
	memcpy(before, fz.code, fz.code_len);

	/* What this call may change: the key's verified code, as verified
	 * when the object was loaded (a site verified later by a recheck
	 * inside sc_patch_key would be new, unexpected, territory). */
	memset(fz.allowed, 0, fz.code_len);
	for (size_t i = 0; i < key->ntramps; i++)
		allow(&key->tramps[i]->code);
	for (size_t i = 0; i < key->nsites; i++)
		allow(&key->sites[i]->code);

	fz.nopen = 0;
	fz.n_mw = fz.n_cas = 0;
	fz.fail_mw = faults & 15;
	fz.fail_cas = faults >> 4;
	fz.syncs = 0;
	sc_set_text_ops(&fz_ops);
	int err = sc_patch_key(key, target);
	sc_set_text_ops(NULL);

	CHECK(fz.nopen == 0, "%d page runs left writable", fz.nopen);
	for (size_t b = 0; b < fz.code_len; b++)
		if (!fz.allowed[b])
			CHECK(fz.code[b] == before[b],
			      "byte code+%#zx changed outside every verified site "
			      "of the key", b);
	(void)orig;
	if (err) {
		CHECK(err == -EBUSY || err == -EIO || err == -ENOMEM,
		      "unexpected error %d", err);
		CHECK(!memcmp(fz.code, before, fz.code_len),
		      "failed update (%d) left code changed", err);
	} else {
		fk->target = target;
		fk->patched = 1;
		/* A reachable target must actually be reached (unless another
		 * key's descriptor names the same slot: see slot_shared). */
		for (size_t i = 0; i < key->ntramps; i++) {
			struct sc_code *c = &key->tramps[i]->code;
			if (c->state != SC_CODE_OK || !target ||
			    !in_rel32(c->insn + 5, target) || slot_shared(c->insn))
				continue;
			/* a slot never jumps into itself (it would never leave) */
			if ((const uint8_t *)target >= c->insn &&
			    (const uint8_t *)target < c->insn + 8)
				continue;
			void *r;
			uint64_t word;
			memcpy(&word, c->insn, 8);
			CHECK(sc_arch_decode_slot(c->insn, word, &r) && r == target,
			      "slot %p does not reach reachable target %p",
			      (void *)c->insn, target);
		}
	}
	check_keys(keys, nkeys);
}

static void *target_of(const uint8_t *t, uint8_t *table, struct fz_key *fk)
{
	int32_t off;
	memcpy(&off, t + 1, 4);
	switch (t[0] % 6) {
	case 0: return (void *)((uintptr_t)fz.code + (intptr_t)off);
	case 1: /* beyond rel32 */
		return (void *)((uintptr_t)fz.code + ((uintptr_t)3 << 30) + (intptr_t)off);
	case 2: return NULL;
	case 3:
		/* The key's own trampoline: its slot would jump to itself, and
		 * a record naming the slot could then verify as a site inside
		 * it (known gap, README.md). Past the slot unless FZ_STRICT. */
		if (!fk->key.ntramps)
			return NULL;
		return fk->key.tramps[0]->code.insn + (fz_strict ? 0 : 8);
	case 4: return (void *)((uintptr_t)table + (intptr_t)off);
	default: return (void *)__staticcall_ret0;
	}
}

/* Do two verified pieces of code (slots, sites) share a byte? */
static int verified_overlap(const struct sc_object *o)
{
	size_t n = o->ntramps + o->nsites, m = 0;
	struct { const uint8_t *lo, *hi; } *r = malloc((n ? n : 1) * sizeof *r);
	for (size_t i = 0; i < o->ntramps; i++)
		if (o->tramps[i].code.state == SC_CODE_OK) {
			r[m].lo = o->tramps[i].code.insn;
			r[m++].hi = o->tramps[i].code.insn + 8;
		}
	for (size_t i = 0; i < o->nsites; i++)
		if (o->sites[i].code.state == SC_CODE_OK) {
			r[m].lo = o->sites[i].code.insn;
			r[m++].hi = o->sites[i].code.insn + o->sites[i].code.len;
		}
	int hit = 0;
	for (size_t i = 0; i < m && !hit; i++)
		for (size_t j = i + 1; j < m && !hit; j++)
			hit = r[i].lo < r[j].hi && r[j].lo < r[i].hi;
	free(r);
	return hit;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_header h;
	/* A strong reference: the runtime's are weak (a -static program may
	 * leave Zydis out), and --as-needed would drop the library. */
	static volatile ZyanU64 zydis_version;
	if (!zydis_version)
		zydis_version = ZydisGetVersion();
	if (size < sizeof h)
		return 0;
	memcpy(&h, data, sizeof h);
	data += sizeof h;
	size -= sizeof h;
	if (h.table_len > FZ_MAX_TABLE || h.code_len > FZ_MAX_CODE || h.code_len < 8 ||
	    h.table_len < 8 || size < (size_t)h.table_len + h.code_len)
		return 0;

	size_t ps = sc_page_size();
	uint8_t *table = NULL, *code = NULL;
	if (posix_memalign((void **)&table, ps, h.table_len) ||
	    posix_memalign((void **)&code, ps, h.code_len)) {
		free(table);
		return 0;
	}
	memcpy(table, data, h.table_len);
	memcpy(code, data + h.table_len, h.code_len);
	const uint8_t *targets = data + h.table_len + h.code_len;
	size_t ntargets = (size - h.table_len - h.code_len) / 5;
	if (ntargets > FZ_MAX_TARGETS)
		ntargets = FZ_MAX_TARGETS;

	fz.code = code;
	fz.code_len = h.code_len;
	fz.page_lo = (uintptr_t)code;
	fz.page_hi = ((uintptr_t)code + h.code_len + ps - 1) & ~(ps - 1);
	fz_forced_trampoline = !!(h.mode & FZ_FORCED);

	struct sc_abi_object abi = {
		.magic = h.magic, .version = h.version, .arch = h.arch,
		.site_size = h.site_size, .desc_size = h.desc_size,
		.reserved = h.reserved,
	};
	/* Header pointers: offsets into the table buffer (any value). */
	abi.sites_begin = (const struct sc_abi_site *)(uintptr_t)((uintptr_t)table + (intptr_t)h.sites_begin);
	abi.sites_end = (const struct sc_abi_site *)(uintptr_t)((uintptr_t)table + (intptr_t)h.sites_end);
	abi.descs_begin = (const struct sc_abi_desc *)(uintptr_t)((uintptr_t)table + (intptr_t)h.descs_begin);
	abi.descs_end = (const struct sc_abi_desc *)(uintptr_t)((uintptr_t)table + (intptr_t)h.descs_end);

	/* Translate the records' relative fields (see the top comment). */
	if (!(h.mode & FZ_RAW)) {
		for (int32_t o = h.sites_begin; o >= 0 && o < h.sites_end &&
		     o + 12 <= h.table_len; o += 12) {
			int32_t v;
			memcpy(&v, table + o, 4);
			int32_t r32 = (int32_t)(uint32_t)((uintptr_t)code + (intptr_t)v -
							  (uintptr_t)(table + o));
			memcpy(table + o, &r32, 4);
			memcpy(&v, table + o + 4, 4);
			r32 = (int32_t)(uint32_t)((int64_t)v - (o + 4));
			memcpy(table + o + 4, &r32, 4);
		}
		for (int32_t o = h.descs_begin; o >= 0 && o < h.descs_end &&
		     o + 16 <= h.table_len; o += 16) {
			uint8_t id = table[o];
			void *kv = &key_vars[id];
			memcpy(table + o, &kv, 8);
			int32_t v;
			memcpy(&v, table + o + 8, 4);
			int32_t r32 = (int32_t)(uint32_t)((uintptr_t)code + (intptr_t)v -
							  (uintptr_t)(table + o + 8));
			memcpy(table + o + 8, &r32, 4);
		}
	}
	uint8_t orig[FZ_MAX_CODE];
	memcpy(orig, code, h.code_len);

	struct sc_object *obj = sc_mem_alloc(sizeof *obj); /* sc_object_free frees it */
	obj->abi = &abi;
	obj->name = strdup("fuzz-object");
	obj->base = (uintptr_t)code;
	int code_prot = (h.mode & FZ_CODE_NOEXEC) ? PROT_READ : PROT_READ | PROT_EXEC;
	if ((h.mode & FZ_SPLIT) && h.split > 0 && h.split < h.code_len) {
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code, (uintptr_t)code + h.split, code_prot };
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code + h.split, (uintptr_t)code + h.code_len,
			PROT_READ | PROT_WRITE | PROT_EXEC };
	} else {
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code, (uintptr_t)code + h.code_len, code_prot };
	}
	if (!(h.mode & FZ_NO_TABLE_SEG))
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)table, (uintptr_t)table + h.table_len,
			(h.mode & FZ_TABLE_WRITABLE) ? PROT_READ | PROT_WRITE
						     : PROT_READ };

	int err = sc_object_validate(obj);
	/* Validation reads, never writes. */
	CHECK(!memcmp(code, orig, h.code_len), "validation changed the code");
	if (err) {
		CHECK(err == -EINVAL || err == -ENOMEM, "validate returned %d", err);
		goto out;
	}

	/* Whatever was verified lies inside the code buffer, in an
	 * executable segment, and holds what the runtime believes. */
	for (size_t i = 0; i < obj->ntramps; i++) {
		struct sc_code *c = &obj->tramps[i].code;
		if (c->state != SC_CODE_OK)
			continue;
		CHECK(in_code(c->insn, 8) && (uintptr_t)c->insn % 16 == 0,
		      "verified slot %p outside the code or misaligned", (void *)c->insn);
		CHECK(!memcmp(c->insn, c->bytes, 8), "slot bytes differ");
		CHECK(code_prot & PROT_EXEC || (h.mode & FZ_SPLIT),
		      "slot verified in a non-executable segment");
	}
	for (size_t i = 0; i < obj->nsites; i++) {
		struct sc_site *s = &obj->sites[i];
		struct sc_code *c = &s->code;
		if (c->state != SC_CODE_OK)
			continue;
		CHECK(s->tramp >= obj->tramps && s->tramp < obj->tramps + obj->ntramps,
		      "site's trampoline is not one of the object's");
		CHECK(s->tramp->code.state == SC_CODE_OK,
		      "site verified against an unverified trampoline");
		CHECK(c->kind <= SC_INSN_JCC && c->len == sc_arch_insn_len(c->kind),
		      "verified site with kind %d len %d", c->kind, c->len);
		CHECK(in_code(c->insn, c->len), "verified site %p outside the code",
		      (void *)c->insn);
		CHECK(sc_arch_match(c->insn, c->kind) &&
			      reaches(c->insn, c->kind) == s->tramp->code.insn,
		      "verified site %p does not call its trampoline", (void *)c->insn);
		CHECK(!memcmp(c->insn, c->bytes, c->len), "site bytes differ");
		if (!(s->flags & SC_SITE_ANCHOR) && !(s->flags & SC_SITE_TAIL))
			CHECK(c->kind == SC_INSN_CALL, "plain site is not a call");
	}

	if (sc_log_enabled(SC_LOG_DEBUG)) {
		size_t vt = 0, vs = 0;
		for (size_t i = 0; i < obj->ntramps; i++)
			vt += obj->tramps[i].code.state == SC_CODE_OK;
		for (size_t i = 0; i < obj->nsites; i++)
			vs += obj->sites[i].code.state == SC_CODE_OK;
		fprintf(stderr, "fuzz_table: %zu/%zu slots and %zu/%zu sites verified\n",
			vt, obj->ntramps, vs, obj->nsites);
	}

	nfirst = 0;
	for (size_t i = 0; i < obj->ntramps && nfirst < 64; i++) {
		struct sc_code *c = &obj->tramps[i].code;
		uint64_t word;
		if (c->state != SC_CODE_OK)
			continue;
		memcpy(&word, c->insn, 8);
		first[nfirst].slot = c->insn;
		sc_arch_decode_slot(c->insn, word, &first[nfirst].reaches);
		nfirst++;
	}
	/*
	 * Known gap (tests/fuzz/README.md): the runtime does not reject a
	 * table whose verified pieces of code overlap (one trampoline named by
	 * two descriptors; a site decoded inside a trampoline slot or inside
	 * another site). Writes stay inside verified code, but one piece's
	 * update corrupts the other. Such inputs are only validated here;
	 * FZ_STRICT=1 makes them failures.
	 */
	if (fz_strict < 0)
		fz_strict = getenv("FZ_STRICT") && strcmp(getenv("FZ_STRICT"), "0");
	if (verified_overlap(obj)) {
		CHECK(!fz_strict, "verified pieces of code overlap");
		goto out;
	}

	/* Keys: descriptors grouped by key number, as the registry does. */
	struct fz_key *keys = calloc(obj->ntramps ? obj->ntramps : 1, sizeof *keys);
	int nkeys = 0;
	for (size_t i = 0; i < obj->ntramps; i++) {
		uint8_t id = (uint8_t)(((uintptr_t)abi.descs_begin[i].key -
					(uintptr_t)key_vars) / sizeof(void *));
		int k;
		for (k = 0; k < nkeys && keys[k].id != id; k++)
			;
		if (k == nkeys) {
			keys[k].id = id;
			keys[k].key.var = &key_vars[id];
			keys[k].key.tramps = calloc(obj->ntramps, sizeof(void *));
			keys[k].key.sites = calloc(obj->nsites ? obj->nsites : 1,
						   sizeof(void *));
			nkeys++;
		}
		obj->tramps[i].key = &keys[k].key;
		keys[k].key.tramps[keys[k].key.ntramps++] = &obj->tramps[i];
	}
	for (size_t i = 0; i < obj->nsites; i++) {
		struct sc_key *k = obj->sites[i].tramp ? obj->sites[i].tramp->key : NULL;
		if (k)
			k->sites[k->nsites++] = &obj->sites[i];
	}

	static const uint8_t default_targets[] = {
		0, 0x40, 0, 0, 0,  /* code + 64 */
		1, 0, 0, 0, 0,     /* far */
		2, 0, 0, 0, 0,     /* NULL */
		3, 0, 0, 0, 0,     /* back to the trampoline */
	};
	if (!ntargets) {
		targets = default_targets;
		ntargets = sizeof default_targets / 5;
	}
	for (int k = 0; k < nkeys; k++)
		for (size_t t = 0; t < ntargets; t++)
			patch_one(keys, nkeys, k, target_of(targets + 5 * t, table, &keys[k]),
				  orig, t == 0 ? h.faults : 0);
	/* Faults last too, once everything has moved. */
	if (h.faults && nkeys)
		patch_one(keys, nkeys, 0, code, orig, h.faults);

	for (int k = 0; k < nkeys; k++) {
		free(keys[k].key.tramps);
		free(keys[k].key.sites);
	}
	free(keys);
out:
	sc_object_free(obj);
	free(table);
	free(code);
	return 0;
}

#ifdef FZ_REPLAY_MAIN
/* Plain driver: run every file named, or every file in every directory. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	uint8_t *copy = malloc(n ? n : 1);
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]);
			files++;
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, alphasort);
		for (int j = 0; j < n; j++) {
			if (names[j]->d_name[0] != '.') {
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", argv[i], names[j]->d_name);
				bad |= run_file(p);
				files++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("fuzz_table replay: %d inputs, no failure\n", files);
	return bad || files == 0;
}
#endif
