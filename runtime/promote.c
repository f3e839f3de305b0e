/*
 * promote.c - learned promotion of ordinary indirect calls (optpolines,
 * issue 16; docs/PATCHING.md "Promoted sites", docs/GUIDE.md).
 *
 * Each linked object compiled with the plugin's promote mode registers a
 * table of sites: `call/jmp thunk_<reg>` (docs/ABI.md). The runtime
 * verifies each site and its thunk, reserves a stub pool near the object,
 * turns the thunks' slots to their sampling form and points each tail
 * site at a slow stub of its own (it has no return address to name it).
 * From then on:
 *
 *  - every 16th to 47th slow call of a thread (random: a fixed stride
 *    would see one phase of a periodic pattern) reaches
 *    sc_promote_sample_entry with its target and the site's return
 *    address (the end of a tail site, from its slow stub); the sample
 *    goes to a per-thread buffer (no lock, no atomic);
 *  - a full buffer is flushed under the runtime lock, if it is free (else
 *    dropped): each sample is tallied to the site its return address
 *    names (looked up in the tables; anything else is dropped);
 *  - sites with enough samples are decided in that flush: a site whose
 *    1..SC_PROMOTE_TARGETS most frequent targets cover 90% of its samples
 *    is pointed at the stub for those targets (written once, shared; the
 *    decisions of SC_PROMOTE_BATCH_MS wait in one batch, their stubs
 *    share a page, sealed before any site points at it); a
 *    promoted site whose misses concentrate on targets the stub has room
 *    for moves to a wider stub; one whose misses reach its limit otherwise
 *    goes back to its slow path and learns again, the limit doubling when
 *    it comes back to the same targets (hysteresis); a site that never
 *    concentrates, is demoted SC_PROMOTE_MAX_DEMOTIONS times within
 *    SC_PROMOTE_SETTLED_MS of its promotion, or whose targets are out of a
 *    stub's reach is pointed at its thunk's retpoline for good (no more
 *    samples); in a promote-plain unit it becomes `call *%reg` in place
 *    instead, terminal (settle_in_place).
 *
 * A stub behaves as `jmp *%reg` for every value (promote_x86_64.c), so a
 * site is correct in each of its forms; each change is one aligned word
 * written by the text writer (sc_text_apply), as for static calls.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "promote.h"
#include "promote_inline.h"
#include "staticcall/promote.h"

/* slow calls per sample, per thread, on average */
#define SC_PROMOTE_PERIOD 32
#define SC_PROMOTE_BUF 32	   /* samples per thread between flushes */
#define SC_PROMOTE_MIN_SAMPLES 16  /* a site's samples before deciding */
/* targets a stub compares, at most: a call site 8 (4 rather than 2
 * recovered SQLite's 3-4-target sites; 8 rather than 4 CPython's 4 call
 * sites of 5-8 targets, 1.3 M more calls a run through stubs instead of
 * retpolines: 1.87-1.89x its plain build against 1.92-1.94x, two
 * interleaved runs), a jump site 16 (an interpreter's dispatch: CPython's
 * ceval handlers, 26 of whose jumps 4 targets could not cover, 8 of them
 * with 8 (2.3x -> 1.9x its plain build), 1 with 16) */
#define SC_PROMOTE_CALL_TARGETS 8
#define SC_PROMOTE_JUMP_TARGETS 16
#define SC_PROMOTE_TARGETS SC_PROMOTE_JUMP_TARGETS /* the larger */
_Static_assert(SC_PROMOTE_TARGETS <= SC_PROMOTE_MAX_TARGETS &&
		       SC_PROMOTE_CALL_TARGETS <= SC_PROMOTE_TARGETS,
	       "a stub holds what a site may choose");
#define SC_PROMOTE_COVER 90	   /* % of samples its targets must cover */
#define SC_PROMOTE_MAX_WINDOWS 4   /* undecided windows before giving up */
#define SC_PROMOTE_MAX_DEMOTIONS 8 /* quick ones (within SETTLED_MS) */
#define SC_PROMOTE_SETTLED_MS 100
/* stub memory per object: address space reserved, pages made only as
 * stubs are (each batch of promotions seals its page and the next one
 * opens a fresh page) */
#define SC_PROMOTE_POOL (4u << 20)
/* Decisions gather this long before their stubs' page is sealed and the
 * sites moved: a page per flush spread CPython's 470 stubs over ~300
 * pages (iTLB and cache sets), 2 ms of decisions share 67 (4 ms: 53, but
 * a phase change waits for the batch too, and must be re-promoted within
 * 10 ms; benchmarks/README.md "CPython"). */
#define SC_PROMOTE_BATCH_MS 2
/* distinct targets tallied per site: enough to find the 16 that cover
 * 90% among others (in a table of its own, made at the site's first
 * sample: most sites never run) */
#define SC_PROMOTE_CAND 32
/* hit counters per object (address space; pages made as used): each
 * relayout takes the live stubs' counters again */
#define SC_PROMOTE_COUNTERS (1u << 20)
#define SC_COUNTER_LINE 64 /* a stub's counters: cache lines of their own */
/* Relayout (relayout(), docs/PATCHING.md "Stub layout"): an object's
 * counted stubs are made again, the hottest first from a fresh page and
 * each chain in the order of its hits, SC_PROMOTE_RELAYOUT_MS after a
 * promotion, then at doubling intervals while promotions go on, at most
 * SC_PROMOTE_RELAYOUTS times: each leaves the stubs it replaced behind
 * (a thread may be inside one), a copy of the live stubs' bytes. */
#define SC_PROMOTE_RELAYOUT_MS 100
#define SC_PROMOTE_RELAYOUTS 5

/* The thread's countdown to its next sample: the thunks' sample block
 * decrements it at %fs:offset (initial-exec TLS, docs/ABI.md). */
SC_EXPORT __thread int __staticcall_promote_tick
	__attribute__((tls_model("initial-exec"))) = SC_PROMOTE_PERIOD;

size_t sc_promote_pool_bytes = SC_PROMOTE_POOL;
uint64_t sc_promote_batch_us = SC_PROMOTE_BATCH_MS * 1000;
uint64_t sc_promote_relayout_ms = SC_PROMOTE_RELAYOUT_MS;
_Static_assert(sizeof((struct static_call_promote_site_info *)0)->targets ==
		       SC_PROMOTE_MAX_TARGETS * sizeof(void *),
	       "the API reports every target a stub can hold");
_Static_assert(sizeof((struct static_call_promote_site_info *)0)->hits ==
		       SC_PROMOTE_MAX_TARGETS * sizeof(unsigned long),
	       "and every target's hits");

enum psite_state {
	PS_BAD,	     /* record did not verify: never written */
	PS_TAIL,     /* a tail call without a slow stub (no stub memory): it
		     has no return address to name it, so it is not learned */
	PS_THUNK,    /* on its thunk, learning */
	PS_STUB,     /* on a stub */
	PS_MEGA,     /* given up: on the thunk's retpoline for good */
	PS_FAR,	     /* its targets are out of a stub's reach (another object
		     more than 2 GiB away): on the retpoline for good */
	PS_SEALED,   /* static_call_seal(CODE): back on its thunk for good */
	PS_COMPILED, /* (SC_PROMOTE_SLS) on the compiler's own thunk, as
			compiled: no sampling entry could be made for it */
	PS_FULL,     /* its object's stub memory is used up: on the
		     thunk's retpoline for good, no more sampling */
	PS_PLAIN,    /* a promote-plain site with targets learned: its own
		     `call *%reg` in place for good (settle) */
	PS_LOCKED,   /* its object's code cannot be made writable (mprotect
		     refused: mseal, a security policy): left where it is,
		     its slow path or its stub, for good (lock_object) */
};

struct psite {
	uint8_t *insn;
	const uint8_t *thunk;	 /* a plugin's thunk, or (SC_PROMOTE_SLS) the
				 runtime's sampling entry for its register */
	const uint8_t *compiled; /* (SC_PROMOTE_SLS) the compiler's thunk
				    the site called as compiled, else NULL */
	const uint8_t *slow; /* its slow path: the thunk, or for a tail site
				its slow stub (sc_parch_slow_encode) */
	const uint8_t *stub; /* PS_STUB: where it points */
	void *targets[SC_PROMOTE_TARGETS], *last[SC_PROMOTE_TARGETS];
	uint8_t reg, tail, state, ntargets, nlast, demotions, windows, touched;
	uint8_t jump; /* a tail site that is no call (SC_PROMOTE_JUMP) */
	/* (SC_PROMOTE_INLINE) the slow path of this inline site, which
	 * compares its stub's first target while on a stub (follow_inline) */
	struct pinline *inl;
	void *inl_keep; /* what it compares once given up on (or NULL) */
	uint8_t plain; /* its thunk ends in `jmp *%reg` (promote-plain) */
	uint8_t queued; /* in the batch, not moved yet: not decided again */
	/* given up, in place (sc_parch_in_place_encode): never written
	 * again, by anything (sealing included) */
	uint8_t terminal;
	struct tally *tally; /* its candidates; NULL until first sampled */
	uint32_t other, samples, miss_limit;
	uint64_t promoted_at; /* ms, CLOCK_MONOTONIC_COARSE */
	unsigned long samples_all, promotions, demotions_all; /* reports */
	const struct stubrec *rec;	 /* PS_STUB: its stub */
	uint64_t hits_seen, misses_seen; /* rec's counters at the last
					    decision */
	/* rec's misses when its hit counts (re)started (promotion, a
	 * restart): what a stopped count is weighed against */
	uint64_t misses_from;
	uint8_t undecided; /* the last decision started counts again */
	/* (check_inline) its inline site closed for a probe, what it
	 * compared before, checks to wait before the next, the last wait */
	uint8_t inl_probe, inl_wait, inl_backoff;
	const void *inl_was;
	unsigned long kept; /* decisions that kept it on its stub: misses
			       rare next to its hits (hit counters) */
};

/* A sampled site's distinct targets and their samples (tally()). */
struct tally {
	void *cand[SC_PROMOTE_CAND];
	uint32_t cnt[SC_PROMOTE_CAND];
};

struct stubrec {
	const uint8_t *at;
	const uint8_t *miss;
	int reg, n;
	void *t[SC_PROMOTE_TARGETS];
	const uint8_t *site; /* a counting stub's one site, else NULL */
	size_t len;
	uint64_t *cnt; /* its hits [0, n) and misses [n], or NULL */
	/* a relayout moved its site to a copy (its counts with it): never
	 * handed out again */
	int retired;
};

/* An inline site's stub counts at its last check (check_inline): rec's
 * hits then; another rec (widened, laid out again) starts afresh. */
struct inlcheck {
	const struct stubrec *rec;
	uint64_t seen[SC_PROMOTE_TARGETS];
};

/* A promoted site and its stub's hits, for relayout's order. */
struct hot {
	struct psite *s;
	uint64_t hits;
	const struct stubrec *to; /* its stub in the new layout */
};

struct pobj {
	const void *begin, *end;
	struct sc_object obj; /* name, base, segments */
	uintptr_t lo, hi;     /* its executable span */
	struct psite *sites;  /* sorted by insn */
	size_t n;
	struct pinline *inl; /* its inline sites' (as many as records) */
	struct inlcheck *inl_chk; /* theirs for check_inline, alike */
	size_t ninl, inl_next; /* (check_inline starts at site inl_next) */
	/* the sites' tallies, handed out in order as sites are first
	 * sampled (n of them reserved, pages touched as used; no malloc
	 * while sampling, which a signal handler may reach) */
	struct tally *tallies;
	size_t ntallies;
	struct sc_execmem pool; /* its stubs */
	int pool_ok;
	struct stubrec *stubs;
	size_t nstubs, capstubs;
	size_t slow_bytes; /* tail sites' slow stubs */
	size_t jump_bytes; /* given-up sites' own `jmp *%reg` stubs */
	/* (SC_PROMOTE_SLS) the sampling entry of each register, in the
	 * pool; NULL: not made */
	const uint8_t *entry[32];
	/* hit counters (STATICCALL_PROMOTE_COUNT): read-write pages within
	 * a stub's reach, reserved at the first counting stub */
	struct sc_execmem cnt;
	int cnt_state; /* 0 not reserved yet, 1 reserved, -1 none */
	uint8_t *cnt_page; /* the data page being handed out, or NULL */
	size_t cnt_page_used, cnt_used; /* bytes: of that page, of all */
	/* relayout: n entries reserved untouched (no malloc under a flush);
	 * one is waiting when relayout_set, since relayout_from (ms) */
	struct hot *hot;
	unsigned relayouts;
	size_t relaid; /* sites moved by them, in all */
	size_t hit_restarts; /* stopped hit counts started again */
	size_t gap_bytes; /* left before counting stubs (make_stub) */
	int relayout_set;
	uint64_t relayout_from;
	uint64_t inl_checked; /* ms: its inline sites' last check */
	int locked; /* its code refused to be made writable (lock_object) */
	int seal_moved; /* sealing moved its sites (if locked only after) */
	struct pobj *next;
};

