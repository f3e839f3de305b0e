/*
 * internal.h - the runtime's private types, shared by its files.
 *
 * Layers, bottom up:
 *   arch.h       the arch boundary: arch_<isa>.c and anchor_<isa>.c encode
 *                and decode the patchable instructions of one ISA,
 *                site_decode.c names the forms they read
 *   text_writer  changes live code words (page protection, CAS, core sync);
 *                its operations are injectable so tests can watch every write
 *   patch.c      plans a batch for one key, verifies it, applies it
 *   object.c     validates one linked object's table against its segments
 *   registry.c   objects and keys, updates and stores, under lock.c's lock;
 *                introspect.c (sites, verify, exit reports) and seal.c
 *                (static_call_seal) read them
 *   process.c    the one registry per process, fork
 *   api.c        the exported entry points
 */
#ifndef SC_INTERNAL_H
#define SC_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "reasons.h"
#include "elf_symbols.h"
#include "staticcall.h"
#include "staticcall_abi.h"

#define SC_EXPORT __attribute__((visibility("default")))
/* Code that reads or writes machine code: sanitizers have no shadow for it. */
#define SC_NO_SANITIZE __attribute__((no_sanitize_thread, no_sanitize_address))

/* ---- memory.c: allocations that leave the program's malloc alone ------ */
void *
sc_mem_alloc(size_t n); /* zeroed; large ones populated: size them to use */
void sc_mem_free(void *p);
/* Zeroed, its pages not touched until written (freed by sc_mem_free). */
void *sc_mem_alloc_untouched(size_t n);
void *sc_mem_realloc(void *p, size_t n);
/* In place, no allocation (glibc's qsort mallocs a copy of the array). */
void sc_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *, const void *));

/* ---- env.c: the environment switches, read once at start-up -------- */
struct sc_env {
	int log_level;	      /* STATICCALL_LOG: enum sc_log_level */
	int disable;	      /* STATICCALL_DISABLE=1: never write code */
	int sites_trampoline; /* STATICCALL_SITES=trampoline: sites stay on
				 trampolines, slots go direct */
	int verify_at_exit;   /* STATICCALL_VERIFY=1 */
	int report_at_exit;   /* STATICCALL_REPORT=1 */
	int abort_on_stale;   /* STATICCALL_ON_STALE=abort */
	int seal;	      /* STATICCALL_SEAL: 0, 1 code, 2 updates */
	int straddle_wait;    /* STATICCALL_STRADDLE=wait: patch sites whose
				 displacement straddles a word through the
				 `jmp .` transient (docs/PATCHING.md) */
	int bind_eager;	      /* STATICCALL_BIND=eager: every site patched at
				 load, none on its first call (bind.c) */
	int promote; /* STATICCALL_PROMOTE: 0 off, 1 on (default), 2 freeze
			(promote.c) */
	int perf_map; /* STATICCALL_PERF_MAP=1: promotion stubs named in
			 /tmp/perf-PID.map (promote.c) */
	size_t defer_min;     /* STATICCALL_DEFER_MIN: the fewest site records
				 registered deferred (SC_DEFER_MIN) */
	int promote_count; /* STATICCALL_PROMOTE_COUNT: promotion stubs count
			      their hits and misses (default on; 0/off:
			      not; promote.c) */
	int promote_inline; /* STATICCALL_PROMOTE_INLINE: inline sites are
			       opened (default on; 0/off: all stay closed,
			       on their slow paths; promote_inline.c) */
	size_t promote_relayout_ms; /* STATICCALL_PROMOTE_RELAYOUT: the first
				       relayout's delay (ms; 0: promote.c's
				       default; SIZE_MAX: "off", none) */
};
const struct sc_env *sc_env(void);

/* ---- log.c ------------------------------------------------------------ */
enum sc_log_level {
	SC_LOG_ERROR = 0,
	SC_LOG_WARN = 1,
	SC_LOG_INFO = 2,
	SC_LOG_DEBUG = 3
};
void sc_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sc_log_enabled(int level);
/* A line the user asked for (STATICCALL_REPORT=1, STATICCALL_VERIFY=1):
 * "staticcall: <line>", whatever STATICCALL_LOG says. */
