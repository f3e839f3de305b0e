/*
 * test_promote_aarch64.c - promotion of indirect calls on arm64
 * (runtime/promote_aarch64.*, docs/PATCHING.md "Promoted sites"), a
 * plain program (qemu-user), on the fixture's plugin-shaped sites and
 * thunks (fixture_promote_aarch64.S):
 *
 *  - the thunk checker accepts exactly the plugin's words, for every
 *    register a thunk takes, and refuses any other word in its fixed
 *    parts, another register, and a sample call landing outside the
 *    object;
 *  - stub semantics: for every register and 1..16 targets, a call through
 *    a site pointed at the stub reaches each target when the register
 *    holds it and the thunk for any other value; each stub word is the
 *    documented LDR (literal) of its own slot, CMP, B.NE, B;
 *  - counting stubs, every register and 1..16 targets: every value still
 *    reaches its target, each call counted once (its target's counter or
 *    the misses'); a counter off 8-byte alignment refused;
 *  - site transitions thunk -> stub -> other stub -> thunk: each one write
 *    of the aligned quadword (through recorded text-writer steps)
 *    changing only the site's `bl`, BL before and after, flushed, then a
 *    core sync; stub pages are read-execute, never written again;
 *  - threads calling through a site while it is re-targeted get the
 *    result of `blr xN` every time (1 s);
 *  - registering a table: good records taken (thunks' slots sampling,
 *    one instruction changed), bad ones refused; a site called with one
 *    target gets promoted to it through the sample block and
 *    __staticcall_promote_sample, results unchanged;
 *  - Clang's sites: LLVM's SLS thunk recognised word for word, the
 *    runtime's sampling entry's words;
 *  - static_call_seal(CODE) with two promoted sites in one quadword
 *    (arm64 sites need no padding): every site back on its thunk in one
 *    batch.
 * Exit 0 on success.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "promote.h"
#include "staticcall/promote.h"

static int failures;
#define CHECK(c, ...)                                                 \
	do {                                                          \
		if (!(c)) {                                           \
			failures++;                                   \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, \
				__LINE__, #c);                        \
			fprintf(stderr, __VA_ARGS__);                 \
			fputc('\n', stderr);                          \
		}                                                     \
	} while (0)

#define NREGS 28
static const int regs[NREGS] = { 0,  1,	 2,  3,	 4,  5,	 6,  7,	 8,  9,
				 10, 11, 12, 13, 14, 15, 18, 19, 20, 21,
				 22, 23, 24, 25, 26, 27, 28, 29 };

/* clang-format off */
#define FIX(n) extern uint8_t pt_thunk_x##n[], pt_site_x##n[]; \
	long pt_via_x##n(long (*)(void));
FIX(0) FIX(1) FIX(2) FIX(3) FIX(4) FIX(5) FIX(6) FIX(7) FIX(8) FIX(9)
FIX(10) FIX(11) FIX(12) FIX(13) FIX(14) FIX(15) FIX(18) FIX(19) FIX(20)
FIX(21) FIX(22) FIX(23) FIX(24) FIX(25) FIX(26) FIX(27) FIX(28) FIX(29)
#define ROW(n) { pt_thunk_x##n, pt_site_x##n, pt_via_x##n }
	/* clang-format on */
	static const struct fix {
	uint8_t *thunk, *site;
	long (*via)(long (*)(void));
} fx[NREGS] = {
	ROW(0),	 ROW(1),  ROW(2),  ROW(3),  ROW(4),  ROW(5),  ROW(6),
	ROW(7),	 ROW(8),  ROW(9),  ROW(10), ROW(11), ROW(12), ROW(13),
	ROW(14), ROW(15), ROW(18), ROW(19), ROW(20), ROW(21), ROW(22),
	ROW(23), ROW(24), ROW(25), ROW(26), ROW(27), ROW(28), ROW(29),
};
extern uint8_t pt_pair_site0[], pt_pair_site1[];
long pt_pair(long (*)(void), long (*)(void));
extern const char pt_table[], pt_table_end[], pt_bad_table[],
	pt_bad_table_end[];
void __staticcall_promote_register(const void *begin, const void *end);

/* more than a call site's stub compares (8): x20 calling them all in
 * turn is given up on; a stub of 16 takes 16 different ones */