static struct pobj *pobjs;
static struct {
	size_t rejected;
	unsigned long promotions, demotions, samples;
} totals;

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The batch's clock: the coarse one ticks every few ms, its window's
 * size. */
static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* Where the sites are and what their states are, for readers outside
 * the process (staticcall_abi.h); its mode is set by mode(). */
SC_EXPORT struct sc_abi_promote_view __staticcall_promote_view = {
	.version = SC_ABI_PROMOTE_VIEW_VERSION,
	.objects = (uint64_t)(uintptr_t)&pobjs,
	.obj_next = offsetof(struct pobj, next),
	.obj_sites = offsetof(struct pobj, sites),
	.obj_nsites = offsetof(struct pobj, n),
	.site_size = sizeof(struct psite),
	.site_insn = offsetof(struct psite, insn),
	.site_state = offsetof(struct psite, state),
	.state_of = {
		[PS_BAD] = STATIC_CALL_PROMOTE_REJECTED,
		[PS_TAIL] = STATIC_CALL_PROMOTE_UNLEARNED,
		[PS_THUNK] = STATIC_CALL_PROMOTE_LEARNING,
		[PS_STUB] = STATIC_CALL_PROMOTE_PROMOTED,
		[PS_MEGA] = STATIC_CALL_PROMOTE_MEGAMORPHIC,
		[PS_FAR] = STATIC_CALL_PROMOTE_FAR,
		[PS_SEALED] = STATIC_CALL_PROMOTE_SEALED,
		[PS_COMPILED] = STATIC_CALL_PROMOTE_UNLEARNED,
		[PS_FULL] = STATIC_CALL_PROMOTE_NO_ROOM,
		[PS_PLAIN] = STATIC_CALL_PROMOTE_PLAIN,
		[PS_LOCKED] = STATIC_CALL_PROMOTE_UNWRITABLE,
	},
};

static int mode(void) /* 0 off, 1 on, 2 freeze */
{
	const struct sc_env *e = sc_env();
	int m = e->disable ? 0 : e->promote;
	/* static_call_seal / STATICCALL_SEAL: no more code changes (what
	 * was promoted stays; moving it back is left to do, issue 16) */
	__staticcall_promote_view.mode = sc_sealed() ? SC_PROMOTE_VIEW_SEALED :
						       SC_PROMOTE_VIEW_OFF + m;
	return sc_sealed() ? 0 : m;
}

static int site_cmp(const void *a, const void *b)
{
	const struct psite *x = a, *y = b;
	return x->insn < y->insn ? -1 : x->insn > y->insn;
}

static int exec_span(const struct sc_object *o, uintptr_t *lo, uintptr_t *hi)
{
	*lo = UINTPTR_MAX;
	*hi = 0;
	for (int i = 0; i < o->nsegs; i++)
		if (o->segs[i].prot & PROT_EXEC) {
			if (o->segs[i].lo < *lo)
				*lo = o->segs[i].lo;
			if (o->segs[i].hi > *hi)
				*hi = o->segs[i].hi;
		}
	return *hi > *lo;
}

int sc_promote_retarget(const struct sc_object *o, uint8_t *insn, int tail,
			const void *from, const void *to)
{
	uint8_t bytes[SC_PSITE_MAX];
	if (!sc_parch_site_encode(insn, tail, to, bytes))
		return -ERANGE;
	return sc_promote_write_site(o, insn, tail, from, bytes);
}

int sc_promote_write_site(const struct sc_object *o, uint8_t *insn, int tail,
			  const void *from, const uint8_t *bytes)
{
	if (((uintptr_t)insn & 7) > 8 - SC_PSITE_LEN)
		return -EINVAL; /* not one word: never written */
	uint8_t seen[SC_PSITE_LEN];
	sc_promote_read_bytes(insn, seen, SC_PSITE_LEN);
	if (sc_parch_site_dest(insn, tail) != from)
		return -EBUSY; /* changed behind us: leave it */
	return sc_promote_write_bytes(o, insn, seen, bytes, SC_PSITE_LEN);
}

void sc_promote_read_bytes(const uint8_t *at, uint8_t *out, size_t n)
{
	const uint64_t *word = (const uint64_t *)((uintptr_t)at & ~(uintptr_t)7);
	uint64_t w = sc_code_load64(word);
	memcpy(out, (uint8_t *)&w + ((uintptr_t)at & 7), n);
}

int sc_promote_write_bytes(const struct sc_object *o, uint8_t *at,
			   const uint8_t *expect, const uint8_t *bytes,
			   size_t n)
{
	if (((uintptr_t)at & 7) + n > 8)
		return -EINVAL; /* not one word: never written */
	uint64_t *word = (uint64_t *)((uintptr_t)at & ~(uintptr_t)7);
	uint64_t old = sc_code_load64(word), new = old;
	/* the word the CAS expects holds what the caller checked: a
	 * breakpoint set since then fails it, never is overwritten */
	if (memcmp((uint8_t *)&old + ((uintptr_t)at & 7), expect, n))
		return -EBUSY;
	memcpy((uint8_t *)&new + ((uintptr_t)at & 7), bytes, n);
	struct sc_write w = { word, old, new,
			      0,    1,	 sc_object_exec_prot(o, word, 8) };
	if (!w.prot)
		return -EINVAL;
	return sc_text_apply(&w, 1);
}

/* Where s points now: its stub, or its slow path. */
static const void *site_dest(const struct psite *s)
{
	return s->state == PS_STUB ? s->stub : s->slow;
}

/* Did mprotect refuse (sealed with mseal, an LSM's execmod rule,
 * MemoryDenyWriteExecute)? */
static int refused(int err)
{
	return err == -EPERM || err == -EACCES;
}

/* po's code or stub memory refused (err): said once; every site
 * learning or on a stub stays where it is, correct, in PS_LOCKED, and
 * nothing of po is tried again (a write would fail, and each sample
 * would cost a decision that cannot be carried out). Returns err. */
static int lock_object(struct pobj *po, int err)
{
	if (!refused(err) || po->locked)
		return err;
	po->locked = 1;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state == PS_THUNK || s->state == PS_STUB)
			s->state = PS_LOCKED;
	}
	sc_log(SC_LOG_WARN,
	       "promote: %s: the runtime may no longer change its code or "
	       "make stubs executable (%s: sealed with mseal, or a policy "
	       "such as MemoryDenyWriteExecute): its sites stay where they "
	       "are, unwritable",
	       po->obj.name ? po->obj.name : "?", strerror(-err));
	return err;
}

/* po's open stub page made executable (stubs written there may be
 * reached from now on); 0 or -errno (refused: po locked). */
static int seal_pool(struct pobj *po)
{
	return lock_object(po, sc_execmem_seal(&po->pool));
}

/* Point s at dest (a stub, or its thunk); 0 or -errno. */
static int site_retarget(struct pobj *po, struct psite *s, const void *dest)
{
	if (s->terminal)
		return -EALREADY; /* in place: never written again */
	if (po->locked)
		return -EPERM;
	return lock_object(po, sc_promote_retarget(&po->obj, s->insn, s->tail,
						   site_dest(s), dest));
}

/* Promotions and give-ups decided by the flushes of SC_PROMOTE_BATCH_MS
 * (commit_batch): their stubs are written first (into the pools' open
 * pages, not executable yet), the pages sealed once, then the sites
 * pointed at them, so the stubs of many flushes share a page. A queued
 * site stays on its slow path, correct, until then. k == 0: a given-up
 * site and `jump`, its own `jmp *%reg` stub. */
struct pending {
	struct pobj *po;
	struct psite *s;
	const struct stubrec *stub;
	const uint8_t *jump;
	void *t[SC_PROMOTE_TARGETS];
	int k;
};
#define SC_BATCH_MAX (2 * SC_PROMOTE_BUF) /* a flush adds at most BUF */
struct batch {
	struct pending p[SC_BATCH_MAX];
	unsigned n;
	uint64_t since; /* us: when its first decision was queued */
};

static void perf_map(const struct pobj *po, const uint8_t *at, size_t len,
		     const char *kind, int reg, const uint8_t *site,
		     void *const *t, int n);

/* Where s goes without sampling: its thunk's retpoline (past the slot),
 * or a site of the compiler's own thunk that thunk, as compiled. */
static const uint8_t *plain_path(const struct psite *s)
{
	return s->compiled ? s->compiled : sc_parch_thunk_retpoline(s->thunk);
}

/* A given-up site of a promote-plain unit: its own `jmp *%reg` stub,
 * written (not yet executable) in its object's pool; NULL if there is no
 * room (it then takes the thunk's shared jump). */
static const uint8_t *jump_stub(struct pobj *po, const struct psite *s)
{
	size_t len = sc_parch_jump_stub_size();
	uint8_t buf[64];
	if (!po->pool_ok || !len || len > sizeof buf ||
	    !sc_parch_jump_stub_encode(s->thunk, s->reg, buf))
		return NULL;
	uint8_t *at = sc_execmem_room(&po->pool, len);
	if (!at)
		return NULL;
	memcpy(at, buf, len);
	po->jump_bytes += len;
	perf_map(po, at, len, "given_up", s->reg, s->insn, NULL, 0);
	return at;
}

/* A promote-plain site given up on becomes, in its own bytes, a NOP and
 * `call *%reg` (`jmp *%reg`), from `from` (where it points now): one CAS
 * of its word, the site's old bytes checked. Terminal: a thread may be
 * parked between the two instructions, so nothing writes the site again
 * (docs/PATCHING.md "Given-up sites of a plain build"). 0, or -errno:
 * -ENOTSUP when the arch or the register has no such form. */
static int settle_in_place(struct pobj *po, struct psite *s, const void *from)
{
	uint8_t bytes[SC_PSITE_MAX];
	if (!sc_parch_in_place_encode(s->thunk, s->reg, s->tail, bytes))
		return -ENOTSUP;
	int err = lock_object(po, sc_promote_write_site(&po->obj, s->insn,
							s->tail, from, bytes));
	if (err)
		return err;
	s->terminal = 1;
	s->stub = NULL;
	s->rec = NULL;
	return 0;
}

/* s is given up on (state PS_MEGA, PS_FAR or PS_FULL), or a promote-plain
 * site has learned (PS_PLAIN): it costs no more sampling.
 * A retpoline unit's site is pointed straight at its thunk's retpoline,
 * past the slot (a thread arriving there runs exactly what the slot's
 * plain form leads to). A promote-plain unit's site becomes `call *%reg`
 * in place, for good (settle_in_place: no stub, no extra branch); where
 * it cannot (no form fits; a site not in one word), and a batch b can
 * take it, it is queued to go to a `jmp *%reg` stub of its own (the
 * thunk's one jump is every site's of that register: one prediction
 * entry for all; benchmarks/README.md); the thunk's jump is the last
 * fallback. A site found changed (-EBUSY: a breakpoint) is left alone. */
static void follow_inline(struct pobj *po, struct psite *s);

/* s was to move but its code is not what the runtime wrote (-EBUSY: a
 * breakpoint on it): it stays where it is, in the state it had there
 * (`was`: learning on its slow path, or on its stub), and a later window
 * decides again. Given up on there, it would sample for nothing, for
 * good; marked learning while on a stub, every later write would expect
 * the slow path and fail (reviews found both). */
static void changed_behind_us(struct psite *s, int was)
{
	s->state = (uint8_t)was;
	sc_log(SC_LOG_DEBUG,
	       "promote: site %p changed behind us: left where it is, to "
	       "be decided again",
	       (void *)s->insn);
}

static void settle(struct batch *b, struct pobj *po, struct psite *s, int state)
{
	const void *from = site_dest(s);
	int was = s->state;
	s->state = (uint8_t)state;
	follow_inline(po, s);
	if (s->plain) {
		int err = settle_in_place(po, s, from);
		if (!err)
			return;
		if (err == -EBUSY) {
			changed_behind_us(s, was);
			return;
		}
	}
	if (po->locked) { /* (its code cannot be written) */
		s->state = PS_LOCKED;
		return;
	}
	if (s->plain && b && b->n < SC_BATCH_MAX) {
		const uint8_t *j = jump_stub(po, s);
		if (j) {
			b->p[b->n++] =
				(struct pending){ .po = po, .s = s, .jump = j };
			return;
		}
	}
	int err = site_retarget(po, s, plain_path(s));
	if (!err)
		s->slow = plain_path(s);
	else if (err == -EBUSY)
		changed_behind_us(s, was);
	else if (po->locked)
		s->state = PS_LOCKED;
}