void sc_log_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SC_REASON_FORCED \
	"sites kept on trampolines by STATICCALL_SITES=trampoline"

/* ---- segments of one linked object ------------------------------------ */
struct sc_segment {
	uintptr_t lo, hi; /* [lo, hi) in memory */
	int prot;	  /* PROT_* from p_flags */
};

#define SC_MAX_SEGMENTS 16

/* ---- objects, keys, sites --------------------------------------------- */
struct sc_key;
struct sc_object;

struct sc_tramp {
	struct sc_code code;
	struct sc_key *key;
	struct sc_object *object;
	uint32_t flags;	 /* SC_DESC_* */
	int key_refused; /* its descriptor names no key variable
			    (key_check.c): never attached to a key */
	int bindable;	 /* its bind block was verified (SC_DESC_BIND) */
	size_t unbound;	 /* its sites not bound yet: slot in bind form */
	size_t deferred; /* its sites of a deferred object: room held in
			    its key's list (registry.c) until attached */
};

/* A site's lazy-binding state (bind.c). */
enum sc_bind_state {
	SC_SITE_BOUND = 0,   /* patched to its key's value like any site */
	SC_SITE_UNBOUND = 1, /* as compiled, on its trampoline */
};

struct sc_site {
	struct sc_code code;
	uint8_t *record_addr; /* the address the record names (site or anchor) */
	struct sc_tramp *tramp;
	struct sc_object *object;
	uint32_t flags; /* SC_SITE_* */
	uint8_t bind;	/* enum sc_bind_state */
};
/* One cache line: the arch's part of sc_code must not grow it. */
_Static_assert(sizeof(struct sc_site) == 64, "struct sc_site is 64 bytes");

struct sc_object {
	const struct sc_abi_object *abi;
	char *name;
	uintptr_t base;
	struct sc_segment segs[SC_MAX_SEGMENTS];
	int nsegs;
	struct sc_site *sites;
	size_t nsites;
	int deferred; /* lazy registration (object.c): sites[i] is filled and
			 verified only when sc_object_site() first asks for
			 it; its sites are not in their keys' lists yet */
	struct sc_tramp *tramps;
	size_t ntramps;
	const struct sc_abi_line *lines; /* checked source lines table */
	size_t nlines;
	size_t nfrags; /* fragment.c: its fragments registered as inline forms */
	uintptr_t keys_lo, keys_hi; /* span of the keys it names */
	int range_slot;		    /* key_ranges.c, -1 if none */
	struct sc_object *next;
};

struct sc_key {
	void **var;		/* the canonical key variable */
	struct sc_site **sites; /* every registered site, all objects */
	size_t nsites, cap_sites;
	size_t incoming;	  /* attach(): sites of the object coming in */
	size_t reserved;	  /* room held for deferred objects' sites */
	struct sc_tramp **tramps; /* one per object that uses the key */
	size_t ntramps, cap_tramps;
	unsigned long store_gen; /* last store_range that re-patched it */
	void *begin_value;	 /* its value when a store_range_begin moved
				     its sites to the slow path */
	int begun;		 /* ... and that store's end is due */
	struct sc_key *hash_next;
};

/* One aligned word to change, in phase `phase` (SC_PHASES, arch.h). */
struct sc_write {
	uint64_t *word;
	uint64_t old_value, new_value;
	int phase;  /* 0..SC_PHASES-1 */
	int verify; /* first write of this word: check it holds old_value */
	int prot;   /* protection of the word's segment, restored after */
};

/* ---- text_writer.c: changing live code -------------------------------- */
struct sc_text_ops {
	/* Make [page, page+len) writable / restore `prot`; 0 or -errno. */
	int (*make_writable)(void *ctx, uintptr_t page, size_t len, int prot);
	int (*restore)(void *ctx, uintptr_t page, size_t len, int prot);
	/* Atomically replace *word if it equals expect; 1 if replaced. */
	int (*cas)(void *ctx, uint64_t *word, uint64_t expect, uint64_t value);
	/* Make every thread's instruction stream see the new code. */
	void (*sync_cores)(void *ctx);
	void *ctx;
};
const struct sc_text_ops *sc_text_ops(void);
/* For tests: replace the operations (NULL restores the real ones). */
void sc_set_text_ops(const struct sc_text_ops *ops);
/* Cache maintenance for code just written at [addr, addr+len): run after
 * every successful word write, before the next core sync. The real one is
 * __builtin___clear_cache (a no-op on x86-64; on arm64 DC CVAU, DSB ISH,
 * IC IVAU, DSB ISH, ISB). For tests: inject another (NULL: the real one). */