#define NT 18
/* clang-format off */
static long hits[NT];
#define T(k) __attribute__((noinline)) static long t##k(void) \
	{ hits[k]++; return 100 + k; }
T(0) T(1) T(2) T(3) T(4) T(5) T(6) T(7) T(8) T(9) T(10) T(11) T(12) T(13)
T(14) T(15) T(16) T(17)
static long (*const tf[NT])(void) = { t0, t1, t2, t3, t4, t5, t6, t7, t8,
				      t9, t10, t11, t12, t13, t14, t15, t16,
				      t17 };
/* clang-format on */

static uint32_t rd32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static struct sc_object obj;
static uintptr_t lo, hi;
static struct sc_execmem pool;

/* ---- recorded text-writer steps (as test_backend.c) ------------------ */
enum ev_kind { EV_OPEN, EV_RESTORE, EV_CAS, EV_FLUSH, EV_SYNC };
struct event {
	enum ev_kind kind;
	uintptr_t addr;
	size_t len;
	uint64_t expect, value;
	int ok;
};
static struct event ev[64];
static int nev, open_pages;
static const struct sc_text_ops *real_ops;

static int r_open(void *c __attribute__((unused)), uintptr_t p, size_t l,
		  int prot)
{
	if (nev < 64)
		ev[nev++] = (struct event){ EV_OPEN, p, l, 0, 0, 1 };
	open_pages++;
	return real_ops->make_writable(real_ops->ctx, p, l, prot);
}
static int r_restore(void *c __attribute__((unused)), uintptr_t p, size_t l,
		     int prot)
{
	if (nev < 64)
		ev[nev++] = (struct event){ EV_RESTORE, p, l, 0, 0, 1 };
	open_pages--;
	return real_ops->restore(real_ops->ctx, p, l, prot);
}
static int r_cas(void *c __attribute__((unused)), uint64_t *w, uint64_t e,
		 uint64_t v)
{
	int ok = real_ops->cas(real_ops->ctx, w, e, v);
	if (nev < 64)
		ev[nev++] = (struct event){ EV_CAS, (uintptr_t)w, 8, e, v, ok };
	return ok;
}
static void r_sync(void *c __attribute__((unused)))
{
	if (nev < 64)
		ev[nev++] = (struct event){ EV_SYNC, 0, 0, 0, 0, 1 };
	real_ops->sync_cores(real_ops->ctx);
}
static void r_flush(void *c, void *addr, size_t len)
{
	if (nev < 64)
		ev[nev++] = (struct event){ EV_FLUSH, (uintptr_t)addr,
					    len,      0,
					    0,	      1 };
	(void)c;
	__builtin___clear_cache((char *)addr, (char *)addr + len);
}
static struct sc_text_ops rec_ops;

/* One write, of the word holding `insn`, changing only that instruction
 * from `op` to `op` (B or BL), flushed, then a sync. */
static void check_one_write(const char *what, const uint8_t *insn, uint32_t op)
{
	int cas = 0, flushed = 0, synced = 0;
	for (int i = 0; i < nev; i++) {
		struct event *e = &ev[i];
		if (e->kind == EV_CAS && e->ok) {
			cas++;
			CHECK(e->addr == ((uintptr_t)insn & ~(uintptr_t)7),
			      "%s: wrote %#lx", what, (unsigned long)e->addr);
			for (int h = 0; h < 2; h++) {
				uint32_t o = (uint32_t)(e->expect >> 32 * h);
				uint32_t n = (uint32_t)(e->value >> 32 * h);
				if (e->addr + 4 * h == (uintptr_t)insn)
					CHECK((o & 0xfc000000u) == op &&
						      (n & 0xfc000000u) == op,
					      "%s: %08x -> %08x", what, o, n);
				else
					CHECK(o == n, "%s: the other word",
					      what);
			}
		}
		if (e->kind == EV_FLUSH && cas && e->addr <= (uintptr_t)insn &&
		    e->addr + e->len >= (uintptr_t)insn + 4)
			flushed = 1;
		if (e->kind == EV_SYNC && flushed)
			synced = 1;
	}
	CHECK(cas == 1, "%s: %d writes", what, cas);
	CHECK(flushed && synced, "%s: flushed %d, synced %d", what, flushed,
	      synced);
	CHECK(open_pages == 0, "%s: pages left writable", what);
}