static int thunk_sampling(struct pobj *po, const uint8_t *thunk, int on)
{
	uint64_t *slot = (uint64_t *)thunk;
	struct sc_write w = { slot,
			      sc_parch_thunk_slot(!on),
			      sc_parch_thunk_slot(on),
			      0,
			      1,
			      sc_object_exec_prot(&po->obj, slot, 8) };
	if (sc_code_load64(slot) == w.new_value)
		return 0;
	return lock_object(po, sc_text_apply(&w, 1));
}

/* (Clang) r names an anchor: the site is the first control transfer
 * after it (the decoder the static-call anchors use), a call or, for a
 * tail call, a jump; which one its opcode says. 0 if none. */
static int anchored_site(const struct pobj *po, const struct sc_abi_promote *r,
			 struct psite *s)
{
	const char *why = NULL;
	const uint8_t *limit = NULL;
	if (r->flags & SC_PROMOTE_TAIL)
		return 0;
	for (int i = 0; i < po->obj.nsegs; i++)
		if ((po->obj.segs[i].prot & PROT_EXEC) &&
		    (uintptr_t)s->insn >= po->obj.segs[i].lo &&
		    (uintptr_t)s->insn < po->obj.segs[i].hi)
			limit = (const uint8_t *)po->obj.segs[i].hi;
	if (!limit)
		return 0;
	const uint8_t *site = sc_arch_first_transfer(s->insn, limit, &why);
	if (!site)
		return 0; /* (reported as the anchor's address) */
	s->insn = (uint8_t *)site;
	s->tail = sc_parch_site_dest(s->insn, 1) != NULL;
	return 1;
}

/* (SC_PROMOTE_SLS) s, an anchored `bl`, calls the compiler's own SLS
 * thunk: every word of it checked, its register taken from it. It stays
 * on it (PS_COMPILED) until adopt_sls_sites points it at the runtime's
 * sampling entry. */
static void check_sls_site(struct pobj *po, const struct sc_abi_promote *r,
			   struct psite *s)
{
	if ((r->flags &
	     (SC_PROMOTE_REG_MASK | SC_PROMOTE_REG_HIGH | SC_PROMOTE_TAIL)) ||
	    !(r->flags & SC_PROMOTE_ANCHOR) || s->tail ||
	    !sc_parch_sls_entry_size() ||
	    !sc_object_exec_prot(&po->obj, s->insn, SC_PSITE_LEN))
		return;
	const uint8_t *t = sc_parch_site_dest(s->insn, 0);
	if (!t || !sc_object_exec_prot(&po->obj, t, 20))
		return;
	int reg = sc_parch_sls_thunk_reg(t);
	if (reg < 0)
		return;
	s->reg = (uint8_t)reg;
	s->compiled = s->slow = t;
	s->state = PS_COMPILED;
}

static void check_site(struct pobj *po, const struct sc_abi_promote *r,
		       struct psite *s)
{
	memset(s, 0, sizeof *s);
	s->insn = (uint8_t *)&r->site_rel + r->site_rel;
	s->reg = (r->flags & SC_PROMOTE_REG_MASK) |
		 (r->flags & SC_PROMOTE_REG_HIGH ? 16 : 0);
	s->tail = !!(r->flags & SC_PROMOTE_TAIL);
	s->jump = !!(r->flags & SC_PROMOTE_JUMP);
	s->state = PS_BAD;
	if (r->flags &
	    ~(SC_PROMOTE_REG_MASK | SC_PROMOTE_TAIL | SC_PROMOTE_REG_HIGH |
	      SC_PROMOTE_ANCHOR | SC_PROMOTE_JUMP |
	      SC_PROMOTE_SLS | SC_PROMOTE_INLINE))
		return;
	/* an inline site's slow path is a plain call site */
	int inl = !!(r->flags & SC_PROMOTE_INLINE);
	if (inl && (r->flags & ~(SC_PROMOTE_REG_MASK | SC_PROMOTE_INLINE)))
		return;
	/* A jump site is a tail site (`jmp thunk`), never anchored. */
	if (s->jump && (!s->tail || (r->flags & SC_PROMOTE_ANCHOR)))
		return;
	if ((r->flags & SC_PROMOTE_ANCHOR) && !anchored_site(po, r, s))
		return;
	if (r->flags & SC_PROMOTE_SLS) {
		check_sls_site(po, r, s);
		return;
	}
	/* One aligned quadword holds the instruction (x86-64: `.balign
	 * 8,,4`; arm64: any instruction). */
	if (((uintptr_t)s->insn & 7) > 8 - SC_PSITE_LEN ||
	    !sc_object_exec_prot(&po->obj, s->insn, SC_PSITE_LEN))
		return;
	const uint8_t *t = sc_parch_site_dest(s->insn, s->tail);
	if (!t || !sc_object_exec_prot(&po->obj, t, sc_parch_thunk_len()) ||
	    !sc_parch_thunk_ok(t, s->reg, po->lo, po->hi, sc_parch_sample_fn()))
		return;
	if (inl) {
		struct pinline *in = &po->inl[po->ninl];
		if (!sc_pinline_verify(&po->obj, s->insn, s->reg, t, in))
			return;
		s->inl = in;
		po->ninl++;
	}
	s->thunk = s->slow = t;
	s->plain = (uint8_t)sc_parch_thunk_plain(t, s->reg);
	s->state = s->tail ? PS_TAIL : PS_THUNK;
}

/* What sc_pinline_set (or _bypass) could not do to s's inline site (a
 * write its code refused locks po). */
static void inline_failed(struct pobj *po, const struct psite *s, int err)
{
	static int no_memory_said;
	if (refused(err))
		lock_object(po, err);
	else if (err == -ENOMEM && !no_memory_said++)
		sc_log(SC_LOG_INFO,
		       "promote: no descriptor memory below 2 GiB: inline "
		       "sites that have none stay on their slow paths");
	else if (err && err != -ENOTSUP && err != -ENOMEM)
		sc_log(SC_LOG_INFO, "promote: inline site %p left %s (%s)",
		       (void *)s->inl->start,
		       s->inl->target ? "open on its target" : "closed",
		       strerror(-err));
}

/* s's inline site compares the first target of its stub when it goes
 * onto one (the hottest when chosen), and keeps its target while the
 * stub holds it (widened: the new targets, rarer so far, go to the stub;
 * check_inline moves the compare to a hotter one); given up on (no more
 * learning), the target it kept (inl_keep: its most frequent, if
 * frequent enough, or the first a stub would have had); else it is
 * closed: every call then reaches s, as before. A site that cannot open
 * stays closed. */
static void follow_inline(struct pobj *po, struct psite *s)
{
	if (!s->inl)
		return;
	const void *t = s->state == PS_STUB ? s->targets[0] :
			s->state == PS_MEGA || s->state == PS_FULL ?
					      s->inl_keep :
					      NULL;
	for (int i = 0; s->state == PS_STUB && i < s->ntargets; i++)
		if ((s->inl->target && s->targets[i] == s->inl->target) ||
		    (s->inl_probe && s->targets[i] == s->inl_was))
			return; /* widened: kept (or its probe goes on) */
	s->inl_probe = s->inl_wait = s->inl_backoff = 0; /* a new start */
	int err = sc_pinline_set(&po->obj, s->inl, t);
	/* given up on and closed, with nothing to compare or a target it
	 * cannot compare (out of reach, no rseq): closed for good, so its
	 * calls need not run the sequence at all (the bypass refuses a
	 * site that is open or changed) */
	if (!s->inl->target && (s->state == PS_MEGA || s->state == PS_FULL ||
				s->state == PS_FAR)) {
		int e = sc_pinline_bypass(&po->obj, s->inl);
		err = err ? err : e;
	}
	inline_failed(po, s, err);
}

/* Each tail site gets a slow stub that names it to the sampler, written
 * and made executable before the site is pointed at it; a site that
 * cannot (pool full, out of reach) stays PS_TAIL, on its thunk. */
static void give_tail_sites_slow_stubs(struct pobj *po)
{
	size_t len = sc_parch_slow_size(), made = 0;
	uint8_t buf[64];
	if (!len || len > sizeof buf)
		return;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state != PS_TAIL)
			continue;
		uint8_t *at = sc_execmem_room(&po->pool, len);
		if (!at)
			break;
		if (!sc_parch_slow_encode(at, s->reg, s->insn + SC_PSITE_LEN,
					  s->thunk, buf))
			continue; /* its room stays int3 */
		memcpy(at, buf, len);
		perf_map(po, at, len, s->jump ? "jump_slow" : "slow", s->reg,
			 s->insn, NULL, 0);
		s->slow = at;
		po->slow_bytes += len;
		made++;
	}
	if (!made || seal_pool(po))
		return;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state != PS_TAIL || s->slow == s->thunk)
			continue;
		const uint8_t *slow = s->slow;
		s->slow = s->thunk; /* where it is now */
		if (site_retarget(po, s, slow))
			continue;
		s->slow = slow;
		s->state = PS_THUNK;
	}
}

/* A jump site without a slow stub (pool full, out of reach) must never
 * reach its thunk's sample block: nothing there names it, and the
 * sampler's lazily bound PLT entry may clobber registers live across the
 * jump. It goes straight to the thunk's retpoline, for good; 0, or -1 if
 * it could not (its thunk must then never sample). */
static int jump_sites_off_sampling(struct pobj *po)
{
	int stuck = 0;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state != PS_TAIL || !s->jump)
			continue;
		const uint8_t *r = sc_parch_thunk_retpoline(s->thunk);
		if (site_retarget(po, s, r))
			stuck = -1;
		else
			s->slow = r;
	}
	return stuck;
}

/* Is thunk reached by a jump site still on it (see above)? */
static int thunk_has_jump_site(const struct pobj *po, const uint8_t *thunk)
{
	for (size_t i = 0; i < po->n; i++)
		if (po->sites[i].jump && po->sites[i].state == PS_TAIL &&
		    po->sites[i].slow == thunk)
			return 1;
	return 0;
}

/* Into a text-writer batch w[0..*k): the site at insn to hold `to`, in
 * the entry of its aligned word (arm64: two sites may share one), added
 * with the word's current value if the batch has none yet. */
static void put_site(struct sc_write *w, size_t *k, const struct pobj *po,
		     const uint8_t *insn, const uint8_t *to)
{
	uint64_t *word = (uint64_t *)((uintptr_t)insn & ~(uintptr_t)7);
	size_t j = 0;
	while (j < *k && w[j].word != word)
		j++;
	if (j == *k) {
		uint64_t old = sc_code_load64(word);
		w[(*k)++] = (struct sc_write){
			word, old, old, 0, 1,
			sc_object_exec_prot(&po->obj, word, 8)
		};
	}
	memcpy((uint8_t *)&w[j].new_value + ((uintptr_t)insn & 7), to,
	       SC_PSITE_LEN);
}

/* Each site of the compiler's own thunk (PS_COMPILED) moves to the
 * runtime's sampling entry of its register, made in the pool and sealed
 * before any site points at it; one that cannot stays as compiled. */
static void adopt_sls_sites(struct pobj *po)
{
	size_t len = sc_parch_sls_entry_size(), made = 0;
	uint8_t buf[128];
	if (!len || len > sizeof buf || !sc_parch_sample_fn())
		return;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state != PS_COMPILED || s->reg >= 32 ||
		    po->entry[s->reg])
			continue;
		uint8_t *at = sc_execmem_next(&po->pool, len);
		if (!at ||
		    !sc_parch_sls_entry_encode(at, s->reg, sc_parch_sample_fn(),
					       buf) ||
		    sc_execmem_room(&po->pool, len) != at)
			continue;
		memcpy(at, buf, len);
		perf_map(po, at, len, "entry", s->reg, s->insn, NULL, 0);
		po->entry[s->reg] = at;
		po->slow_bytes += len;
		made++;
	}
	if (!made || seal_pool(po))
		return;
	/* Every site's `bl` in one batch of the text writer (two sites may
	 * share a word): all move, or none does. */
	struct sc_write *w = sc_mem_alloc(po->n * sizeof *w);
	size_t k = 0;
	uint8_t to[SC_PSITE_MAX];
	if (!w)
		return;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		const uint8_t *entry = s->reg < 32 ? po->entry[s->reg] : NULL;
		if (s->state != PS_COMPILED || !entry ||
		    ((uintptr_t)s->insn & 7) > 8 - SC_PSITE_LEN ||
		    !sc_parch_site_encode(s->insn, 0, entry, to))
			continue;
		put_site(w, &k, po, s->insn, to);
		s->thunk = entry; /* (moved once the batch is written) */
	}
	int err = k ? sc_text_apply(w, k) : 0;
	sc_mem_free(w);
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state != PS_COMPILED || !s->thunk)
			continue;
		if (err) {
			s->thunk = NULL;
			continue;
		}
		s->slow = s->thunk;
		s->state = PS_THUNK;
	}
	if (err)
		sc_log(SC_LOG_WARN,
		       "promote: %s: its sites stay on the compiler's thunks "
		       "(%d)",
		       po->obj.name ? po->obj.name : "?", err);
}