typedef void (*sc_flush_fn)(void *ctx, void *addr, size_t len);
void sc_set_code_flush(sc_flush_fn fn, void *ctx);
size_t sc_page_size(void);

/*
 * Apply a batch: verify the words marked `verify` still hold old_value,
 * make the pages writable, CAS the words phase by phase with one core sync
 * after each phase that wrote anything, restore protections. On any
 * failure every word already written is put back (in reverse, with syncs)
 * and nothing is left changed. Returns 0 or -errno (-EBUSY: a word held
 * unexpected bytes; -EACCES/-EPERM: pages could not be made writable).
 * Writes must be sorted by phase.
 */
int sc_text_apply(struct sc_write *writes, size_t n);
/* The same without allocating (the binder, under the lock): -E2BIG when
 * the writes touch too many pages (more than ~300) to plan in its static
 * scratch. */
int sc_text_apply_noalloc(struct sc_write *writes, size_t n);

/* ---- object.c: validating a table ------------------------------------- */
/* Build an sc_object for a table; NULL (and a report) if it is unusable.
 * Records that fail checks are kept out; see the report. */
struct sc_object *sc_object_load(const struct sc_abi_object *abi);
void sc_object_free(struct sc_object *obj);
/* Fill o's name, base and segments from the loaded object holding addr
 * (static keys use this alone, with no table of sites); 0 or -ENOENT. */
int sc_object_locate(struct sc_object *o, const void *addr);
/* The checks alone, on an object whose name, base and segments are filled
 * in (sc_object_load finds them with dl_iterate_phdr; the fuzzer describes
 * its own buffers). 0, or -errno with the object unusable. */
int sc_object_validate(struct sc_object *obj);
/* The object's trampolines that keep() accepts, sorted by address
 * (allocated; NULL when out of memory): merged with its sorted sites. */
struct sc_tramp **
sc_object_tramps_by_address(struct sc_object *o,
			    int (*keep)(const struct sc_tramp *), size_t *n);
/*
 * Deferred registration (lazy binding, a large table of plain call sites
 * in address order, none overlapping another or a slot): sc_object_load
 * leaves o->sites unfilled (o->deferred) and counts each trampoline's
 * sites in its `unbound`. The binder fills (and verifies, by the same
 * code as a normal registration) only the records it binds; everything
 * else first calls sc_object_undefer (registry.c: sc_lock_sites).
 */
#define SC_DEFER_MIN 1024

/* The bucket of a key's address in a table of NBUCKETS (registry.c's keys,
 * static_keys.c's): keys are pointer-aligned, so the low bits say
 * nothing. */
static inline size_t sc_addr_bucket(const void *p, size_t nbuckets)
{
	uintptr_t x = (uintptr_t)p >> 3;
	return (x ^ (x >> 10) ^ (x >> 20)) % nbuckets;
}
/* The address of o's i-th site (sites are sorted by it). */
const uint8_t *sc_object_site_insn(const struct sc_object *o, size_t i);
/* o's i-th site, filled and verified first if it was deferred (quietly:
 * the binder may not log; sc_object_fill_all reports it). */
struct sc_site *sc_object_site(struct sc_object *o, size_t i);
/* Fill every deferred record of o, reporting those that fail; their
 * trampolines' counts follow. o stays marked deferred (the registry
 * attaches the sites to their keys, then clears it). */
void sc_object_fill_all(struct sc_object *o);
/* Re-verify a site never matched before (its bytes may have been restored
 * since); 1 if it is now safe to patch. */
int sc_site_recheck(struct sc_site *s);
/* ---- key_check.c: does a descriptor name a key variable? ----------- */
/* The last writable segment a key was found in, to skip the search for
 * the next key (zeroed before the first). */