static int retarget(const char *what, uint8_t *site, const void *from,
		    const void *to)
{
	nev = 0;
	sc_set_text_ops(&rec_ops);
	sc_set_code_flush(r_flush, NULL);
	int err = sc_promote_retarget(&obj, site, 0, from, to);
	sc_set_code_flush(NULL, NULL);
	sc_set_text_ops(NULL);
	CHECK(!err, "%s: %d", what, err);
	if (!err)
		check_one_write(what, site, 0x94000000u);
	CHECK(sc_parch_site_dest(site, 0) == (err ? from : to), "%s: dest",
	      what);
	return err;
}

/* ---- the thunk checker ------------------------------------------------ */
static void test_thunk_check(void)
{
	const void *sample = sc_parch_sample_fn();
	for (int i = 0; i < NREGS; i++) {
		CHECK(sc_parch_thunk_ok(fx[i].thunk, regs[i], lo, hi, sample),
		      "x%d's thunk refused", regs[i]);
		CHECK(!sc_parch_thunk_ok(fx[i].thunk, regs[(i + 1) % NREGS], lo,
					 hi, sample),
		      "x%d's thunk taken for x%d", regs[i],
		      regs[(i + 1) % NREGS]);
		CHECK(sc_parch_site_dest(fx[i].site, 0) == fx[i].thunk,
		      "x%d's site", regs[i]);
	}
	/* any other word in the fixed parts: a copy, word by word */
	uint8_t buf[SC_A64_THUNK_SIZE];
	const uint8_t *t = pt_thunk_x9;
	for (unsigned o = 0; o < SC_A64_THUNK_SIZE; o += 4) {
		for (int bit = 0; bit < 32; bit += 5) {
			memcpy(buf, t, sizeof buf);
			/* the tick's offset (adrp/ldr immediates) and the
			 * sample call's offset vary; their registers not */
			uint32_t w = rd32(buf + o) ^ (1u << bit);
			if ((o == 28 || o == 32) && bit > 4)
				continue;
			if (o == 68 && bit < 26)
				continue;
			memcpy(buf + o, &w, 4);
			/* the copy's own sample call: relative to buf */
			uint32_t bl = rd32(t + 68);
			if (o != 68) {
				intptr_t d = (intptr_t)(t - buf);
				bl = (bl & 0xfc000000u) |
				     ((bl + (uint32_t)(d >> 2)) & 0x3ffffffu);
				memcpy(buf + 68, &bl, 4);
			}
			CHECK(!sc_parch_thunk_ok(buf, 9, lo, hi, sample),
			      "word %u bit %d changed, still taken", o, bit);
		}
	}
	/* the copy itself is taken: the mutations above were the reason */
	memcpy(buf, t, sizeof buf);
	uint32_t bl = rd32(t + 68);
	intptr_t d = (intptr_t)(t - buf);
	bl = (bl & 0xfc000000u) | ((bl + (uint32_t)(d >> 2)) & 0x3ffffffu);
	memcpy(buf + 68, &bl, 4);
	CHECK(sc_parch_thunk_ok(buf, 9, (uintptr_t)buf, (uintptr_t)buf + 1,
				sample),
	      "the copy refused");
	/* a sample call landing outside [lo, hi) and not at the sampler */
	CHECK(!sc_parch_thunk_ok(t, 9, lo, lo + 1, (void *)16),
	      "a call outside the object taken");
	CHECK(!sc_parch_thunk_ok(pt_thunk_x9, 16, lo, hi, sample) &&
		      !sc_parch_thunk_ok(pt_thunk_x9, 30, lo, hi, sample),
	      "x16/x30 taken");
}