/* Does [begin, end) lie inside one readable segment of o? A table that
 * runs past its object (a corrupt count) is not read at all. */
static int table_inside(const struct sc_object *o, const void *begin,
			const void *end)
{
	for (int i = 0; i < o->nsegs; i++)
		if ((o->segs[i].prot & PROT_READ) &&
		    (uintptr_t)begin >= o->segs[i].lo &&
		    (uintptr_t)end <= o->segs[i].hi)
			return 1;
	return 0;
}

/* Stub and counter memory of unregistered objects, unmapped at the next
 * registration, never at the unregistration itself.
 *
 * Only the object's own sites reach its stubs (the region is its own:
 * no other object's site, no key, no generated function points into
 * it), and a thread inside one of its stubs is inside a call of one of
 * the object's functions that has not returned: a call site's return
 * address is in the object; a tail site's function has jumped to the
 * stub, and its caller still waits for it to return; a thread in the
 * sampler came from a stub and returns into it. dlclose while such a call
 * runs is already a use of unloaded code, so once the object's text is
 * gone its stubs may go. But an unregistration cannot tell dlclose from
 * exit: at exit the loader runs every object's destructors while other
 * threads keep running their code (never unmapped), and a thread calling
 * through a promoted site would fault in a process exiting cleanly (an
 * atexit flag was tried: the libraries' constructors register it before
 * the loader's own exit handler, so it ran after the destructors). A
 * registration, though, is a dlopen (or start-up), never an exit: the
 * regions of the objects closed before it are released then. A program
 * that closes objects without opening others keeps their regions
 * (SC_PROMOTE_POOL of address space each, mostly PROT_NONE). */
static struct sc_execmem *buried;
static size_t nburied, capburied;

/* Takes m's region (m left empty) to release at the next registration. */
static void bury(struct sc_execmem *m)
{
	if (!m->base)
		return;
	if (nburied == capburied) {
		size_t cap = capburied ? 2 * capburied : 8;
		struct sc_execmem *g =
			sc_mem_realloc(buried, cap * sizeof *g);
		if (g) {
			buried = g;
			capburied = cap;
		}
	}
	if (nburied < capburied) /* else kept mapped for good: safe */
		buried[nburied++] = *m;
	memset(m, 0, sizeof *m);
}

static void release_buried(void)
{
	for (size_t i = 0; i < nburied; i++)
		sc_execmem_release(&buried[i]);
	nburied = 0;
}

/* An object's registration goes away: its stub memory is left to the
 * next registration (above). */
static void release_stub_memory(struct pobj *po)
{
	bury(&po->pool);
	po->pool_ok = 0;
	bury(&po->cnt); /* only its stubs counted there */
	po->cnt_state = 0;
	po->cnt_page = NULL;
}

SC_EXPORT void __staticcall_promote_register(const void *begin, const void *end)
{
	const int m = mode();
	if (!m || !sc_parch_supported() || begin >= end)
		return;
	/* One patcher per process (process.c): a copy of the runtime that
	 * does not serve the registry leaves its objects' sites on their
	 * thunks (plain retpolines), or static_call_seal(CODE) and the
	 * reports, which the serving copy answers, would miss them. */
	if (sc_registry() != &__staticcall_registry_v1) {
		sc_log(SC_LOG_INFO,
		       "promote: another copy of the runtime serves this "
		       "process: the sites of the table at %p are not "
		       "promoted",
		       begin);
		return;
	}
	sigset_t saved;
	if (sc_lock(&saved))
		return;
	release_buried(); /* a dlopen, not an exit: closed objects' stubs */
	const size_t rl = sc_env()->promote_relayout_ms;
	if (rl) /* (else the default, or a test's) */
		sc_promote_relayout_ms = rl == SIZE_MAX ? UINT64_MAX : rl;
	for (struct pobj *p = pobjs; p; p = p->next)
		if (p->begin == begin)
			goto out;
	size_t n = ((const char *)end - (const char *)begin) /
		   sizeof(struct sc_abi_promote);
	struct pobj *po = sc_mem_alloc(sizeof *po);
	if (!po)
		goto out;
	po->begin = begin;
	po->end = end;
	po->inl_checked = now_ms();
	if (((uintptr_t)begin & 3) || sc_object_locate(&po->obj, begin) ||
	    !table_inside(&po->obj, begin, end) ||
	    !exec_span(&po->obj, &po->lo, &po->hi) ||
	    !(po->sites = sc_mem_alloc(n * sizeof *po->sites)) ||
	    !(po->tallies = sc_mem_alloc_untouched(n * sizeof *po->tallies)) ||
	    !(po->hot = sc_mem_alloc_untouched(n * sizeof *po->hot)) ||
	    !(po->inl = sc_mem_alloc_untouched(n * sizeof *po->inl)) ||
	    !(po->inl_chk = sc_mem_alloc_untouched(n * sizeof *po->inl_chk))) {
		sc_log(SC_LOG_WARN, "promote: a table at %p is unusable",
		       begin);
		sc_mem_free(po->sites);
		sc_mem_free(po->tallies);
		sc_mem_free(po->hot);
		sc_mem_free(po->inl);
		sc_mem_free(po->inl_chk);
		free(po->obj.name); /* strdup (object.c), if located */
		sc_mem_free(po);
		goto out;
	}
	po->n = n;
	const struct sc_abi_promote *r = begin;
	for (size_t i = 0; i < n; i++)
		check_site(po, &r[i], &po->sites[i]);
	sc_sort(po->sites, n, sizeof *po->sites, site_cmp);
	for (size_t i = 1; i < n; i++) /* two records, one site: neither */
		if (po->sites[i].insn == po->sites[i - 1].insn)
			po->sites[i].state = po->sites[i - 1].state = PS_BAD;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += po->sites[i].state == PS_BAD;
	totals.rejected += bad;
	if (bad)
		sc_log(SC_LOG_WARN,
		       "promote: %zu of %zu sites of %s do not hold what the "
		       "plugin emits: left on their thunks",
		       bad, n, po->obj.name ? po->obj.name : "?");
	po->pool_ok = !sc_execmem_reserve(&po->pool, po->lo, po->hi,
					  sc_promote_pool_bytes, sc_parch_reach,
					  sc_parch_fill());
	po->capstubs = sc_promote_pool_bytes / sc_parch_stub_size(1);
	/* its pages are touched only as stubs are made */
	po->stubs = sc_mem_alloc_untouched(po->capstubs * sizeof *po->stubs);
	if (!po->pool_ok || !po->stubs) {
		sc_log(SC_LOG_WARN,
		       "promote: no stub memory within reach of %s: its "
		       "sites stay on their thunks",
		       po->obj.name ? po->obj.name : "?");
		po->pool_ok = 0;
	}
	po->next = pobjs;
	pobjs = po;
	if (po->ninl) /* the kernel's self-test, here and not in a flush */
		sc_pinline_ready();
	if (po->pool_ok) {
		sc_arch_bind_init(); /* the sample entry's XSAVE size */
		give_tail_sites_slow_stubs(po);
		int stuck = jump_sites_off_sampling(po);
		adopt_sls_sites(po);
		for (size_t i = 0; i < n; i++) {
			const uint8_t *t = po->sites[i].thunk;
			if (po->sites[i].state == PS_THUNK &&
			    !po->sites[i].compiled &&
			    (i == 0 || t != po->sites[i - 1].thunk) &&
			    (!stuck || !thunk_has_jump_site(po, t)))
				thunk_sampling(po, t, 1);
		}
	}
	sc_log(SC_LOG_INFO, "promote: %s: %zu sites (%zu rejected)",
	       po->obj.name ? po->obj.name : "?", n, bad);
out:
	sc_unlock(&saved);
}

static void report_object(const struct pobj *po);

static void drop_queued(const struct pobj *po);

SC_EXPORT void __staticcall_promote_unregister(const void *begin,
					       const void *end)
{
	(void)end;
	sigset_t saved;
	if (sc_lock(&saved))
		return;
	for (struct pobj **pp = &pobjs; *pp; pp = &(*pp)->next) {
		struct pobj *po = *pp;
		if (po->begin != begin)
			continue;
		*pp = po->next;
		if (sc_env()->report_at_exit)
			report_object(po);
		drop_queued(po);
		for (size_t i = 0; i < po->ninl; i++)
			sc_pinline_forget(&po->inl[i]);
		release_stub_memory(po);
		sc_mem_free(po->inl);
		sc_mem_free(po->inl_chk);
		sc_mem_free(po->sites);
		sc_mem_free(po->tallies);
		sc_mem_free(po->hot);
		sc_mem_free(po->stubs);
		free(po->obj.name); /* strdup (object.c) */
		sc_mem_free(po);
		break;
	}
	sc_unlock(&saved);
}

/* A name for addr, an address of po's code or of another object the
 * runtime knows (promotable or registered): "func+0x1c", from the
 * object's file; else "object+0x..."; else the address. The dynamic
 * linker is never asked (its lock is not taken under the runtime's). */
static void code_name(struct sc_namer *nm, const struct pobj *po,
		      const void *addr, char *buf, size_t n)
{
	const struct sc_object *o = NULL;
	for (const struct pobj *p = pobjs; p && !o; p = p->next)
		if ((uintptr_t)addr >= p->lo && (uintptr_t)addr < p->hi)
			o = &p->obj;
	if (!o && (uintptr_t)addr >= po->lo && (uintptr_t)addr < po->hi)
		o = &po->obj; /* not on the list yet */
	for (const struct sc_object *r = sc_registered_objects(); r && !o;
	     r = r->next)
		if (sc_object_exec_prot(r, addr, 1))
			o = r;
	if (o && sc_namer_name_in(nm, o, addr, buf, n))
		return;
	if (o) {
		const char *name = o->name ? o->name : "?";
		const char *base = strrchr(name, '/');
		snprintf(buf, n, "%s+%#lx", base ? base + 1 : name,
			 (unsigned long)((uintptr_t)addr - o->base));
		return;
	}
	snprintf(buf, n, "%p", addr);
}

/* STATICCALL_PERF_MAP=1: a line of /tmp/perf-PID.map (the format perf
 * reads for code it finds no file for) naming the stub at `at` by its
 * register, the site it was made for (function+offset, and its object)
 * and its targets' functions, so `perf report` attributes its samples.
 * Names come from the objects' files (symname.c), read under the lock;
 * the last file read is kept for the next line. */
static void perf_map(const struct pobj *po, const uint8_t *at, size_t len,
		     const char *kind, int reg, const uint8_t *site,
		     void *const *t, int n)
{
	static struct sc_namer nm; /* under the lock */
	if (!sc_env()->perf_map)
		return;
	char line[1024], path[64], name[256];
	const char *obj = po->obj.name ? po->obj.name : "?";
	const char *base = strrchr(obj, '/');
	code_name(&nm, po, site, name, sizeof name);
	int k = snprintf(line, sizeof line,
			 "%lx %zx staticcall_%s[%c%d] site=%s (%s)",
			 (unsigned long)(uintptr_t)at, len, kind,
			 sc_parch_reg_letter(), reg, name,
			 base ? base + 1 : obj);
	for (int i = 0; i < n && k > 0 && (size_t)k < sizeof line; i++) {
		code_name(&nm, po, t[i], name, sizeof name);
		k += snprintf(line + k, sizeof line - k, "%s%s",
			      i ? "," : " targets=", name);
	}
	if (k <= 0 || (size_t)k >= sizeof line - 1)
		return;
	line[k++] = '\n';
	snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	ssize_t w = fd < 0 ? -1 : write(fd, line, (size_t)k);
	if (fd >= 0)
		close(fd);
	static int said; /* (under the lock) once: the map stays empty */
	if (w != k && !said) {
		said = 1;
		sc_log(SC_LOG_WARN,
		       "promote: STATICCALL_PERF_MAP: cannot write %s (%s): "
		       "stubs are not named for perf",
		       path, strerror(w < 0 ? errno : ENOSPC));
	}
}