struct sc_key_checker {
	uintptr_t lo, hi, relro_lo, relro_hi;
};
/* NULL if var is an aligned pointer in writable data of a loaded object
 * (not RELRO); else why not. Never reads *var. */
const char *sc_key_check(const struct sc_object *obj, const void *var,
			 struct sc_key_checker *kc);
/* Is [p, p+len) inside an executable segment of obj? Returns its prot. */
int sc_object_exec_prot(const struct sc_object *obj, const void *p, size_t len);
/* The PROT_* of the segment of obj holding [p, p + len), -1 if none. */
int sc_object_prot(const struct sc_object *obj, const void *p, size_t len);

/* ---- fragment.c: one-instruction fragments -------------------------- */
/* Register each checked fragment of the object's optional table
 * (SC_ABI_FRAGS_SECTION) as the inline form of its function, before its
 * sites are patched; forget them when it goes. Under the lock. */
void sc_frags_register(struct sc_object *obj);
void sc_frags_unregister(struct sc_object *obj);

/* ---- lines.c: each site's source location, for messages only ------- */
/* Check the object's optional lines table (a bad one is ignored with a
 * warning); called by sc_object_validate. */
void sc_lines_load(struct sc_object *obj);
/* The site's file (printable bytes, cut to n - 1) and line; 0 if the
 * object has none for it. */
int sc_site_line(const struct sc_site *s, char *file, size_t n, unsigned *line);

/* ---- stale.c: a site left on an old target, reported loudly ---------- */
/* Names the site (object, function+offset, object+offset and its
 * file:line from the lines table, else the addr2line command that gives
 * it); aborts under
 * STATICCALL_ON_STALE=abort. One event reports at most SC_STALE_SHOWN
 * sites, then sc_report_stale_more() counts the rest. */
void sc_report_stale(const struct sc_site *s, const char *why);
#define SC_STALE_SHOWN 3
void sc_report_stale_more(size_t more, const char *key_name);

/* ---- symname.c: the function holding an address, for reports -------- */
/* "func+0xoff" (a function of o, or a variable when addr is not in its
 * code) from the object file's symbol table (static symbols too), else its
 * dynamic symbols; 0 if nothing names it. */
int sc_symbolize(const struct sc_object *o, const void *addr, char *buf,
		 size_t n);
/* Names for any addresses of the process (keys, sites, targets), from
 * their objects' files (elf_symbols.c, the inspector's reader); keeps the
 * last file read: zero it first, sc_namer_done after. Under the lock. */
struct sc_namer {
	char path[512];
	struct sc_elf_symbols syms;
};
/* "func", "func+0x1c", "var", "NULL", "return-zero", else "0x..."; buf. */
const char *sc_namer_name(struct sc_namer *nm, const void *addr, char *buf,
			  size_t n);
void sc_namer_done(struct sc_namer *nm);
/* "func" or "func+0x1c" for an address in o's code, from o's file only
 * (never the dynamic linker: no lock of its taken); 0 if not named. */
int sc_namer_name_in(struct sc_namer *nm, const struct sc_object *o,
		     const void *addr, char *buf, size_t n);

/* ---- seal.c: static_call_seal -------------------------------------- */
#define SC_REASON_SEALED "sealed by static_call_seal"
#define SC_REASON_SEALED_ENV "sealed by STATICCALL_SEAL=code"
#define SC_REASON_UPDATES_SEALED "updates sealed by static_call_seal"
/* STATIC_CALL_SEAL_* bits in force (STATICCALL_SEAL included). */
int sc_sealed(void);
void sc_seal_set(int bits);
/* Keep the object holding addr loaded for good (RTLD_NODELETE): 1 if it
 * is (or is the main program). Takes the dynamic linker's lock: never
 * call it under the registry lock. */
int sc_pin_object_of(const void *addr);
/* promote.c: every promoted site and sampling thunk back as compiled,
 * in one batch (STATIC_CALL_SEAL_CODE, under the lock); 0 or -errno. */
int sc_promote_seal_code(void);
/* mseal(2) [p, p + n) (page-aligned), and the executable segments of o;
 * 0 or -errno (-ENOSYS: no mseal in this kernel). */
