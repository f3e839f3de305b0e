/*
 * fuzz_table.c - fuzz the runtime's handling of site tables and code bytes.
 *
 * One input describes one fake linked object: a table header (the fields
 * of struct sc_abi_object), a table buffer holding site records and key
 * descriptors, and a code buffer. The harness gives the runtime two
 * segments (the table, read-only unless the input says otherwise, and the
 * code, read+exec unless the input says otherwise) and registers it with
 * the runtime's own registry (registry.c, unchanged: the link wraps
 * sc_object_load, whose dl_iterate_phdr lookup cannot find heap buffers,
 * so that it describes the input's buffers and calls
 * sc_object_validate()). The registry groups the trampolines into keys
 * and patches each key to its variable's value; the harness then
 * re-targets every key to a few targets through the registry's update
 * entry point, and unregisters the object. Every sc_patch_key() runs
 * through injected text operations that assert on every attempted write:
 *
 *   - a page made writable lies inside the code buffer's pages; a word is
 *     only written while its page is writable, and every page opened is
 *     restored before sc_patch_key returns;
 *   - a written word is aligned and lies inside the code buffer, and every
 *     byte it changes lies inside a site or trampoline slot of the key
 *     being patched that passed verification when the object was loaded;
 *   - every word written is flushed (the injected cache maintenance)
 *     before the next core sync;
 *   - after the call, no byte outside those ranges has changed; on success
 *     every verified site holds a form the runtime's decoder names
 *     (trampoline, direct call / tail jump to the key's target, NOP for
 *     NULL, return-zero), every verified slot is one of its two forms
 *     reaching nothing else; on failure the code is exactly what it was
 *     before the call (all or nothing).
 *
 * Faults can be injected (a page that cannot be made writable, a word that
 * changed behind the runtime's back) to exercise the roll-back paths.
 *
 * Input layout (little endian), see struct fz_header and gen_corpus.py:
 *   header (40 bytes) | table (table_len) | code (code_len) | targets
 * Unless FZ_RAW is set, the relative fields of the records are written by
 * the input as offsets from the start of a buffer and translated here
 * (site_rel, tramp_rel: from the code buffer; desc_rel: from the table
 * buffer), so inputs do not depend on where the buffers were allocated.
 * In either mode a descriptor's key pointer is a key number (its low byte:
 * key_var_of()).
 *
 * Built two ways: with clang -fsanitize=fuzzer,address,undefined (libFuzzer
 * supplies main) and, with -DFZ_REPLAY_MAIN, as a plain program that runs
 * the files and directories named on its command line (the seed corpus).
 * Link with -Wl,--wrap=sc_object_load,--wrap=sc_patch_key,--wrap=sc_patch_keys,
 * --wrap=sc_patch_object.
 *
 * Two backends: the x86-64 one (arch_x86_64.c, anchor_x86_64.c, Zydis)
 * and the arm64 one (arch_aarch64.c, anchor_aarch64.c), either natively
 * on an aarch64 host or, with -DFZ_AARCH64, compiled for the x86-64 host:
 * the arm64 backend is plain C over byte buffers (its CAS uses generic
 * atomics, its cache flush is injected), so libFuzzer can drive it with
 * coverage on the build machine. The code buffer then holds A64 words.
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

#include "internal.h"

#ifdef FZ_AARCH64 /* the arm64 backend (meson, run_fuzz.sh, replay_aarch64.sh) */
#define FZ_ARM64 1
#else
#define FZ_ARM64 0
#include <Zydis/Zydis.h>
#endif

/* ---- the runtime's log.c, replaced: quiet, and switches per input ---- */
static int fz_forced_trampoline;
static int fz_verbose = -1;

int sc_log_enabled(int l)
{
	if (fz_verbose < 0)
		fz_verbose = getenv("FZ_VERBOSE") != NULL;
	return fz_verbose && l <= SC_LOG_DEBUG;
}