/* Is there counter memory left near po's code (a region of data pages,
 * reserved at the first counting stub)? */
/* The bytes of a stub's n + 1 counters: whole cache lines (an 8-target
 * stub's 9 counters take two). */
static size_t counter_block(int n)
{
	return ((size_t)(n + 1) * 8 + SC_COUNTER_LINE - 1) &
	       ~(size_t)(SC_COUNTER_LINE - 1);
}

static int counters_left(struct pobj *po, int n)
{
	if (!po->cnt_state)
		po->cnt_state = sc_execmem_reserve(&po->cnt, po->lo, po->hi,
						   SC_PROMOTE_COUNTERS,
						   sc_parch_reach, 0) ?
					-1 :
					1;
	return po->cnt_state > 0 &&
	       ((po->cnt_page &&
		 po->cnt_page_used + counter_block(n) <= sc_page_size()) ||
		po->cnt.used + sc_page_size() <= po->cnt.size);
}

/* Room for a counting stub's n + 1 counters near po's code, in cache
 * lines of their own (counter_block: sites called from different threads
 * do not share one); NULL when there is none. The pages are read-write for good and
 * never executable: only counters live there, never code. */
static uint64_t *counters_for(struct pobj *po, int n)
{
	const size_t block = counter_block(n);
	if (!counters_left(po, n))
		return NULL;
	if (!po->cnt_page || po->cnt_page_used + block > sc_page_size()) {
		uint8_t *page = sc_execmem_data_page(&po->cnt);
		if (!page)
			return NULL;
		po->cnt_page = page;
		po->cnt_page_used = 0;
	}
	uint64_t *c = (uint64_t *)(po->cnt_page + po->cnt_page_used);
	po->cnt_page_used += block;
	po->cnt_used += block;
	return c;
}

/* cnt (or NULL), the block counters_for(po, n) just handed out, for a
 * stub that was not made: back to its page, zeroed (relayout copies
 * counts in first), so a target out of reach leaks no counter memory. */
static void counters_back(struct pobj *po, uint64_t *cnt, int n)
{
	const size_t block = counter_block(n);
	if (!cnt || (uint8_t *)cnt + block != po->cnt_page + po->cnt_page_used)
		return;
	memset(cnt, 0, block);
	po->cnt_page_used -= block;
	po->cnt_used -= block;
}

static uint64_t counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Hits of a stub's targets, all of them (a retired stub's: moved). */
static uint64_t stub_hits(const struct stubrec *r)
{
	uint64_t h = 0;
	for (int i = 0; r && r->cnt && i < r->n; i++)
		h += counter(&r->cnt[i]);
	return h;
}

static uint64_t stub_misses(const struct stubrec *r)
{
	return r && r->cnt ? counter(&r->cnt[r->n]) : 0;
}

/* Has a hit counter of r stopped (STATIC_CALL_PROMOTE_HITS_MAX)? Its
 * hits since then are not known. */
static int hits_stopped(const struct stubrec *r)
{
	for (int i = 0; r && r->cnt && i < r->n; i++)
		if (counter(&r->cnt[i]) >= STATIC_CALL_PROMOTE_HITS_MAX)
			return 1;
	return 0;
}

/* s's stub counts its hits again from zero, and what the runtime
 * compares them with starts from what they then hold: read back, since a
 * thread incrementing a counter that had not stopped may write its old
 * count plus one over the zero (a stopped one is only read). Only when a
 * decision needs hits a stopped counter no longer shows: each start
 * brings back the writes a stop saved (docs/PATCHING.md "Hit
 * counters"). */
static void restart_hits(struct pobj *po, struct psite *s)
{
	const struct stubrec *r = s->rec;
	for (int i = 0; i < r->n; i++)
		__atomic_store_n(&r->cnt[i], 0, __ATOMIC_RELAXED);
	s->hits_seen = stub_hits(r);
	s->misses_seen = s->misses_from = stub_misses(r);
	if (s->inl) {
		struct inlcheck *ck = &po->inl_chk[s->inl - po->inl];
		if (ck->rec == r)
			for (int i = 0; i < r->n; i++)
				ck->seen[i] = counter(&r->cnt[i]);
	}
	po->hit_restarts++;
}

/* A new stub for (reg, targets, miss) in po's pool (not executable
 * until the open page is sealed): counting, site's own, when `counting`
 * and there is counter memory, its counters starting from counts[0..n]
 * if given; else shared. NULL if none can be made (pool full; *far set:
 * a target out of reach). */
static const struct stubrec *make_stub(struct pobj *po, int reg,
				       void *const *t, int n,
				       const uint8_t *miss, int *far,
				       const uint8_t *site, int counting,
				       const uint64_t *counts)
{
	if (!po->pool_ok || po->nstubs == po->capstubs)
		return NULL;
	uint64_t *cnt = counting ? counters_for(po, n) : NULL;
	if (cnt && counts) /* nothing reaches them yet */
		memcpy(cnt, counts, (size_t)(n + 1) * sizeof *cnt);
	size_t len = cnt ? sc_parch_counted_stub_size(n) :
			   sc_parch_stub_size(n);
	uint8_t buf[SC_PSTUB_MAX];
	if (len > sizeof buf)
		goto unmade;
	/* Encode for the address it will have before taking the room, so a
	 * target out of reach costs no pool space. */
	uint8_t *at = sc_execmem_next(&po->pool, len);
	if (!at)
		goto unmade;
	/* A counting stub starts a cache line (what the page has left
	 * allowing): its first pair (34 bytes on x86-64) across two fetch
	 * lines cost a cycle a call (benchmarks/README.md). The gap, taken
	 * once the stub encodes, stays traps. */
	size_t gap = cnt ? (size_t)(-(uintptr_t)at & (SC_COUNTER_LINE - 1)) : 0;
	if (gap && sc_execmem_next(&po->pool, gap + len) != at)
		gap = 0;
	at += gap;
	if (cnt ? !sc_parch_counted_stub_encode(at, reg, t, n, miss, cnt, buf) :
		  !sc_parch_stub_encode(at, reg, t, n, miss, buf)) {
		*far = 1;
		goto unmade;
	}
	if (gap && sc_execmem_room(&po->pool, gap) != at - gap)
		goto unmade;
	po->gap_bytes += gap;
	uint8_t *room = sc_execmem_room(&po->pool, len);
	if (room != at)
		goto unmade;
	memcpy(room, buf, len);
	struct stubrec *r = &po->stubs[po->nstubs++];
	r->at = room;
	r->miss = miss;
	r->reg = reg;
	r->n = n;
	memcpy(r->t, t, n * sizeof *t);
	r->site = cnt ? site : NULL;
	r->cnt = cnt;
	r->len = len;
	r->retired = 0;
	perf_map(po, room, len, "stub", reg, site, t, n);
	return r;
unmade:
	counters_back(po, cnt, n);
	return NULL;
}

/* The stub for (reg, targets, miss) in po's pool: with hit counters,
 * site's own (its counts are the site's); without (or when no counter
 * memory is left), shared. NULL if none can be made (pool full, a target
 * out of reach). */
static const struct stubrec *get_stub(struct pobj *po, int reg, void *const *t,
				      int n, const uint8_t *miss, int *far,
				      const uint8_t *site)
{
	const int counting = sc_env()->promote_count &&
			     sc_parch_counted_stub_size(n) && counters_left(po, n);
	for (size_t i = 0; i < po->nstubs; i++) {
		struct stubrec *r = &po->stubs[i];
		if (!r->retired && r->reg == reg && r->n == n &&
		    r->miss == miss && !memcmp(r->t, t, n * sizeof *t) &&
		    r->site == (counting ? site : NULL))
			return r;
	}
	return make_stub(po, reg, t, n, miss, far, site, counting, NULL);
}

/* A stub no site will point at again: its counts are its successor's
 * (or nobody's), so totals do not count them twice; a thread still
 * inside it may add a few (counts are approximate). */
static void retire(const struct stubrec *r)
{
	struct stubrec *w = (struct stubrec *)r;
	w->retired = 1;
	for (int i = 0; w->cnt && i <= w->n; i++)
		__atomic_store_n(&w->cnt[i], 0, __ATOMIC_RELAXED);
}

static int hotter(const void *a, const void *b)
{
	const struct hot *x = a, *y = b;
	return x->hits > y->hits ? -1 : x->hits < y->hits;
}

/* Relayout (docs/PATCHING.md "Stub layout"), under the lock, with no
 * decision waiting: each promoted site of po on a counted stub of its
 * own gets a copy of its stub, its targets in the order of their hits
 * (a widened stub has its newest targets first), the copies packed from
 * a fresh page, the hottest site's first, then sealed; each site moves
 * from its stub to its copy (stub -> other stub: one word, as widening
 * does), and its counts with it. Stubs are made one after another in a
 * page per batch of decisions, scattered over many pages and the same
 * few offsets of each; the copies put the stubs that run in a few
 * pages. The stubs left behind are never written or handed out again
 * (a thread may be inside one). What finds no room stays where it is. */
static void relayout(struct pobj *po)
{
	struct hot *h = po->hot;
	size_t n = 0, code = 0, cnt = 0, relaid = po->relaid;
	for (size_t i = 0; i < po->n; i++) {
		struct psite *s = &po->sites[i];
		if (s->state == PS_STUB && !s->queued && !s->terminal &&
		    s->rec && s->rec->cnt && s->rec->site == s->insn) {
			h[n++] = (struct hot){ s, stub_hits(s->rec), NULL };
			code += s->rec->len + SC_COUNTER_LINE; /* its gap */
			cnt += counter_block(s->rec->n);
		}
	}
	/* Copies take at most half of what is left of the object's stub and
	 * counter memory (with a page each for rounding): promotions to
	 * come need room too (a site finding none is given up on). */
	const size_t page = sc_page_size();
	if (!n || 2 * (code + page) > po->pool.size - po->pool.used ||
	    2 * (cnt + page) > po->cnt.size - po->cnt.used ||
	    seal_pool(po))
		return; /* (sealing an open page: the copies start a fresh one) */
	sc_sort(h, n, sizeof *h, hotter);
	for (size_t i = 0; i < n; i++) {
		const struct stubrec *old = h[i].s->rec;
		int k = old->n, idx[SC_PROMOTE_TARGETS];
		void *t[SC_PROMOTE_TARGETS];
		uint64_t c[SC_PROMOTE_TARGETS + 1];
		for (int j = 0; j < k; j++) { /* insertion sort: stable */
			int x = j;
			uint64_t cx = counter(&old->cnt[j]);
			for (; x > 0 && counter(&old->cnt[idx[x - 1]]) < cx; x--)
				idx[x] = idx[x - 1];
			idx[x] = j;
		}
		for (int j = 0; j < k; j++) {
			t[j] = old->t[idx[j]];
			c[j] = counter(&old->cnt[idx[j]]);
		}
		c[k] = counter(&old->cnt[k]);
		int far = 0;
		/* (NULL: no room, or a target of another object out of
		 * reach from this address: the site stays where it is) */
		h[i].to = make_stub(po, old->reg, t, k, old->miss, &far,
				    h[i].s->insn, 1, c);
	}
	int sealed = !seal_pool(po);
	for (size_t i = 0; i < n; i++) {
		struct psite *s = h[i].s;
		const struct stubrec *to = h[i].to;
		if (!to)
			continue;
		if (!to->cnt || !sealed || site_retarget(po, s, to->at)) {
			retire(to); /* unreachable, or moved by nobody */
			continue;
		}
		const struct stubrec *old = s->rec;
		s->stub = to->at;
		s->rec = to;
		if (s->nlast == s->ntargets &&
		    !memcmp(s->last, s->targets, s->ntargets * sizeof *s->last))
			memcpy(s->last, to->t, to->n * sizeof *s->last);
		memcpy(s->targets, to->t, to->n * sizeof *s->targets);
		retire(old);
		po->relaid++;
	}
	if (po->relaid > relaid)
		sc_log(SC_LOG_INFO,
		       "promote: %s: %zu of %zu stubs laid out again",
		       po->obj.name ? po->obj.name : "?", po->relaid - relaid,
		       n);
}