/* ---- stubs ------------------------------------------------------------- */
static const uint8_t *make_stub(int reg, void *const *t, int n,
				const uint8_t *miss)
{
	size_t len = sc_parch_stub_size(n);
	uint8_t *at = sc_execmem_room(&pool, len);
	CHECK(at != NULL, "pool full");
	if (!at)
		return NULL;
	CHECK(sc_parch_stub_encode(at, reg, t, n, miss, at), "encode x%d", reg);
	/* the documented words */
	size_t code = (size_t)n * 16 + 4, slots = (code + 7) & ~(size_t)7;
	for (int i = 0; i < n; i++) {
		const uint8_t *p = at + 16 * i;
		uint32_t ldr = rd32(p);
		int32_t imm = (int32_t)(ldr << 8) >> 13;
		CHECK((ldr & 0xff00001fu) == 0x58000010u &&
			      p + 4 * imm == at + slots + 8 * i,
		      "ldr %08x", ldr);
		void *slot;
		memcpy(&slot, at + slots + 8 * i, 8);
		CHECK(slot == t[i], "slot %d", i);
		CHECK(rd32(p + 4) == (0xeb10001fu | (uint32_t)reg << 5), "cmp");
		CHECK(rd32(p + 8) == 0x54000041u, "b.ne");
		CHECK(sc_parch_site_dest(p + 12, 1) == t[i], "b target %d", i);
	}
	CHECK(sc_parch_site_dest(at + code - 4, 1) == miss, "b miss");
	return at;
}

static void test_stubs(void)
{
	for (int i = 0; i < NREGS; i++) {
		const uint8_t *stubs[SC_PROMOTE_MAX_TARGETS];
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			void *t[SC_PROMOTE_MAX_TARGETS];
			for (int k = 0; k < n; k++)
				t[k] = (void *)tf[(i + 2 * k) % NT];
			stubs[n - 1] = make_stub(regs[i], t, n, fx[i].thunk);
		}
		CHECK(!sc_execmem_seal(&pool), "seal");
		const uint8_t *now = fx[i].thunk;
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			char what[64];
			snprintf(what, sizeof what, "x%d: -> %d-target stub",
				 regs[i], n);
			if (!stubs[n - 1] ||
			    retarget(what, fx[i].site, now, stubs[n - 1]))
				continue;
			now = stubs[n - 1];
			for (int v = 0; v < NT; v++) {
				long r = fx[i].via(tf[v]);
				CHECK(r == 100 + v,
				      "x%d, %d targets: t%d -> %ld", regs[i], n,
				      v, r);
			}
		}
		retarget("back to the thunk", fx[i].site, now, fx[i].thunk);
		for (int v = 0; v < NT; v++)
			CHECK(fx[i].via(tf[v]) == 100 + v, "x%d on its thunk",
			      regs[i]);
	}
	/* a target out of `b` reach: no stub */
	uint8_t buf[64];
	void *far = (void *)((uintptr_t)pool.base + (1ull << 28));
	CHECK(!sc_parch_stub_encode(pool.base, 1, &far, 1, pt_thunk_x1, buf),
	      "a target 256 MiB away encoded");
}

/* Counting stubs (docs/PATCHING.md "Hit counters"): for every register
 * and 1-16 targets, every value still reaches its target, each call
 * counted once, on its target's counter or the misses', a target's
 * counter no more once it holds STATIC_CALL_PROMOTE_HITS_MAX; a counter
 * not 8-byte aligned is refused. */
static uint64_t counts[SC_PROMOTE_MAX_TARGETS][SC_PROMOTE_MAX_TARGETS + 1]
	__attribute__((aligned(64)));