static void vlog(int l, const char *fmt, va_list ap)
{
	if (!sc_log_enabled(l))
		return;
	fprintf(stderr, "staticcall: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sc_log(int l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(l, fmt, ap);
	va_end(ap);
}

/* The exit report: quiet here unless FZ_VERBOSE, like everything else. */
void sc_log_report(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(SC_LOG_ERROR, fmt, ap);
	va_end(ap);
}

/* The runtime's env.c, replaced: switches per input. `disable` is sticky
 * in patch.c (it would turn patching off for every later input): never set
 * here. */
static struct sc_env fz_env = { .log_level = SC_LOG_DEBUG,
				 .defer_min = SC_DEFER_MIN };
const struct sc_env *sc_env(void)
{
	fz_env.sites_trampoline = fz_forced_trampoline;
	return &fz_env;
}

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

/* ---- state shared with the injected operations ----------------------- */
struct fz_key {
	struct sc_key *key; /* the registry's */
	void *target;       /* last target patched successfully */
	int patched;
};

#define FZ_MAX_KEYS 256
static struct {
	int active;                 /* an input is being run */
	const struct sc_abi_object *abi; /* its table header */
	struct sc_object *obj;      /* what sc_object_load made of it */
	const struct fz_header *h;
	const uint8_t *targets;     /* 5 bytes each */
	size_t ntargets;
	uint8_t *table, *code;
	size_t code_len;
	uint8_t orig[FZ_MAX_CODE];  /* the code as the input gave it */
	uintptr_t page_lo, page_hi; /* pages of the code buffer */
	/* Bytes the current sc_patch_key may change (1 = allowed). */
	uint8_t allowed[FZ_MAX_CODE];
	/* Open (writable) page runs. */
	struct { uintptr_t lo; size_t len; int prot; } open[64];
	int nopen;
	/* Words written and not yet flushed (cache maintenance). */
	uint64_t *pending[64];
	int npending;
	int n_mw, n_cas;         /* calls so far in this sc_patch_key */
	int fail_mw, fail_cas;   /* 1-based call to fail, 0 none */
	int syncs;
	struct fz_key keys[FZ_MAX_KEYS]; /* keys patched so far */
	int nkeys;
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
	if (sc_log_enabled(SC_LOG_DEBUG))
		fprintf(stderr, "fuzz_table: cas code+%#zx %016llx -> %016llx (holds %016llx)\n",
			off, (unsigned long long)expect, (unsigned long long)value,
			(unsigned long long)*word);
	if (fz.n_cas == fz.fail_cas)
		return 0; /* pretend another writer got there first */
#if FZ_ARM64
	/* The backend's own CAS: a 32-bit CAS of each instruction word that
	 * changes, undone if the second fails. */
	if (!sc_arch_cas_code(word, expect, value))
		return 0;
#else
	if (*word != expect)
		return 0;
	*word = value;
#endif
	CHECK(*word == value, "CAS reported success, word holds %#llx",
	      (unsigned long long)*word);
	int seen = 0;
	for (int i = 0; i < fz.npending; i++)
		seen |= fz.pending[i] == word;
	if (!seen) {
		CHECK(fz.npending < 64, "too many unflushed words");
		fz.pending[fz.npending++] = word;
	}
	return 1;
}

/* Cache maintenance (a no-op on x86-64, DC CVAU/IC IVAU on arm64): every
 * word written must be flushed before the next core sync. */
static void op_flush(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	for (int i = 0; i < fz.npending; i++)
		if ((uintptr_t)fz.pending[i] >= (uintptr_t)addr &&
		    (uintptr_t)fz.pending[i] + 8 <= (uintptr_t)addr + len)
			fz.pending[i--] = fz.pending[--fz.npending];
}

static void op_sync(void *ctx)
{
	(void)ctx;
	CHECK(fz.npending == 0, "core sync with %d written words not flushed "
	      "(first %p)", fz.npending, (void *)fz.pending[0]);
	fz.syncs++;
}

static const struct sc_text_ops fz_ops = {
	.make_writable = op_make_writable,
	.restore = op_restore,
	.cas = op_cas,
	.sync_cores = op_sync,
	.ctx = NULL,
};

/* ---- keys ------------------------------------------------------------- */
/* The descriptors' key variables: key number n is &key_vars[n]. Numbers
 * 250 to 255 name no key variable, and the runtime must refuse them
 * without reading them (key_check.c): 250 the table buffer (heap, in no
 * loaded object), 251 code, 252 read-only data, 253 an unmapped address,
 * 254 a misaligned variable, 255 NULL. */
#define FZ_FIRST_BAD_KEY 250
static void *key_vars[256];
static const uint64_t read_only_word[2] = { 1, 2 };

static void *key_var_of(uint8_t id)
{
	switch (id) {
	case 250: return fz.table;
	case 251: return (void *)((uintptr_t)&key_var_of & ~(uintptr_t)7);
	case 252: return (void *)read_only_word;
	case 253: return (void *)(uintptr_t)0x1000; /* below mmap_min_addr */
	case 254: return (char *)&key_vars[0] + 1;
	case 255: return NULL;
	}
	return &key_vars[id];
}

/* Does a descriptor's key pointer name one of the harness's variables? */
static int is_key_var(const void *var)
{
	return var >= (void *)key_vars &&
	       var < (void *)(key_vars + FZ_FIRST_BAD_KEY) &&
	       ((uintptr_t)var & 7) == 0;
}

static struct fz_key *fz_key_of(struct sc_key *key)
{
	for (int i = 0; i < fz.nkeys; i++)
		if (fz.keys[i].key == key)
			return &fz.keys[i];
	CHECK(fz.nkeys < FZ_MAX_KEYS, "too many keys");
	CHECK(is_key_var(key->var),
	      "key with variable %p: not one the table names", (void *)key->var);
	fz.keys[fz.nkeys] = (struct fz_key){ key, NULL, 0 };
	return &fz.keys[fz.nkeys++];
}

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

/* Can a slot jump straight to `to` (x86: jmp rel32; arm64: b imm26)?
 * This and reaches() below are the harness's oracle: they decode on their
 * own, on purpose, rather than through runtime/arch_*.c, which they check. */
static int slot_in_range(const uint8_t *slot, const void *to)
{
#if FZ_ARM64
	intptr_t d = (intptr_t)to - (intptr_t)slot;
	/* `b` to the bind block's address is the slot's bind form: a
	 * target there takes the slow path */
	return !(d & 3) && d >= -(1l << 27) && d < (1l << 27) &&
	       d != -(intptr_t)SC_A64_BIND_BLOCK;
#else
	intptr_t d = (intptr_t)to - (intptr_t)(slot + 5);
	return d >= INT32_MIN && d <= INT32_MAX;
#endif
}

/* Where the site instruction at insn goes (it matched its kind). */
static const uint8_t *reaches(const uint8_t *insn, int kind)
{
#if FZ_ARM64
	uint32_t w;
	(void)kind;
	memcpy(&w, insn, 4);
	return insn + (intptr_t)((int32_t)((w & 0x03ffffffu) << 6) >> 6) * 4;
#else
	int len = sc_arch_insn_len(kind);
	int32_t rel;
	memcpy(&rel, insn + len - 4, 4);
	return insn + len + rel;
#endif
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


/* May the verified slot of key fk reach r? (r == NULL, the slow path, is
 * always allowed.) Before the key's first successful update, what the slot
 * was built reaching (a direct slot is a valid form). */
static int slot_may_reach(const struct fz_key *fk, const uint8_t *slot,
			  const void *r)
{
	return fk->patched ? r == fk->target : r == first_reach(slot);
}

/* Every verified piece of every key patched so far holds a valid form
 * reaching its trampoline or its key's target. */
static void check_keys(void)
{
	for (int k = 0; k < fz.nkeys; k++) {
		struct fz_key *fk = &fz.keys[k];
		struct sc_key *key = fk->key;
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
			CHECK(r == NULL || slot_may_reach(fk, c->insn, r),
			      "slot %p reaches %p, key target %p", (void *)c->insn,
			      r, fk->target);
			CHECK((uint8_t *)r < c->insn || (uint8_t *)r >= c->insn + 8,
			      "slot %p jumps into itself", (void *)c->insn);
			CHECK(!memcmp(c->insn, c->bytes, 8),
			      "slot %p differs from what the runtime wrote",
			      (void *)c->insn);
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
			struct sc_decoded d = sc_decode_site(c, c->insn,
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
				     r && slot_may_reach(fk, s->tramp->code.insn, r);
				break;
			case STATIC_CALL_SITE_NOP:
				ok = fk->patched && !fk->target;
				break;
			case STATIC_CALL_SITE_RETURN_ZERO:
				ok = fk->patched &&
				     fk->target == (void *)__staticcall_ret0;
				break;
			default:
				ok = 0;
			}
			CHECK(ok, "site %p (kind %d) holds form %d reaching %p: its "
			      "trampoline is %p, its key's target %p (bytes %02x %02x "
			      "%02x %02x)", (void *)c->insn, c->kind, d.form,
			      (void *)r, (void *)s->tramp->code.insn, fk->target,
			      c->insn[0], c->insn[1], c->insn[2], c->insn[3]);
			CHECK(!memcmp(c->insn, c->bytes, c->len),
			      "site %p differs from what the runtime wrote",
			      (void *)c->insn);
		}
	}
}

/*
 * Every sc_patch_key(), sc_patch_keys() and sc_patch_object() the registry
 * makes (updates, registration) comes here (-Wl,--wrap=sc_patch_key,
 * --wrap=sc_patch_keys,--wrap=sc_patch_object) while an input runs:
 * injected text operations, then the checks of the top comment. For an
 * object (the only one of the input), keys and targets are its keys and
 * their values.
 */
int __real_sc_patch_key(struct sc_key *key, void *target, int flags);
int __real_sc_patch_keys(struct sc_key *const *keys, void *const *targets,
			 size_t n, int flags);
int __real_sc_patch_object(struct sc_object *o);
static int checked_patch(struct sc_key *const *keys, void *const *targets,
			 size_t n, int flags, struct sc_object *object)
{
	uint8_t before[FZ_MAX_CODE];
	memcpy(before, fz.code, fz.code_len);

	/* What this call may change: the key's verified code, as verified
	 * when the object was loaded (a site verified later by a recheck
	 * inside sc_patch_key would be new, unexpected, territory). */
	memset(fz.allowed, 0, fz.code_len);
	for (size_t k = 0; k < n; k++) {
		struct sc_key *key = keys[k];
		fz_key_of(key);
		for (size_t i = 0; i < key->ntramps; i++)
			allow(&key->tramps[i]->code);
		for (size_t i = 0; i < key->nsites; i++)
			allow(&key->sites[i]->code);
	}

	fz.nopen = 0;
	fz.npending = 0;
	fz.n_mw = fz.n_cas = 0;
	fz.syncs = 0;
	sc_set_text_ops(&fz_ops);
	sc_set_code_flush(op_flush, NULL);
	int err = object ? __real_sc_patch_object(object)
		  : n == 1 ? __real_sc_patch_key(keys[0], targets[0], flags)
			   : __real_sc_patch_keys(keys, targets, n, flags);
	sc_set_code_flush(NULL, NULL);
	sc_set_text_ops(NULL);

	for (size_t k = 0; k < n && sc_log_enabled(SC_LOG_DEBUG); k++) {
		struct sc_key *key = keys[k];
		void *target = targets[k];
		fprintf(stderr, "fuzz_table: patch key %p -> %p: %d, %d writes,"
			" %d syncs;", (void *)key->var, target, err, fz.n_cas, fz.syncs);
		for (size_t i = 0; i < key->ntramps; i++)
			fprintf(stderr, " slot +%#lx %016llx",
				(unsigned long)(key->tramps[i]->code.insn - fz.code),
				(unsigned long long)sc_code_load64(
					(const uint64_t *)key->tramps[i]->code.insn));
		fputc('\n', stderr);
	}
	CHECK(fz.nopen == 0, "%d page runs left writable", fz.nopen);
	CHECK(fz.npending == 0, "%d written words never flushed", fz.npending);
	for (size_t b = 0; b < fz.code_len; b++)
		if (!fz.allowed[b])
			CHECK(fz.code[b] == before[b],
			      "byte code+%#zx changed outside every verified site "
			      "of the key", b);
	if (err) {
		CHECK(err == -EBUSY || err == -EIO || err == -ENOMEM,
		      "unexpected error %d", err);
		CHECK(!memcmp(fz.code, before, fz.code_len),
		      "failed update (%d) left code changed", err);
	} else for (size_t k = 0; k < n; k++) {
		struct sc_key *key = keys[k];
		void *target = targets[k];
		struct fz_key *fk = fz_key_of(key);
		fk->target = target;
		fk->patched = 1;
		/* A reachable target must actually be reached. */
		for (size_t i = 0; i < key->ntramps; i++) {
			struct sc_code *c = &key->tramps[i]->code;
			if (c->state != SC_CODE_OK || !target ||
			    !slot_in_range(c->insn, target))
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
	check_keys();
	return err;
}

int __wrap_sc_patch_key(struct sc_key *key, void *target, int flags)
{
	if (!fz.active)
		return __real_sc_patch_key(key, target, flags);
	return checked_patch(&key, &target, 1, flags, NULL);
}

/* Registration patches all keys of the object in one batch: the same
 * checks, the code of every key of the batch allowed to change. */
int __wrap_sc_patch_keys(struct sc_key *const *keys, void *const *targets,
			 size_t n, int flags)
{
	if (!fz.active)
		return __real_sc_patch_keys(keys, targets, n, flags);
	return checked_patch(keys, targets, n, flags, NULL);
}

/* Registration: the object's keys, each to its value. */
int __wrap_sc_patch_object(struct sc_object *o)
{
	if (!fz.active)
		return __real_sc_patch_object(o);
	struct sc_key *keys[FZ_MAX_KEYS];
	void *targets[FZ_MAX_KEYS];
	size_t n = 0;
	for (size_t i = 0; i < o->ntramps; i++) {
		struct sc_key *k = o->tramps[i].key;
		size_t j = 0;
		while (j < n && keys[j] != k)
			j++;
		if (!k || j < n)
			continue;
		CHECK(n < FZ_MAX_KEYS, "too many keys");
		if (n == FZ_MAX_KEYS)
			break;
		keys[n] = k;
		targets[n++] = *k->var;
	}
	return checked_patch(keys, targets, n, 0, o);
}

static void *target_of(const uint8_t *t, struct sc_key *key)
{
	int32_t off;
	memcpy(&off, t + 1, 4);
	switch (t[0] % 6) {
	case 0: return (void *)((uintptr_t)fz.code + (intptr_t)off);
	case 1: /* beyond rel32 (and b/bl) range */
		return (void *)((uintptr_t)fz.code + ((uintptr_t)3 << 30) + (intptr_t)off);
	case 2: return NULL;
	case 3: /* the key's own trampoline */
		if (!key || !key->ntramps)
			return NULL;
		return key->tramps[0]->code.insn;
	case 4: return (void *)((uintptr_t)fz.table + (intptr_t)off);
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

/*
 * sc_object_load() of the registry (-Wl,--wrap=sc_object_load): the
 * input's table is in no loaded object (the real one finds segments with
 * dl_iterate_phdr), so describe its buffers as the object's segments, run
 * the runtime's checks (sc_object_validate) and check what they accepted.
 */
struct sc_object *__real_sc_object_load(const struct sc_abi_object *abi);
struct sc_object *__wrap_sc_object_load(const struct sc_abi_object *abi)
{
	if (!fz.active || abi != fz.abi)
		return __real_sc_object_load(abi);
	const struct fz_header *h = fz.h;
	uint8_t *code = fz.code, *table = fz.table;
	struct sc_object *obj = sc_mem_alloc(sizeof *obj); /* sc_object_free frees it */
	obj->abi = abi;
	obj->name = strdup("fuzz-object");
	obj->base = (uintptr_t)code;
	int code_prot = (h->mode & FZ_CODE_NOEXEC) ? PROT_READ : PROT_READ | PROT_EXEC;
	if ((h->mode & FZ_SPLIT) && h->split > 0 && h->split < h->code_len) {
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code, (uintptr_t)code + h->split, code_prot };
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code + h->split, (uintptr_t)code + h->code_len,
			PROT_READ | PROT_WRITE | PROT_EXEC };
	} else {
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)code, (uintptr_t)code + h->code_len, code_prot };
	}
	if (!(h->mode & FZ_NO_TABLE_SEG))
		obj->segs[obj->nsegs++] = (struct sc_segment){
			(uintptr_t)table, (uintptr_t)table + h->table_len,
			(h->mode & FZ_TABLE_WRITABLE) ? PROT_READ | PROT_WRITE
						      : PROT_READ };

	int err = sc_object_validate(obj);
	/* Validation reads, never writes. */
	CHECK(!memcmp(code, fz.orig, h->code_len), "validation changed the code");
	if (err) {
		CHECK(err == -EINVAL || err == -ENOMEM, "validate returned %d", err);
		sc_object_free(obj);
		return NULL;
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
		CHECK(code_prot & PROT_EXEC || (h->mode & FZ_SPLIT),
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
		CHECK(!FZ_ARM64 || (uintptr_t)c->insn % 4 == 0,
		      "verified arm64 site %p not 4-byte aligned", (void *)c->insn);
		CHECK(sc_arch_match(c->insn, c->kind) &&
			      reaches(c->insn, c->kind) == s->tramp->code.insn,
		      "verified site %p does not call its trampoline", (void *)c->insn);
		CHECK(!memcmp(c->insn, c->bytes, c->len), "site bytes differ");
		if (!(s->flags & SC_SITE_ANCHOR) && !(s->flags & SC_SITE_TAIL))
			CHECK(c->kind == SC_INSN_CALL, "plain site is not a call");
	}
	/* The runtime refuses overlapping pieces (two keys naming one
	 * trampoline, an anchor resolving into a slot or another site). */
	CHECK(!verified_overlap(obj), "verified pieces of code overlap");

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
	fz.obj = obj;
	/* Every key starts out holding the last target: registration
	 * patches each key to its variable's value. */
	void *initial = target_of(fz.targets + 5 * (fz.ntargets - 1), NULL);
	for (int i = 0; i < 256; i++)
		key_vars[i] = initial;
	return obj;
}

/* The registry, this program's own copy (registry.c). */
extern const struct sc_registry_ops __staticcall_registry_v1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_header h;
#if !FZ_ARM64
	/* A strong reference: the runtime's are weak (a -static program may
	 * leave Zydis out), and --as-needed would drop the library. */
	static volatile ZyanU64 zydis_version;
	if (!zydis_version)
		zydis_version = ZydisGetVersion();
#endif
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
	fz.table = table;
	fz.code_len = h.code_len;
	fz.h = &h;
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

	/* Translate the records' relative fields (see the top comment); a
	 * descriptor's key is a key number in either mode. */
	for (int32_t o = h.sites_begin; !(h.mode & FZ_RAW) && o >= 0 &&
	     o < h.sites_end && o + 12 <= h.table_len; o += 12) {
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
		void *kv = key_var_of(table[o]);
		memcpy(table + o, &kv, 8);
		if (h.mode & FZ_RAW)
			continue;
		int32_t v;
		memcpy(&v, table + o + 8, 4);
		int32_t r32 = (int32_t)(uint32_t)((uintptr_t)code + (intptr_t)v -
						  (uintptr_t)(table + o + 8));
		memcpy(table + o + 8, &r32, 4);
	}
	memcpy(fz.orig, code, h.code_len);

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
	fz.targets = targets;
	fz.ntargets = ntargets;

	/* Register: the registry loads (validates, through the wrapper
	 * above), groups the trampolines into keys and patches them. */
	fz.abi = &abi;
	fz.obj = NULL;
	fz.nkeys = 0;
	fz.fail_mw = fz.fail_cas = 0;
	fz.active = 1;
	const struct sc_registry_ops *reg = &__staticcall_registry_v1;
	int err = reg->reg(&abi);
	if (!fz.obj) {
		CHECK(err == -EINVAL, "registration of a refused table returned %d", err);
		goto out;
	}
	CHECK(err == 0, "registration returned %d", err);
	struct sc_object *obj = fz.obj;
	/* Every verified trampoline is in a key; every site of one is
	 * among its key's sites. */
	for (size_t i = 0; i < obj->ntramps; i++) {
		struct sc_tramp *t = &obj->tramps[i];
		struct sc_key *k = t->key;
		void *var = abi.descs_begin[i].key;
		if (!is_key_var(var)) {
			CHECK(!k && t->key_refused && t->code.state != SC_CODE_OK &&
				      t->code.reason,
			      "descriptor %zu with key %p was accepted", i, var);
			continue;
		}
		CHECK(!t->key_refused, "descriptor %zu: key %p refused: %s", i,
		      var, t->code.reason);
		CHECK(k && k->var == var && sc_key_find(var) == k,
		      "trampoline %zu is not in the key of its variable", i);
		fz_key_of(k);
	}
	for (size_t i = 0; i < obj->nsites; i++) {
		struct sc_key *k = obj->sites[i].tramp->key;
		size_t j = 0;
		while (k && j < k->nsites && k->sites[j] != &obj->sites[i])
			j++;
		CHECK(!k || j < k->nsites, "site %zu missing from its key", i);
	}

	/* Keys sorted by variable: the order does not depend on allocation. */
	for (int a = 1; a < fz.nkeys; a++)
		for (int b = a; b > 0 && fz.keys[b].key->var < fz.keys[b - 1].key->var; b--) {
			struct fz_key t = fz.keys[b];
			fz.keys[b] = fz.keys[b - 1];
			fz.keys[b - 1] = t;
		}
	int nkeys = fz.nkeys;
	for (int k = 0; k < nkeys; k++) {
		struct sc_key *key = fz.keys[k].key;
		for (size_t t = 0; t < ntargets; t++) {
			fz.fail_mw = t == 0 ? h.faults & 15 : 0;
			fz.fail_cas = t == 0 ? h.faults >> 4 : 0;
			void *target = target_of(targets + 5 * t, key);
			void *was = *key->var;
			int e = reg->update(key->var, target);
			CHECK(*key->var == (e ? was : target),
			      "update %s, the key holds %p", e ? "failed" : "done",
			      *key->var);
		}
	}
	/* Faults last too, once everything has moved. */
	if (h.faults && nkeys) {
		fz.fail_mw = h.faults & 15;
		fz.fail_cas = h.faults >> 4;
		reg->update(fz.keys[0].key->var, code);
	}
	fz.fail_mw = fz.fail_cas = 0;
	/* The registry's readers of live code: static_call_sites() lists
	 * every site of each key, and static_call_verify() finds every
	 * verified site reaching what its key holds (updates are all or
	 * nothing, and each one stored the key only if it succeeded). */
	for (int k = 0; k < nkeys; k++) {
		struct sc_key *key = fz.keys[k].key;
		struct static_call_site_info info[16];
		int n = reg->sites(key->var, info, 16);
		CHECK(n >= 0 && (size_t)n == key->nsites, "static_call_sites: %d of %zu",
		      n, key->nsites);
		/* A site is reported unverified exactly when it is. */
		for (int i = 0; i < n && i < 16; i++)
			CHECK(info[i].address == key->sites[i]->code.insn &&
				      (key->sites[i]->code.state != SC_CODE_OK) ==
					      (info[i].form == STATIC_CALL_SITE_UNVERIFIED),
			      "static_call_sites: site %d at %p, form %d", i,
			      info[i].address, info[i].form);
	}
	int stale = reg->verify(0);
	CHECK(stale == 0, "static_call_verify: %d stale sites", stale);
	CHECK(reg->unreg(&abi) == 0, "unregistration failed");
	/* The registry dropped the object's keys. */
	for (int i = 0; i < FZ_FIRST_BAD_KEY; i++)
		CHECK(!sc_key_find(&key_vars[i]), "key %d survived its object", i);
out:
	fz.active = 0;
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