/* A promotion of po's: its next relayout, if none is waiting, is due
 * sc_promote_relayout_ms << (relayouts so far) after it. */
static void relayout_after_promotion(struct pobj *po)
{
	if (po->relayout_set || po->relayouts >= SC_PROMOTE_RELAYOUTS)
		return;
	po->relayout_set = 1;
	po->relayout_from = now_ms();
}

static int relayout_due(const struct pobj *po, uint64_t now)
{
	const uint64_t wait = sc_promote_relayout_ms << po->relayouts;
	if (!po->relayout_set || sc_promote_relayout_ms == UINT64_MAX ||
	    wait >> po->relayouts != sc_promote_relayout_ms)
		return 0; /* none waiting, off, or a wait past any clock */
	return now - po->relayout_from >= wait;
}

static struct psite *find_site(uintptr_t ret, struct pobj **out)
{
	uint8_t *insn = (uint8_t *)(ret - SC_PSITE_LEN);
	for (struct pobj *po = pobjs; po; po = po->next) {
		if ((uintptr_t)insn < po->lo || (uintptr_t)insn >= po->hi)
			continue;
		size_t lo = 0, hi = po->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (po->sites[mid].insn < insn)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < po->n && po->sites[lo].insn == insn) {
			*out = po;
			return &po->sites[lo];
		}
	}
	return NULL;
}

static void tally(struct pobj *po, struct psite *s, void *target)
{
	s->samples++;
	s->samples_all++;
	if (!s->tally && po->ntallies < po->n)
		s->tally = &po->tallies[po->ntallies++]; /* zeroed */
	struct tally *t = s->tally;
	for (int i = 0; t && i < SC_PROMOTE_CAND; i++) {
		if (t->cand[i] == target) {
			t->cnt[i]++;
			return;
		}
		if (!t->cand[i]) {
			t->cand[i] = target;
			t->cnt[i] = 1;
			return;
		}
	}
	s->other++;
}

/* A given-up inline site keeps comparing its most frequent target if it
 * has SC_INLINE_KEEP% of the samples: a hit saves a retpoline (~40
 * cycles), a miss costs the compare and two jumps (~2). */
#define SC_INLINE_KEEP 20
static void *inline_top(const struct psite *s)
{
	const struct tally *c = s->tally;
	int best = -1;
	for (int i = 0; s->inl && c && i < SC_PROMOTE_CAND; i++)
		if (c->cand[i] && (best < 0 || c->cnt[i] > c->cnt[best]))
			best = i;
	if (best < 0 ||
	    (uint64_t)c->cnt[best] * 100 < (uint64_t)s->samples * SC_INLINE_KEEP)
		return NULL;
	return c->cand[best];
}

static void reset_tally(struct psite *s)
{
	if (s->tally)
		memset(s->tally, 0, sizeof *s->tally);
	s->other = s->samples = 0;
}

static int max_targets(const struct psite *s)
{
	return s->jump ? SC_PROMOTE_JUMP_TARGETS : SC_PROMOTE_CALL_TARGETS;
}

/* Samples a learning site's window takes before it is decided: 8 per
 * target its stub may compare (a call site's 8: 64, a jump site's 16:
 * 128), SC_PROMOTE_MIN_SAMPLES (16) for a stub of 4. 16 samples name at
 * most 16 targets: a jump site seeing 24 uniformly was promoted, demoted,
 * promoted ... 8 times (a stub and its counters each time) before it was
 * given up on; with 64 samples a window still took 16 of 24 as 90% one
 * time in 6, with 128 one in 1000 (8 of 16 uniform: one in 4 with 16
 * samples, none in 4000 with 64). */
static uint32_t min_samples(const struct psite *s)
{
	int n = max_targets(s);
	return n > 4 ? 8 * (uint32_t)n : SC_PROMOTE_MIN_SAMPLES;
}

/* The fewest most frequent targets covering SC_PROMOTE_COVER% of the
 * samples, into t (sorted by frequency); 0 if more than max_targets(s)
 * would be needed. */

static int choose(const struct psite *s, void **t)
{
	const struct tally *c = s->tally;
	int idx[SC_PROMOTE_CAND], n = 0;
	for (int i = 0; c && i < SC_PROMOTE_CAND; i++)
		if (c->cand[i])
			idx[n++] = i;
	for (int i = 1; i < n; i++) /* insertion sort, descending */
		for (int j = i; j > 0 && c->cnt[idx[j]] > c->cnt[idx[j - 1]];
		     j--) {
			int x = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = x;
		}
	uint64_t sum = 0;
	for (int k = 0; k < n && k < max_targets(s); k++) {
		sum += c->cnt[idx[k]];
		t[k] = c->cand[idx[k]];
		if (sum * 100 >= (uint64_t)s->samples * SC_PROMOTE_COVER)
			return k + 1;
	}
	return 0;
}

/* Plan pointing s at the stub for t[0..k): write the stub (not yet
 * executable) and queue the site. */
static void promote_to(struct batch *b, struct pobj *po, struct psite *s,
		       void *const *t, int k)
{
	int far = 0;
	if (b->n == SC_BATCH_MAX)
		return;
	const struct stubrec *stub =
		get_stub(po, s->reg, t, k, s->slow, &far, s->insn);
	if (!stub) {
		/* x86-64 has no direct branch further away; a full pool
		 * stays full (stubs are never freed while their object
		 * lives): either way the site would sample for nothing */
		/* (an open inline site widened keeps its target: t[0] is
		 * then the newest miss, not the hottest) */
		s->inl_keep = far ? NULL : t[0];
		for (int i = 0; !far && s->inl && i < k; i++)
			if (s->inl->target && t[i] == s->inl->target)
				s->inl_keep = t[i];
		settle(b, po, s, far ? PS_FAR : PS_FULL);
		return;
	}
	struct pending *p = &b->p[b->n++];
	s->queued = 1;
	p->po = po;
	p->s = s;
	p->stub = stub;
	p->k = k;
	memcpy(p->t, t, k * sizeof *t);
}

static void commit(struct pending *p)
{
	struct psite *s = p->s;
	int k = p->k;
	s->queued = 0;
	if (p->po->locked) { /* decided before its code refused a write */
		s->state = PS_LOCKED;
		return;
	}
	if (!k) { /* given up: onto its own jump stub */
		if (!seal_pool(p->po) &&
		    !site_retarget(p->po, s, p->jump))
			s->slow = p->jump;
		else {
			const uint8_t *j = sc_parch_thunk_retpoline(s->thunk);
			int err = site_retarget(p->po, s, j);
			if (!err)
				s->slow = j;
			else if (err == -EBUSY) /* (still on its thunk) */
				changed_behind_us(s, PS_THUNK);
			else if (p->po->locked)
				s->state = PS_LOCKED;
		}
		return;
	}
	int err = seal_pool(p->po);
	if (!err)
		err = site_retarget(p->po, s, p->stub->at);
	if (err) {
		/* left where it is, correct: on its slow path or its old
		 * stub (a widening), in that state if it was changed behind
		 * us, else given up */
		if (err == -EBUSY)
			changed_behind_us(s, s->state);
		else if (!p->po->locked) /* (locked: PS_LOCKED) */
			s->state = PS_MEGA;
		follow_inline(p->po, s);
		return;
	}
	int same = k == s->nlast && !memcmp(p->t, s->last, k * sizeof *p->t);
	s->state = PS_STUB;
	s->stub = p->stub->at;
	s->rec = p->stub;
	s->hits_seen = stub_hits(p->stub);
	s->misses_seen = s->misses_from = stub_misses(p->stub);
	s->undecided = 0;
	/* back on a stub of its own it had before (demoted, the same
	 * targets again): a count that stopped then says nothing of the
	 * calls since this promotion */
	if (hits_stopped(s->rec))
		restart_hits(p->po, s);
	s->promoted_at = now_ms();
	s->ntargets = s->nlast = (uint8_t)k;
	memcpy(s->targets, p->t, k * sizeof *p->t);
	memcpy(s->last, p->t, k * sizeof *p->t);
	/* Hysteresis: back to the same targets, it must miss twice as
	 * often as before to be demoted again. On a counting stub at most
	 * 2^14 samples (~2^19 misses) a window: one after its counts
	 * restart must end before 2^24 / 9 misses, or a stopped count
	 * could leave it undetermined again and demote a healthy site
	 * (counts_keep; a review). */
	const uint32_t most = s->rec->cnt ? 1u << 14 : 1u << 20;
	s->miss_limit = same && s->miss_limit < most ?
				2 * s->miss_limit :
			same ? most :
			       SC_PROMOTE_MIN_SAMPLES;
	totals.promotions++;
	s->promotions++;
	relayout_after_promotion(p->po);
	follow_inline(p->po, s);
	sc_log(SC_LOG_INFO, "promote: site %p -> stub %p (%d target%s)",
	       (void *)s->insn, (const void *)p->stub->at, k, k > 1 ? "s" : "");
}

/* s leaves its stub for its slow path, learning (its inline site
 * closed): 0; -1 if the site could not be written, then given up on
 * where it is (correct). */
static int back_to_slow_path(struct pobj *po, struct psite *s)
{
	if (site_retarget(po, s, s->slow)) {
		if (!po->locked) /* (locked: PS_LOCKED) */
			s->state = PS_MEGA;
		follow_inline(po, s);
		return -1;
	}
	totals.demotions++;
	s->demotions_all++;
	s->state = PS_THUNK;
	s->stub = NULL;
	s->rec = NULL;
	follow_inline(po, s);
	return 0;
}

/* A site that kept its stub a while had a phase change: only quick
 * demotions count towards giving up on it (at SC_PROMOTE_MAX_DEMOTIONS;
 * a promote-plain site at its first, its slow path, a predicted `jmp
 * *%reg`, being cheap: learning each phase again costs more than it
 * wins; benchmarks/README.md "The plain build"). */
static void count_demotion(struct batch *b, struct pobj *po, struct psite *s)
{
	if (now_ms() - s->promoted_at < SC_PROMOTE_SETTLED_MS)
		s->demotions++;
	if (s->demotions >= SC_PROMOTE_MAX_DEMOTIONS || s->plain)
		settle(b, po, s, PS_MEGA);
}

/* An open inline site's calls to its target never reach the stub, so
 * neither the stub's counters nor its misses say how they compare: when
 * its misses reach the limit and the stub cannot take them (scattered,
 * or no room) the site goes back to its slow path to learn every call
 * again (its inline site closed), rather than being kept or demoted by
 * a rate that leaves out its inline hits. Back on the same targets its
 * limit doubles, as for any site, and a quick one counts towards giving
 * up as a demotion does (a site whose calls scatter anew every few ms
 * would otherwise learn again for good). */
static void relearn(struct batch *b, struct pobj *po, struct psite *s)
{
	void *was = (void *)(s->inl->target ? s->inl->target : s->inl_was);
	reset_tally(s);
	if (back_to_slow_path(po, s))
		return;
	sc_log(SC_LOG_DEBUG, "promote: inline site %p learns again",
	       (void *)s->insn);
	s->inl_keep = was; /* (given up on: what it compared) */
	count_demotion(b, po, s);
}

/* A counter's growth from `from` to `now`; `now` itself if it went back. */
static uint64_t since(uint64_t now, uint64_t from)
{
	return now >= from ? now - from : now;
}

/* With hit counters, is s (a promoted site whose sampled misses reached
 * its limit, none to widen to) kept on its stub? Its misses since the
 * last decision rare next to its hits (under 100 - COVER % of its calls)
 * keep it; only the miss count was known before counters. A counter that
 * stopped (STATIC_CALL_PROMOTE_HITS_MAX) says its target took at least
 * that many calls since the counts started: misses since then rare next
 * to that keep it, the counts left stopped; else the counts start again
 * and the next decision reads them, once: a second window without an
 * answer (at least 2^24 hits and 2^24 / 9 misses again) demotes it. */
static int counts_keep(struct pobj *po, struct psite *s)
{
	if (!s->rec || !s->rec->cnt)
		return 0;
	const uint64_t h = stub_hits(s->rec), mi = stub_misses(s->rec);
	/* (a count may go back: a preempted thread's increment stores its
	 * old count plus one over a newer one, or over a restart's zero) */
	const uint64_t dh = since(h, s->hits_seen),
		       dm = since(mi, s->misses_seen);
	s->hits_seen = h;
	s->misses_seen = mi;
	if (!hits_stopped(s->rec)) {
		s->undecided = 0;
		if (dm * 100 >= (dh + dm) * (100 - SC_PROMOTE_COVER))
			return 0;
		s->kept++;
		return 1;
	}
	const uint64_t ms = since(mi, s->misses_from);
	if (ms * 100 < (STATIC_CALL_PROMOTE_HITS_MAX + ms) *
			       (100 - SC_PROMOTE_COVER)) {
		s->undecided = 0;
		s->kept++;
		return 1;
	}
	if (s->undecided)
		return 0;
	restart_hits(po, s);
	s->undecided = 1;
	return 1;
}