static void test_counted_stubs(void)
{
	for (int i = 0; i < NREGS; i++) {
		const uint8_t *stubs[SC_PROMOTE_MAX_TARGETS];
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			void *t[SC_PROMOTE_MAX_TARGETS];
			for (int k = 0; k < n; k++)
				t[k] = (void *)tf[(i + k) % NT];
			size_t len = sc_parch_counted_stub_size(n);
			uint8_t *at = sc_execmem_room(&pool, len);
			stubs[n - 1] = at;
			CHECK(at && len <= SC_PSTUB_MAX &&
				      sc_parch_counted_stub_encode(
					      at, regs[i], t, n, fx[i].thunk,
					      counts[n - 1], at),
			      "x%d: encode %d", regs[i], n);
		}
		CHECK(!sc_execmem_seal(&pool), "seal");
		const uint8_t *now = fx[i].thunk;
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			char what[64];
			snprintf(what, sizeof what, "x%d: -> counting %d",
				 regs[i], n);
			if (!stubs[n - 1] ||
			    retarget(what, fx[i].site, now, stubs[n - 1]))
				continue;
			now = stubs[n - 1];
			memset(counts[n - 1], 0, sizeof counts[n - 1]);
			for (int v = 0; v < NT; v++)
				CHECK(fx[i].via(tf[v]) == 100 + v,
				      "x%d, %d counted: t%d", regs[i], n, v);
			/* each target in the stub once, the rest misses */
			uint64_t sum = 0;
			for (int k = 0; k < n; k++) {
				CHECK(counts[n - 1][k] == 1,
				      "x%d, %d counted: target %d counted %llu",
				      regs[i], n, k,
				      (unsigned long long)counts[n - 1][k]);
				sum += counts[n - 1][k];
			}
			CHECK(counts[n - 1][n] == (uint64_t)(NT - n),
			      "x%d, %d counted: misses %llu", regs[i], n,
			      (unsigned long long)counts[n - 1][n]);
			(void)sum;
			/* a counter stops at STATIC_CALL_PROMOTE_HITS_MAX
			 * (one past it: another thread's increment at that
			 * moment), the calls still right */
			for (int k = 0; k < n; k++)
				counts[n - 1][k] = STATIC_CALL_PROMOTE_HITS_MAX -
						   1 + (uint64_t)(k & 1) * 2;
			for (int r = 0; r < 2; r++)
				for (int v = 0; v < NT; v++)
					CHECK(fx[i].via(tf[v]) == 100 + v,
					      "x%d, %d stopped: t%d", regs[i],
					      n, v);
			for (int k = 0; k < n; k++)
				CHECK(counts[n - 1][k] ==
					      STATIC_CALL_PROMOTE_HITS_MAX +
						      (uint64_t)(k & 1),
				      "x%d, %d counted: target %d past the "
				      "stop: %llu",
				      regs[i], n, k,
				      (unsigned long long)counts[n - 1][k]);
			CHECK(counts[n - 1][n] == 3 * (uint64_t)(NT - n),
			      "x%d, %d stopped: misses %llu", regs[i], n,
			      (unsigned long long)counts[n - 1][n]);
		}
		retarget("back to the thunk", fx[i].site, now, fx[i].thunk);
	}
	uint8_t buf[SC_PSTUB_MAX];
	void *t = (void *)tf[0];
	CHECK(!sc_parch_counted_stub_encode(pool.base, 1, &t, 1, pt_thunk_x1,
					    (uint64_t *)((char *)counts + 4),
					    buf),
	      "a counter off 8-byte alignment encoded");
}

/* ---- threads through a site being re-targeted ------------------------- */
static volatile int stop;
static volatile long bad_calls, calls;

static void *caller(void *arg)
{
	long k = (long)(uintptr_t)arg, n = 0;
	while (!stop) {
		int v = (int)((n++ + k) % 4);
		if (pt_via_x9(tf[v]) != 100 + v)
			bad_calls++;
	}
	__atomic_fetch_add(&calls, n, __ATOMIC_RELAXED);
	return NULL;
}

static void test_threads(void)
{
	void *a[2] = { (void *)t0, (void *)t1 }, *b[1] = { (void *)t2 },
	     *c[2] = { (void *)t3, (void *)t0 };
	const uint8_t *forms[4] = { pt_thunk_x9,
				    make_stub(9, a, 2, pt_thunk_x9),
				    make_stub(9, b, 1, pt_thunk_x9),
				    make_stub(9, c, 2, pt_thunk_x9) };
	CHECK(!sc_execmem_seal(&pool), "seal");
	pthread_t th[2];
	for (long k = 0; k < 2; k++)
		pthread_create(&th[k], NULL, caller, (void *)k);
	struct timespec t0s, now;
	clock_gettime(CLOCK_MONOTONIC, &t0s);
	int flips = 0, at = 0;
	do {
		int next = (at + 1 + flips % 3) % 4;
		if (next == at)
			next = (at + 1) % 4;
		if (!sc_promote_retarget(&obj, pt_site_x9, 0, forms[at],
					 forms[next]))
			at = next, flips++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0s.tv_sec < 1 || flips < 20);
	stop = 1;
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	sc_promote_retarget(&obj, pt_site_x9, 0, forms[at], pt_thunk_x9);
	CHECK(bad_calls == 0, "%ld wrong results of %ld calls", bad_calls,
	      calls);
	printf("threads: %d flips, %ld calls\n", flips, calls);
}