int sc_mseal_range(const void *p, size_t n);
int sc_mseal_object(const struct sc_object *o);
/* promote.c, for STATIC_CALL_SEAL_UPDATES (under the lock): the table
 * address of each object with promotable sites (to pin its object by),
 * up to n of them into out; how many there are. */
size_t sc_promote_objects(const void **out, size_t n);
/* mseal(2) the code of the object whose table is at begin, and its stub
 * and counter memory (nothing is made there any more once sealed); 0 or
 * -errno (-ENOSYS: no mseal; -ENOENT: no such object). */
int sc_promote_mseal(const void *begin);

/* The same for every site of the key variable at var, unnamed. */
void sc_report_stale_key(const void *var, const char *why);

/* ---- patch.c: re-target one key --------------------------------------- */
/* Bring every site and trampoline of key to reach `target`.
 * SC_PATCH_EXACT (static_call_update): if any piece cannot be written,
 * write nothing and return -EBUSY. Otherwise (the key already holds
 * `target`: a store, registration, resync) write every piece that can be
 * and report each site left behind through sc_report_stale. */
#define SC_PATCH_EXACT 0x1
/* Every site onto its trampoline, every slot onto the slow path that
 * reads the key (static_call_seal); targets are ignored. */
#define SC_PATCH_SLOW 0x2
/* The binder's batch (sc_patch_bind): no allocation, no report. */
#define SC_PATCH_BIND 0x4
int sc_patch_key(struct sc_key *key, void *target, int flags);
/* How many sites (trampoline slots not counted) the last batch rewrote;
 * under the lock, right after the batch. */
size_t sc_patch_sites_changed(void);
/* The same for n keys (targets[i] for keys[i]) in one batch: one set of
 * page runs and syncs however many keys. */
int sc_patch_keys(struct sc_key *const *keys, void *const *targets, size_t n,
		  int flags);
/* A new object's pieces, each to its key's value, in one batch (not the
 * keys' sites in other objects, which already follow them); planned in
 * address order. Pieces left behind are reported; 0 or -errno. */
int sc_patch_object(struct sc_object *o);
/* Why the site is not in its most direct form for target (NULL if it
 * would be): the reason static_call_sites and the inspector give. */
const char *sc_site_indirect_reason(const struct sc_site *s, void *target);
/* Why patching is off for the whole process (NULL if it is on). */
const char *sc_patching_off_reason(void);
void sc_patching_turn_off(const char *why);
/* Lazy binding: the binder's batch (bind.c) of the sites of a page (at
 * most SC_BIND_MAX) and at most SC_BIND_TRAMPS trampoline slots, each to
 * its key's value; planned and written without allocating (the binder may
 * run inside malloc or a signal handler). All or nothing: 0 or -errno.
 * A 4 KiB page holds at most ~820 sites (5 bytes each). */
#define SC_BIND_MAX 1024
#define SC_BIND_TRAMPS 256
int sc_patch_bind(struct sc_site *const *sites, size_t n,
		  struct sc_tramp *const *tramps, size_t nt);
/* STATIC_CALL_SEAL_CODE: one batch moving every site of these keys to its
 * trampoline and every slot to its slow path. All or nothing; 0 or -errno. */
int sc_patch_seal_code(struct sc_key *const *keys, size_t nkeys);

/* ---- inline.c, genfn.c: a site holding its target's instruction(s) --- */
/*
 * An inline form: bytes a call site may hold instead of calling `fn`,
 * whenever a key's value is `fn` (the runtime's return-constant and
 * return-argument forms; one-instruction fragments build on the same).
 * How to use it:
 *   1. have `fn`, a function whose whole effect is the bytes' (for
 *      generated forms, sc_genfn_get writes it): it is the key's value,
 *      what static_call_query returns, trampolines, tail and jcc sites,
 *      plugin-free callers and every site the bytes do not fit reach;
 *   2. sc_inline_register(&form) under the lock (copied; a second
 *      registration of the same fn must carry the same bytes);
 *   3. update the key to fn: sc_update_locked() (static_call_update's
 *      path), or any store or registration that patches the key to fn.
 *      Each call site the arch accepts (sc_arch_inline_site: x86-64 call
 *      sites, the bytes padded to the site's length inside the one
 *      instruction) then holds them, every other piece reaches fn.
 * The caller vouches for the bytes (the runtime checks only their length
 * against the site): `ninsn` instructions, exactly `len` bytes,
 * position-independent (no rip-relative operand, no branch, nothing that
 * depends on where it is), results in the return register, clobbering
 * only what a call may. ninsn > 1 (the paravirt `pushf; pop %rax`) only
 * while the process is single-threaded (sc_single_threaded) and at sites of
 * keys declared STATIC_CALL_BOOT (sc_site_multi_ok): an update away from
 * it while threads run and a site holds it returns -EAGAIN, nothing
 * changed; an update to it, a store or a registration while threads run
 * leaves the sites calling fn (a call is always right).
 */