static void decide(struct batch *b, struct pobj *po, struct psite *s, int m)
{
	void *t[SC_PROMOTE_TARGETS];
	s->touched = 0;
	if (s->queued)
		return; /* decided: its stub is waiting for the batch */
	if (s->state == PS_STUB) {
		/* samples of a promoted site are its misses */
		if (m == 2 || s->samples < s->miss_limit)
			return;
		/* Misses that concentrate on targets the stub has room for:
		 * widen it (the new ones first: they are the current phase;
		 * an open inline site keeps its target: follow_inline). */
		int k = choose(s, t);
		/* Samples taken before the stub was reached (another
		 * thread's buffer, a thread inside the thunk) may name
		 * targets it has: those are no misses. */
		int kept = 0;
		for (int i = 0; i < k; i++) {
			int have = 0;
			for (int j = 0; j < s->ntargets; j++)
				have |= s->targets[j] == t[i];
			if (!have)
				t[kept++] = t[i];
		}
		if (k && !kept) { /* no miss among them: nothing to do */
			reset_tally(s);
			return;
		}
		k = kept;
		if (k && k + s->ntargets <= max_targets(s)) {
			memcpy(t + k, s->targets, s->ntargets * sizeof *t);
			reset_tally(s);
			promote_to(b, po, s, t, k + s->ntargets);
			return;
		}
		if (s->inl && (s->inl->target || s->inl_probe)) {
			relearn(b, po, s);
			return;
		}
		reset_tally(s);
		if (counts_keep(po, s))
			return;
		if (back_to_slow_path(po, s))
			return;
		count_demotion(b, po, s);
		sc_log(SC_LOG_DEBUG, "promote: site %p demoted",
		       (void *)s->insn);
		return;
	}
	if (s->state != PS_THUNK || s->samples < min_samples(s))
		return;
	int k = choose(s, t);
	void *top = inline_top(s);
	reset_tally(s);
	if (s->plain) {
		/* promote-plain: at its first window, whatever it learned.
		 * Without retpolines the site's own `call *%reg` is what
		 * costs least: predicted, it is as cheap as a stub's
		 * compare, and the stub adds a taken branch (1.4x a plain
		 * call for one target, benchmarks/README.md "The plain
		 * build"). The targets are kept for the report. */
		s->ntargets = (uint8_t)k;
		memcpy(s->targets, t, (size_t)k * sizeof *t);
		settle(b, po, s, k ? PS_PLAIN : PS_MEGA);
		return;
	}
	if (!k) {
		if (++s->windows >= SC_PROMOTE_MAX_WINDOWS) {
			s->inl_keep = top;
			settle(b, po, s, PS_MEGA);
		}
		return;
	}
	promote_to(b, po, s, t, k);
}

/* Inline sites' checks (check_inline), at most every SC_INLINE_CHECK_MS
 * per object: an open site whose stub took SC_INLINE_PROBE_HITS for one
 * target since the last check closes for one check (a probe: every call
 * then reaches the stub and is counted), then opens on the stub's
 * hottest target if that took SC_INLINE_OPEN% of the stub's hits and,
 * against the target it compared before, half as many again (a 50/50
 * mix keeps its target); else on that one. A probe that keeps the
 * target, or finds none hot enough (it then stays closed), waits twice
 * as many checks as the last before the next (1, 3, 7 ... 63). At most
 * SC_INLINE_MOVES closings and openings per object and check, the
 * sites taken in turn. */
#define SC_INLINE_CHECK_MS 50
#define SC_INLINE_PROBE_HITS 4096
#define SC_INLINE_OPEN 40
#define SC_INLINE_MOVES 16

static void probe_waits(struct psite *s)
{
	s->inl_backoff = s->inl_backoff >= 31 ? 63 : 2 * s->inl_backoff + 1;
	s->inl_wait = s->inl_backoff;
}

/* The inline site of s opened on t, or left closed: a probe to finish
 * at a later check either way (inl_probe), if it is closed. */
static void inline_open(struct pobj *po, struct psite *s, const void *t)
{
	inline_failed(po, s, sc_pinline_set(&po->obj, s->inl, t));
	s->inl_probe = !s->inl->target;
}

static int check_counts(struct pobj *po, struct psite *s);

/* One check of s (an inline site on a counting stub): 1 if its inline
 * site changed. A counter past half its stop starts again after it: the
 * next check sees every hit since (each needs the hits since the last; a
 * stop within its window would cut them short). */
static int check_one(struct pobj *po, struct psite *s)
{
	const struct stubrec *r = s->rec;
	int changed = check_counts(po, s), half = 0;
	for (int i = 0; s->rec == r && i < r->n; i++)
		half |= counter(&r->cnt[i]) >= STATIC_CALL_PROMOTE_HITS_MAX / 2;
	if (half)
		restart_hits(po, s);
	return changed;
}

static int check_counts(struct pobj *po, struct psite *s)
{
	struct inlcheck *ck = &po->inl_chk[s->inl - po->inl];
	const struct stubrec *r = s->rec;
	int top = -1, other = -1, was = -1;
	uint64_t d[SC_PROMOTE_TARGETS], all = 0;
	for (int j = 0; j < r->n; j++) {
		const uint64_t c = counter(&r->cnt[j]);
		d[j] = ck->rec == r ? c - ck->seen[j] : 0;
		ck->seen[j] = c;
		all += d[j];
		if (top < 0 || d[j] > d[top])
			top = j;
		if (r->t[j] != s->inl->target && (other < 0 || d[j] > d[other]))
			other = j;
		if (r->t[j] == s->inl_was)
			was = j;
	}
	ck->rec = r;
	if (s->inl_wait) {
		s->inl_wait--;
		return 0;
	}
	if (s->inl_probe) { /* closed since the last check */
		if (top < 0 || !all || d[top] * 100 < all * SC_INLINE_OPEN) {
			probe_waits(s); /* none hot enough: closed */
			return 0;
		}
		/* (top == was keeps it too) */
		int keep = was >= 0 && 2 * d[top] < 3 * d[was];
		if (keep)
			probe_waits(s);
		else
			s->inl_backoff = 0;
		inline_open(po, s, r->t[keep ? was : top]);
		return 1;
	}
	if (!s->inl->target || other < 0 || d[other] < SC_INLINE_PROBE_HITS)
		return 0;
	s->inl_was = s->inl->target;
	inline_open(po, s, NULL);
	return 1;
}

/* An open inline site's calls to its target never reach its stub, and
 * its stub's hits are not sampled, so a site whose calls move to a
 * target the stub already holds would compare the old one for good: the
 * stub's hit counters, read at each check, show it. Under the lock, from
 * a flush: a program that takes no more samples is checked no more (a
 * probe then stays closed: its calls take the stub). */
static void check_inline(struct pobj *po, uint64_t now)
{
	if (now - po->inl_checked < SC_INLINE_CHECK_MS)
		return;
	po->inl_checked = now;
	int moves = SC_INLINE_MOVES;
	for (size_t k = 0; k < po->n && moves > 0; k++) {
		size_t i = (po->inl_next + k) % po->n;
		struct psite *s = &po->sites[i];
		if (s->inl && s->state == PS_STUB && !s->queued && s->rec &&
		    s->rec->cnt && (s->inl->target || s->inl_probe) &&
		    check_one(po, s) && --moves == 0)
			po->inl_next = i + 1; /* the rest first, next time */
	}
}

struct sample {
	uintptr_t ret, target;
	uintptr_t reg;
};

static struct batch batch; /* under the lock */

static void commit_batch(void)
{
	for (unsigned i = 0; i < batch.n; i++)
		commit(&batch.p[i]);
	batch.n = 0;
}

/* Forget what the batch holds for po (NULL: for every object), before
 * po goes or the code is sealed: nothing may move those sites later.
 * Their stubs stay unreachable in the open page. */
static void drop_queued(const struct pobj *po)
{
	unsigned k = 0;
	for (unsigned i = 0; i < batch.n; i++) {
		if (po && batch.p[i].po != po) {
			batch.p[k++] = batch.p[i];
			continue;
		}
		batch.p[i].s->queued = 0;
	}
	batch.n = k;
}

static void flush(const struct sample *smp, unsigned n)
{
	const int m = mode();
	sigset_t saved;
	if (!m || sc_trylock(&saved))
		return; /* busy: these samples are dropped */
	totals.samples += n;
	struct psite *touched[SC_PROMOTE_BUF];
	struct pobj *owner[SC_PROMOTE_BUF];
	unsigned nt = 0;
	for (unsigned i = 0; i < n; i++) {
		struct pobj *po;
		struct psite *s = find_site(smp[i].ret, &po);
		if (!s || s->reg != smp[i].reg ||
		    (s->state != PS_THUNK && s->state != PS_STUB))
			continue;
		if (m == 2 && s->state == PS_STUB)
			continue;
		tally(po, s, (void *)smp[i].target);
		if (!s->touched && nt < SC_PROMOTE_BUF) {
			s->touched = 1;
			touched[nt] = s;
			owner[nt++] = po;
		}
	}
	const unsigned queued = batch.n;
	for (unsigned i = 0; i < nt; i++)
		decide(&batch, owner[i], touched[i], m);
	if (batch.n) {
		const uint64_t now = now_us();
		if (!queued)
			batch.since = now;
		if (batch.n > SC_BATCH_MAX - SC_PROMOTE_BUF ||
		    now - batch.since >= sc_promote_batch_us)
			commit_batch();
	}
	if (m == 1) {
		const uint64_t now = now_ms();
		for (struct pobj *po = pobjs; po; po = po->next) {
			if (po->locked)
				continue; /* nothing of it can move */
			if (!batch.n && relayout_due(po, now)) {
				po->relayout_set = 0;
				po->relayouts++;
				relayout(po);
			}
			if (po->ninl) /* (queued sites are left alone) */
				check_inline(po, now);
		}
	}
	sc_unlock(&saved);
}

static __thread struct sample tbuf[SC_PROMOTE_BUF]
	__attribute__((tls_model("initial-exec")));
static __thread unsigned tn __attribute__((tls_model("initial-exec")));
static __thread uint32_t trand
	__attribute__((tls_model("initial-exec"))) = 2463534242u;

/* Set while this thread is in the sampler: a signal handler whose
 * indirect calls reach the sampler again (between the buffer's count
 * reaching its end and being reset, or during the flush) drops its
 * sample instead of writing past the buffer. */
static __thread int in_sampler __attribute__((tls_model("initial-exec")));

void sc_promote_sample_entry(uintptr_t ret, uintptr_t target, uintptr_t reg)
{
	if (in_sampler) {
		/* the interrupted sampler sets the next period */
		__staticcall_promote_tick = SC_PROMOTE_PERIOD;
		return;
	}
	in_sampler = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	int saved_errno = errno;
	/* A period of 16..47, not a constant: a fixed stride would sample
	 * the same phase of a periodic call pattern (every second call of a
	 * site alternating two targets) and never see the rest. */
	trand ^= trand << 13;
	trand ^= trand >> 17;
	trand ^= trand << 5;
	__staticcall_promote_tick =
		SC_PROMOTE_PERIOD / 2 + (int)(trand % SC_PROMOTE_PERIOD);
	tbuf[tn++] = (struct sample){ ret, target, reg };
	if (tn == SC_PROMOTE_BUF) {
		tn = 0;
		flush(tbuf, SC_PROMOTE_BUF);
	}
	errno = saved_errno;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	in_sampler = 0;
}