/* ---- a registered table, learning --------------------------------------- */
static void test_register(void)
{
	uint64_t before = 0;
	memcpy(&before, pt_thunk_x3, 8);
	CHECK(before == SC_A64_THUNK_SLOT_PLAIN, "plain slot");
	__staticcall_promote_register(pt_table, pt_table_end);
	__staticcall_promote_register(pt_bad_table, pt_bad_table_end);
	struct static_call_promote_stats st;
	CHECK(!static_call_promote_stats(&st), "stats");
	CHECK(st.sites == NREGS + 2 && st.rejected == 2,
	      "%zu sites, %zu rejected", (size_t)st.sites, (size_t)st.rejected);
	for (int i = 0; i < NREGS; i++) {
		uint64_t slot;
		memcpy(&slot, fx[i].thunk, 8);
		CHECK(slot == SC_A64_THUNK_SLOT_SAMPLE, "x%d not sampling",
		      regs[i]);
		CHECK(sc_parch_site_dest(fx[i].site, 0) == fx[i].thunk,
		      "x%d's site moved", regs[i]);
	}
	long sum = 0;
	for (int k = 0; k < 20000; k++)
		sum += pt_via_x3(t2) + pt_via_x20(tf[k % NT]);
	_Static_assert(20000 % NT == 2, "the last two calls: t0, t1");
	CHECK(sum == 20000L * 102 +
			      (20000 / NT) * (100 * NT + NT * (NT - 1) / 2) +
			      100 + 101,
	      "sum %ld", sum);
	CHECK(sc_parch_site_dest(pt_site_x3, 0) != pt_thunk_x3,
	      "x3's site not promoted");
	struct static_call_promote_site_info info[NREGS + 4];
	int n = static_call_promote_sites(info, NREGS + 4);
	int seen = 0;
	for (int i = 0; i < n && i < NREGS + 4; i++) {
		if (info[i].address == pt_site_x3) {
			seen = 1;
			CHECK(info[i].state == STATIC_CALL_PROMOTE_PROMOTED &&
				      info[i].ntargets == 1 &&
				      info[i].targets[0] == (void *)t2,
			      "x3: state %d, %d targets", (int)info[i].state,
			      (int)info[i].ntargets);
			CHECK(info[i].reg == 3, "reg %d", (int)info[i].reg);
		}
		if (info[i].address == pt_site_x20)
			CHECK(info[i].state == STATIC_CALL_PROMOTE_MEGAMORPHIC,
			      "x20 (%d targets): state %d", NT,
			      (int)info[i].state);
	}
	CHECK(seen, "x3's site not listed");
	CHECK(!static_call_promote_stats(&st) && st.promoted >= 1 &&
		      st.samples > 0,
	      "%zu promoted", (size_t)st.promoted);
	/* still correct for every value */
	for (int v = 0; v < NT; v++)
		CHECK(pt_via_x3(tf[v]) == 100 + v, "promoted x3: t%d", v);
}

/* ---- seal: two promoted sites sharing a quadword, back in one batch --- */
static void test_seal(void)
{
	CHECK(((uintptr_t)pt_pair_site0 & 7) == 0 &&
		      pt_pair_site1 == pt_pair_site0 + 4,
	      "the pair's sites share no quadword");
	memset(hits, 0, sizeof hits);
	long sum = 0;
	for (int k = 0; k < 20000; k++)
		sum += pt_pair(t1, t4);
	CHECK(sum == 20000L * 104 && hits[1] == 20000 && hits[4] == 20000,
	      "pair: %ld, %ld, %ld", sum, hits[1], hits[4]);
	CHECK(sc_parch_site_dest(pt_pair_site0, 0) != pt_thunk_x19 &&
		      sc_parch_site_dest(pt_pair_site1, 0) != pt_thunk_x20,
	      "the pair not promoted");
	CHECK(static_call_seal(STATIC_CALL_SEAL_CODE) == 0, "seal");
	CHECK(sc_parch_site_dest(pt_pair_site0, 0) == pt_thunk_x19 &&
		      sc_parch_site_dest(pt_pair_site1, 0) == pt_thunk_x20 &&
		      sc_parch_site_dest(pt_site_x3, 0) == pt_thunk_x3,
	      "sealed: not back on the thunks");
	uint64_t slot;
	memcpy(&slot, pt_thunk_x19, 8);
	CHECK(slot == SC_A64_THUNK_SLOT_PLAIN, "sealed: slot sampling");
	CHECK(pt_pair(t2, t5) == 105 && pt_via_x3(t0) == 100, "sealed: calls");
}