struct sc_inline {
	const void *fn;
	uint8_t bytes[SC_MAX_INSN];
	uint8_t len;   /* 0: no inline bytes (an arch without inline forms
			  still names the generated function's form) */
	uint8_t ninsn; /* 1, or more: single-threaded only */
	uint8_t form;  /* STATIC_CALL_SITE_RETURN_CONST, _RETURN_ARG,
			  _FRAGMENT: what static_call_sites says */
	uint64_t arg;  /* the constant or the argument, for reports */
};
/* 0, -EINVAL (bad form, or fn registered with other bytes), -ENOSPC
 * (more than SC_INLINE_MAX forms). Under the lock. */
#define SC_INLINE_MAX 1024
int sc_inline_register(const struct sc_inline *f);
/* fn's inline form, or NULL: under the lock. */
const struct sc_inline *sc_inline_find(const void *fn);
/* Forget fn's form (an unloaded object's fragment). Under the lock. */
void sc_inline_forget(const void *fn);
/* The bytes site c holds for target, with its sc_code.inline_form in
 * *form; 0 if none (no form, does not fit, several instructions while
 * threads run or at a site whose key is not declared STATIC_CALL_BOOT:
 * multi_ok = sc_site_multi_ok). */
int sc_inline_encode_site(const struct sc_code *c, const void *target,
			  int multi_ok, uint8_t out[SC_MAX_INSN], uint8_t *form);
/* May site s hold a multi-instruction form: its unit declared the key
 * STATIC_CALL_BOOT (SC_DESC_BOOT in its descriptor)? */
#define sc_site_multi_ok(s) \
	((s)->tramp && ((s)->tramp->flags & SC_DESC_BOOT))
/* The inline form whose bytes the site holds (live == its encoding for
 * c), or NULL: for reports. */
const struct sc_inline *sc_inline_of_site(const struct sc_code *c,
					  const uint8_t *live);
/* "return-const(0x2a)", "return-arg(1)", "fragment" for a registered fn;
 * NULL if fn has no form. */
const char *sc_inline_name(const void *fn, char *buf, size_t n);
/* Is this the only thread of the process (/proc/self/status Threads:)?
 * No allocation. The answer holds while the caller runs: only a thread of
 * the process can start another, and this one is inside the runtime. Not
 * seen: clone(CLONE_VM) without CLONE_THREAD (another process sharing the
 * memory): documented. 0 when /proc cannot be read. Cached per batch
 * (sc_single_threaded_forget at a batch's start). */
int sc_single_threaded(void);
void sc_single_threaded_forget(void);
/* For tests: force the answer (1, 0), or -1 for the real one. */
void sc_single_threaded_force(int v);
#define SC_REASON_MULTI_THREADS                                            \
	"site holds a multi-instruction fragment and threads run: it may " \
	"change only while the process is single-threaded"
/* The generated function for `return v` / `return argument n`, registered
 * with its inline form (shared per value, placed within a direct call of
 * `near`: a site of the key, NULL for anywhere); NULL with *err set
 * (-ENOSPC, -ENOMEM, -EINVAL). Under the lock. */
void *sc_inline_const_fn(uint64_t v, int size, const void *near, int *err);
void *sc_inline_ret_arg_fn(int n, const void *near, int *err);
/* The static_call_update path, under the lock (registry.c): patch key
 * var's sites to target (SC_PATCH_EXACT), store it, log it as `cause`.
 * 0 or -errno; nothing changed on error. */