SC_EXPORT int static_call_promote_stats(struct static_call_promote_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof *st);
	if (!sc_parch_supported())
		return -ENOSYS;
	sigset_t saved;
	int err = sc_lock(&saved);
	if (err)
		return err;
	for (struct pobj *po = pobjs; po; po = po->next) {
		st->objects++;
		for (size_t i = 0; i < po->n; i++) {
			const struct psite *s = &po->sites[i];
			st->sites += s->state != PS_BAD;
			st->tail_sites += s->tail;
			st->tail_unlearned += s->state == PS_TAIL;
			st->promoted += s->state == PS_STUB;
			st->megamorphic += s->state == PS_MEGA;
			st->far += s->state == PS_FAR;
			st->no_room += s->state == PS_FULL;
			st->plain += s->state == PS_PLAIN;
			st->unwritable += s->state == PS_LOCKED;
			st->inline_sites += !!s->inl;
			st->inline_open += s->inl && s->inl->target;
		}
		st->stubs += po->nstubs;
		st->stub_bytes +=
			po->slow_bytes + po->jump_bytes + po->gap_bytes;
		for (size_t i = 0; i < po->nstubs; i++) {
			st->stub_bytes += po->stubs[i].len;
			st->hits += stub_hits(&po->stubs[i]);
			st->misses += stub_misses(&po->stubs[i]);
		}
		st->counter_bytes += po->cnt_used;
	}
	st->rejected = totals.rejected;
	st->promotions = totals.promotions;
	st->demotions = totals.demotions;
	st->samples = totals.samples;
	struct sc_execmem_stats x;
	sc_execmem_stats(&x);
	st->exec_reserved = x.reserved;
	st->exec_bytes = x.exec;
	st->exec_open = x.open;
	st->exec_data = x.data;
	st->exec_regions = x.regions;
	sc_unlock(&saved);
	return 0;
}

/* po's part of sealing: each site's word back to its thunk (or the
 * compiler's) in w, each thunk's slot back to plain in sw. */
static void seal_writes(const struct pobj *po, struct sc_write *w, size_t *k,
			struct sc_write *sw, size_t *ks)
{
	uint8_t to[SC_PSITE_MAX];
	for (size_t i = 0; i < po->n; i++) {
		const struct psite *s = &po->sites[i];
		if (s->state == PS_BAD)
			continue;
		/* a site of the compiler's thunk goes back to it; a terminal
		 * one (given up, in place) stays as it is, its thunk's slot
		 * still made plain below (other sites share it) */
		const uint8_t *home = s->compiled ? s->compiled : s->thunk;
		const uint8_t *now = sc_parch_site_dest(s->insn, s->tail);
		if (!s->terminal && now != home &&
		    (now == s->stub || now == s->slow || now == s->thunk ||
		     now == plain_path(s)) &&
		    sc_parch_site_encode(s->insn, s->tail, home, to)) {
			put_site(w, k, po, s->insn, to);
		}
		if (s->compiled) /* its entry has no slot */
			continue;
		uint64_t *slot = (uint64_t *)s->thunk;
		int dup = 0;
		for (size_t j = 0; j < *ks; j++)
			dup |= sw[j].word == slot;
		if (!dup && sc_code_load64(slot) == sc_parch_thunk_slot(1))
			sw[(*ks)++] = (struct sc_write){
				slot,
				sc_parch_thunk_slot(1),
				sc_parch_thunk_slot(0),
				0,
				1,
				sc_object_exec_prot(&po->obj, slot, 8)
			};
	}
}

/* Slots first, then sites: 0 or -errno (each batch all or nothing). */
static int apply_seal(struct sc_write *w, size_t k, struct sc_write *sw,
		      size_t ks)
{
	int err = ks ? sc_text_apply(sw, ks) : 0;
	return !err && k ? sc_text_apply(w, k) : err;
}

/* static_call_seal(STATIC_CALL_SEAL_CODE), under the lock: every
 * thunk's slot back to its plain form (one batch), then every site the
 * runtime moved back onto its thunk (another), so the code is as compiled
 * before patching goes off for good; a promote-plain unit's given-up
 * site in place (terminal) stays as it is, its equivalent (a thread may
 * be parked inside it). A failed batch leaves everything as it was;
 * inline sites come last, each closed or left as it is (below), so
 * they never fail the seal halfway. Slots first: a jump site moved back
 * onto a thunk that still samples would run its sample block, whose call
 * of the sampler's lazily bound PLT entry may clobber registers live
 * across the jump (%r10, %r11). 0 or -errno. */
int sc_promote_seal_code(void)
{
	size_t n = 0, k, ks;
	for (struct pobj *po = pobjs; po; po = po->next)
		n += po->n; /* per site: itself in w, its thunk's slot in sw */
	if (!n)
		return 0;
	struct sc_write *w = sc_mem_alloc(2 * n * sizeof *w), *sw = w + n;
	if (!w)
		return -ENOMEM;
	/* A locked object's code cannot be written: its sites stay where
	 * they are, as the kernel's seal keeps them. An object whose code
	 * refuses the seal's writes (sealed since the runtime last wrote
	 * it) is found by trying each object's writes unchanged, alone, and
	 * locked; then the others are sealed (a review saw the seal fail
	 * for good there). */
	int err;
	for (int again = 1;; again = 0) {
		k = ks = 0;
		for (struct pobj *po = pobjs; po; po = po->next) {
			po->seal_moved = !po->locked;
			if (po->seal_moved)
				seal_writes(po, w, &k, sw, &ks);
		}
		err = apply_seal(w, k, sw, ks);
		if (!refused(err) || !again)
			break;
		int found = 0;
		for (struct pobj *po = pobjs; po; po = po->next) {
			if (po->locked)
				continue;
			k = ks = 0;
			seal_writes(po, w, &k, sw, &ks);
			for (size_t i = 0; i < k; i++)
				w[i].new_value = w[i].old_value;
			for (size_t i = 0; i < ks; i++)
				sw[i].new_value = sw[i].old_value;
			int e = apply_seal(w, k, sw, ks);
			if (refused(e)) {
				lock_object(po, e);
				found = 1;
			}
		}
		if (!found)
			break;
	}
	sc_mem_free(w);
	if (err)
		return err;
	/* then inline sites, one by one: closed, their first instruction
	 * and B as compiled. One that cannot be (its bytes changed: a
	 * breakpoint; a barrier refused) stays as it is, open on its
	 * target, closed or bypassed, each right for every value, as a
	 * stub site under a breakpoint stays on its stub: sealing is not
	 * refused for it, and nothing writes it again */
	for (struct pobj *po = pobjs; po; po = po->next)
		for (size_t i = 0; i < po->ninl && !po->locked; i++) {
			int e = sc_pinline_restore(&po->obj, &po->inl[i]);
			if (refused(e))
				lock_object(po, e);
			else if (e)
				sc_log(SC_LOG_WARN,
				       "promote: sealing leaves inline site "
				       "%p as it is (%s)",
				       (void *)po->inl[i].start,
				       strerror(-e));
		}
	drop_queued(NULL); /* sealed: the batch moves nothing any more */
	for (struct pobj *po = pobjs; po; po = po->next)
		for (size_t i = 0; i < po->n; i++) {
			struct psite *s = &po->sites[i];
			/* (terminal: given up, in place; locked before the
			 * seal: not moved. One locked by its inline sites'
			 * restoring has its other sites moved all the same) */
			if (s->state == PS_BAD || s->terminal ||
			    !po->seal_moved)
				continue;
			s->state = PS_SEALED;
			s->stub = NULL;
			s->rec = NULL;
			s->slow = s->compiled ? s->compiled : s->thunk;
		}
	return 0;
}

size_t sc_promote_objects(const void **out, size_t n)
{
	size_t k = 0;
	for (struct pobj *po = pobjs; po; po = po->next, k++)
		if (k < n)
			out[k] = po->begin;
	return k;
}

/* mseal a whole reservation of execmem.c (stubs, counters), if any. */
static int mseal_region(const struct sc_execmem *m)
{
	if (!m->base || !m->size)
		return 0;
	return sc_mseal_range(m->base, m->size);
}

int sc_promote_mseal(const void *begin)
{
	for (struct pobj *po = pobjs; po; po = po->next) {
		if (po->begin != begin)
			continue;
		int err = sc_mseal_object(&po->obj);
		if (!err)
			err = mseal_region(&po->pool);
		if (!err)
			err = mseal_region(&po->cnt);
		return err;
	}
	return -ENOENT;
}

SC_EXPORT int
static_call_promote_sites(struct static_call_promote_site_info *buf, size_t n)
{
	const uint8_t *state_of = __staticcall_promote_view.state_of;
	if (!sc_parch_supported())
		return -ENOSYS;
	if (!buf)
		n = 0; /* only counted */
	sigset_t saved;
	int err = sc_lock(&saved);
	if (err)
		return err;
	size_t k = 0;
	for (struct pobj *po = pobjs; po; po = po->next)
		for (size_t i = 0; i < po->n; i++, k++) {
			const struct psite *s = &po->sites[i];
			if (k >= n)
				continue;
			struct static_call_promote_site_info *o = &buf[k];
			memset(o, 0, sizeof *o);
			o->address = s->insn;
			o->reg = s->reg;
			/* (a rejected record's flags are not believed) */
			o->tail = s->state == PS_BAD ? 0 :
				  s->jump	      ? 2 :
						    s->tail;
			o->state = state_of[s->state];
			/* (a locked site left on its stub: its stub's) */
			const int on_stub =
				s->state == PS_STUB ||
				(s->state == PS_LOCKED && s->rec);
			if (on_stub || s->state == PS_PLAIN) {
				o->ntargets = s->ntargets;
				for (int j = 0; j < s->ntargets &&
						j < SC_PROMOTE_MAX_TARGETS;
				     j++)
					o->targets[j] = s->targets[j];
			}
			o->samples = s->samples_all;
			o->promotions = s->promotions;
			o->demotions = s->demotions_all;
			if (on_stub && s->rec->cnt) {
				o->counted = 1;
				for (int j = 0; j < s->rec->n &&
						j < SC_PROMOTE_MAX_TARGETS;
				     j++)
					o->hits[j] = counter(&s->rec->cnt[j]);
				o->misses = stub_misses(s->rec);
			}
			o->kept = s->kept;
			o->inline_site = !!s->inl;
			o->inline_target = s->inl ? s->inl->target : NULL;
		}
	sc_unlock(&saved);
	return k > INT32_MAX ? INT32_MAX : (int)k;
}

SC_EXPORT const char *static_call_promote_state_name(int state)
{
	static const char *const name[] = {
		[STATIC_CALL_PROMOTE_REJECTED] = "rejected",
		[STATIC_CALL_PROMOTE_UNLEARNED] = "unlearned",
		[STATIC_CALL_PROMOTE_LEARNING] = "learning",
		[STATIC_CALL_PROMOTE_PROMOTED] = "promoted",
		[STATIC_CALL_PROMOTE_MEGAMORPHIC] = "megamorphic",
		[STATIC_CALL_PROMOTE_FAR] = "far",
		[STATIC_CALL_PROMOTE_SEALED] = "sealed",
		[STATIC_CALL_PROMOTE_NO_ROOM] = "no-room",
		[STATIC_CALL_PROMOTE_PLAIN] = "plain",
		[STATIC_CALL_PROMOTE_UNWRITABLE] = "unwritable",
	};
	return state >= 0 && (size_t)state < sizeof name / sizeof *name &&
			       name[state] ?
		       name[state] :
		       "?";
}

/* STATICCALL_REPORT=1: one line per object when it goes (exit or
 * dlclose), under the lock. */
static void report_object(const struct pobj *po)
{
	size_t n[PS_LOCKED + 1] = { 0 }, stubs = 0, jumps = 0;
	unsigned long long hits = 0, misses = 0;
	for (size_t i = 0; i < po->n; i++) {
		n[po->sites[i].state]++;
		jumps += po->sites[i].jump && po->sites[i].state != PS_BAD;
	}
	for (size_t i = 0; i < po->nstubs; i++) {
		stubs += po->stubs[i].len;
		hits += stub_hits(&po->stubs[i]);
		misses += stub_misses(&po->stubs[i]);
	}
	stubs += po->slow_bytes + po->jump_bytes + po->gap_bytes;
	sc_log_report("promote: %s: %zu sites: %zu promoted, %zu learning, "
		      "%zu megamorphic, %zu far, %zu no room, %zu plain in "
		      "place, %zu unwritable, %zu on the "
		      "compiler's thunk, %zu tail unlearned, %zu rejected; %zu "
		      "jump sites; %zu stubs, %zu bytes, %u relayouts (%zu "
		      "sites moved); %llu hits, %llu misses, %zu hit counts "
		      "started again",
		      po->obj.name ? po->obj.name : "?", po->n, n[PS_STUB],
		      n[PS_THUNK], n[PS_MEGA], n[PS_FAR], n[PS_FULL], n[PS_PLAIN],
		      n[PS_LOCKED], n[PS_COMPILED], n[PS_TAIL], n[PS_BAD], jumps,
		      po->nstubs,
		      stubs, po->relayouts, po->relaid, hits, misses,
		      po->hit_restarts);
}