/* Clang's sites (SC_PROMOTE_SLS): LLVM's own SLS thunk is recognised
 * word for word, with or without `bti c` (LLVM 14/19), for every register
 * a thunk takes and no other; any other word refuses it. The runtime's
 * sampling entry ends in exactly that thunk and reaches the sampler
 * through its literal. */
static void test_sls(void)
{
	for (int bti = 0; bti < 2; bti++)
		for (int r = 0; r < 32; r++) {
			uint32_t w[5], *t = w + bti;
			w[0] = 0xd503245fu;
			t[0] = 0xaa0003f0u | (uint32_t)r << 16;
			t[1] = 0xd61f0200u;
			t[2] = 0xd5033f9fu;
			t[3] = 0xd5033fdfu;
			int want = r == 16 || r == 17 || r >= 30 ? -1 : r;
			CHECK(sc_parch_sls_thunk_reg((uint8_t *)w) == want,
			      "sls thunk x%d (bti %d)", r, bti);
			if (want < 0)
				continue;
			for (int i = 0; i < 4; i++) {
				uint32_t saved = t[i];
				t[i] ^= 1u << (i == 0 ? 5 : 12);
				CHECK(sc_parch_sls_thunk_reg((uint8_t *)w) < 0,
				      "sls thunk x%d: word %d changed", r, i);
				t[i] = saved;
			}
		}
	uint8_t e[128] __attribute__((aligned(8)));
	const void *fn = sc_parch_sample_fn();
	CHECK(sc_parch_sls_entry_size() == 80 &&
		      !sc_parch_sls_entry_encode(e + 4, 9, fn, e) &&
		      !sc_parch_sls_entry_encode(e, 16, fn, e) &&
		      !sc_parch_sls_entry_encode(e, 9, NULL, e),
	      "sls entry: refusals");
	for (int r = 0; r < 30; r++) {
		if (r == 16 || r == 17)
			continue;
		CHECK(sc_parch_sls_entry_encode(e, r, fn, e), "entry x%d", r);
		uint64_t lit;
		memcpy(&lit, e + 72, 8);
		CHECK(rd32(e) == 0xd53bd050u &&
			      sc_parch_sls_thunk_reg(e + 56) == r &&
			      lit == (uint64_t)(uintptr_t)fn &&
			      rd32(e + 40) == (0xa90143e0u | (uint32_t)r) &&
			      rd32(e + 36) == (0xd2800010u | (uint32_t)r << 5),
		      "entry x%d: words", r);
	}
}

int main(void)
{
	real_ops = sc_text_ops();
	rec_ops =
		(struct sc_text_ops){ r_open, r_restore, r_cas, r_sync, NULL };
	CHECK(sc_parch_supported() && sc_parch_site_len() == 4, "arm64");
	if (sc_object_locate(&obj, pt_site_x1)) {
		fprintf(stderr, "FAIL: no object\n");
		return 1;
	}
	lo = UINTPTR_MAX;
	for (int i = 0; i < obj.nsegs; i++)
		if (obj.segs[i].prot & PROT_EXEC) {
			if (obj.segs[i].lo < lo)
				lo = obj.segs[i].lo;
			if (obj.segs[i].hi > hi)
				hi = obj.segs[i].hi;
		}
	if (sc_execmem_reserve(&pool, lo, hi, 1 << 20, sc_parch_reach, 0)) {
		fprintf(stderr, "FAIL: no pool\n");
		return 1;
	}
	test_thunk_check();
	test_sls();
	test_stubs();
	test_counted_stubs();
	test_threads();
	test_register();
	test_seal();
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("promote (arm64): all passed\n");
	return failures != 0;
}