int sc_update_locked(void *var, void *target, const char *cause);

/* genfn.c: executable memory the runtime writes. Each function gets its
 * own page, written while read-write and made read-execute before its
 * address is returned; never written again, never freed (a thread may be
 * inside it at any time); the same code returns the same function when
 * that one is within 1 GiB of `near` (NULL: the runtime's code). At
 * most SC_GENFN_MAX; NULL with *err (-ENOSPC, -ENOMEM, -EACCES: a W^X
 * policy refuses executable memory). Under the lock. */
#define SC_GENFN_MAX 256
void *sc_genfn_get(const uint8_t *code, size_t len, const void *near,
		   int *err);
/* Is p inside a generated function's page? */
int sc_genfn_owns(const void *p);

/* ---- dynsym.c: a symbol of one loaded object, without dlsym ---------- */
struct dl_phdr_info;
const void *sc_dynsym_lookup(const struct dl_phdr_info *info, const char *name);
/* The same, with the symbol's size (st_size) in *size. */
const void *sc_dynsym_lookup_sized(const struct dl_phdr_info *info,
				   const char *name, size_t *size);

/* ---- process.c: the one registry serving the process ----------------- */
struct sc_registry_ops {
	uint32_t abi_version;
	int (*reg)(const struct sc_abi_object *abi);
	int (*unreg)(const struct sc_abi_object *abi);
	int (*update)(void *key, void *target);
	int (*update_ret0)(void *key);
	int (*verify)(int resync);
	int (*store)(void *key, void *value);
	int (*sites)(const void *key, struct static_call_site_info *buf,
		     size_t n);
	void (*store_range)(void *addr, size_t len);
	/* Added later: an older copy serving the registry lacks the fields
	 * below. Read them only where sc_registry_has() says so. */
	int (*seal)(int how);
	void (*store_range_begin)(void *addr, const void *src, size_t len);
	/* lazy binding (bind.c): the bind block's call; bind every site of
	 * a key (NULL: of every key) now */
	int (*bind)(const void *desc, void *ret);
	int (*bind_now)(const void *key);
	/* static keys (static_keys.c) */
	void (*jump_register)(const void *begin, const void *end);
	void (*jump_unregister)(const void *begin);
	int (*key_change)(void *key, int op);
	int (*key_sites)(const void *key, struct static_key_site_info *buf,
			 size_t n);
	/* inline forms (inline.c) */
	int (*update_const)(void *key, unsigned long long value, int size);
	int (*update_ret_arg)(void *key, int n);
};
const struct sc_registry_ops *sc_registry(void);
/* The same once chosen, else NULL: never takes a lock (the binder). */
const struct sc_registry_ops *sc_registry_chosen(void);
/* The size of the serving table (its dynamic symbol's st_size). */
size_t sc_registry_size(void);
#define sc_registry_has(field)                     \
	(sc_registry_size() >=                     \
	 offsetof(struct sc_registry_ops, field) + \
		 sizeof(((struct sc_registry_ops *)0)->field))

/* ---- this copy's registry: registry.c, lock.c, introspect.c, seal.c -- */
/* This copy's table (registry.c); process.c chooses the serving one. */
extern const struct sc_registry_ops __staticcall_registry_v1;
/* sc_own_*: this copy's entries of that table; everyone else calls them
 * through sc_registry(). */
int sc_own_verify(int resync); /* introspect.c */
int sc_own_sites(const void *var, struct static_call_site_info *buf,
		 size_t n);		      /* introspect.c */
int sc_own_seal(int how);		      /* seal.c */
int sc_own_bind(const void *desc, void *ret); /* bind.c */
int sc_own_bind_now(const void *var);	      /* bind.c */

/* ---- static_keys.c: static keys (include/staticcall/kernel.h) ------- */
void sc_own_jump_register(const void *begin, const void *end);
void sc_own_jump_unregister(const void *begin);
int sc_own_key_change(void *key, int op);
int sc_own_key_sites(const void *key, struct static_key_site_info *buf,
		     size_t n);
/* The key's next count for op (__SK_* of kernel.h) from c: 0, or -ERANGE
 * (dec below 0, inc above INT_MAX) or -EINVAL (no such op). */
int sc_key_count_next(int c, int op, int *next);
/* Without a serving registry that knows static keys: the count alone. */
int sc_key_change_count(void *key, int op);
/* STATIC_CALL_SEAL_CODE: every patched static-key site back to its load
 * and test, in one batch (under the lock); 0 or -errno. */
int sc_keys_seal_code(void);
/* STATICCALL_VERIFY: every static key site's word against what the
 * runtime last wrote there and, when patched, against its key's count;
 * each mismatch logged. Adds the sites checked to *checked; returns the
 * stale ones. Under the lock. */
int sc_keys_verify(size_t *checked);

/* ---- bind.c: lazy binding, under the lock ------------------------------ */
#define SC_REASON_UNBOUND                                 \
	"not bound yet: lazy binding patches it when it " \
	"first runs (STATICCALL_BIND=eager, static_call_bind)"
/* Is lazy binding on (STATICCALL_BIND, patching on)? */
int sc_bind_lazy(void);
/* A new object: mark its call sites unbound where its trampolines allow
 * (before sc_patch_object, which then leaves them alone). */
void sc_bind_object_loaded(struct sc_object *o);
/* Bind every site of every key now, in one batch (under the lock). */
int sc_bind_all_locked(void);
/* Mark every unbound site of k bound (the caller patches k next). */
void sc_bind_key_all(struct sc_key *k);
/* Lines for STATICCALL_REPORT=1. */
void sc_bind_report(void);
/* lock.c: the lock if free, without waiting; -EBUSY if not. */
int sc_trylock(sigset_t *saved);

/* lock.c: the one lock, asynchronous signals blocked while it is held.
 * -EDEADLK (nothing taken) if this thread holds it already. */
int sc_lock(sigset_t *saved);
void sc_unlock(const sigset_t *saved);
int sc_lock_held_by_me(void);
/* pthread_atfork (process.c): held across fork, signals left alone. */
void sc_lock_for_fork(void);
void sc_unlock_after_fork(void);

/* registry.c: sc_lock, then every deferred object's sites filled and
 * attached to their keys; every entry point but registration and the
 * binder takes the lock this way. */
int sc_lock_sites(sigset_t *saved);

/* registry.c, under the lock: the keys and the registered objects. */
struct sc_key *sc_key_find(const void *var);
/* The key after k (NULL: the first), in the order reports list them. */
struct sc_key *sc_key_next(const struct sc_key *k);
#define sc_for_each_key(k) \
	for (struct sc_key *k = sc_key_next(NULL); k; k = sc_key_next(k))
struct sc_object *sc_registered_objects(void); /* a list, through ->next */
struct sc_object *sc_registered_object(const struct sc_abi_object *abi);
/* A store or resync changed key k but its sites could not follow (err
 * from sc_patch_key): report each site that misses the key's value. */
void sc_report_stale_sites(struct sc_key *k, const char *what, int err);
/* Right after sc_patch_key(k, target): log the re-targeting at info
 * (cause: "update", "store", "range store", "resync"...), names only when
 * the line is printed. */
void sc_log_retarget(const struct sc_key *k, const void *target,
		     const char *cause, int err);

/* introspect.c: where a site's live bytes send control now, following
 * its trampoline (var_value: the key's value, for the slow path). */
void *sc_site_reaches(const struct sc_site *s, int *form, void *var_value);
/* Before an object goes (at exit, or dlclose): STATICCALL_VERIFY=1 checks
 * every site, once (call it without the lock: it takes it);
 * STATICCALL_REPORT=1 reports each site of o (call it under the lock). */
void sc_verify_at_exit(void);
void sc_report_at_exit(const struct sc_object *o);

/* ---- key_ranges.c: lock-free "might [addr, addr+len) hold a key?" ------ */
/* add/remove under the registry lock; a slot index, or -1 when full (then
 * every query answers yes). */
/* [lo, hi) of every span: the plugins' inline check (key_ranges.c) */
extern uintptr_t __staticcall_key_bounds[2];
int sc_ranges_add(uintptr_t lo, uintptr_t hi);
void sc_ranges_remove(int slot);
int sc_ranges_may_hold(uintptr_t addr, size_t len);

#endif
