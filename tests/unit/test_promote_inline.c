/*
 * Inline sites (runtime/promote_inline.c; docs/PATCHING.md "Inline
 * sites"), on a site laid out byte by byte as docs/ABI.md gives it (an
 * oracle independent of the plugin's text) in a page the test owns:
 *
 *  - verification takes the site as compiled and refuses it with any
 *    checked byte changed, A open, B elsewhere than the thunk, its
 *    descriptor store's operands written;
 *  - the descriptor store's operands are whole (the descriptor, below
 *    2 GiB, and the rseq area's offset) in every state where its first
 *    bytes are not the `jmp` it is compiled with;
 *  - the protocol, checked on every write it makes (recorded through the
 *    text writer's operations and the barrier hook): for each state a
 *    thread may read A in and each later state it may call B in, with no
 *    barrier between (a barrier sends a thread inside the sequence to
 *    its slow path), B is what it compared, through opening, every
 *    re-target and closing; the checker itself flags a protocol without
 *    the close or without the barrier;
 *  - a barrier that fails leaves the site closed; a site changed behind
 *    the runtime's back (a breakpoint on its call) is closed and then
 *    left alone; restoring puts the
 *    bytes back as compiled; forgetting empties the descriptor.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "promote.h"
#include "promote_inline.h"

extern const ptrdiff_t __rseq_offset;

#define SITE 0x40 /* the site's offset in the code page */
#define SLOW 0x100
#define THUNK 0x200
#define T1 0x300 /* two targets, in the page */
#define T2 0x380

static uint8_t *code, *data;
static struct sc_object obj;

static void put32(uint8_t *p, int32_t v)
{
	memcpy(p, &v, 4);
}

/* The site through register reg, as the plugin compiles it. */
static void lay_out(int reg)
{
	uint8_t *s = code + SITE, *slow = code + SLOW;
	memset(code, 0xcc, 4096);
	memset(data, 0, 4096);
	static const uint8_t head[] = {
		0xe9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* jmp slow; 0 x 8 */
		0x3e, 0x4c, 0x8d, 0x1d, 0, 0, 0, 0,	    /* ds leaq A */
	};
	memcpy(s, head, sizeof head);
	put32(s + 1, (int32_t)(slow - (s + 5)));
	s[21] = 0x3e;
	s[22] = (uint8_t)(0x4c | (reg >= 8));
	s[23] = 0x39;
	s[24] = (uint8_t)(0xd8 | (reg & 7));
	s[25] = 0x0f;
	s[26] = 0x85;
	put32(s + 27, (int32_t)(slow - (s + 31)));
	s[31] = 0xe8;
	put32(s + 32, (int32_t)(code + THUNK - (s + 36)));
	static const uint8_t sig[8] = { 0xcc, 0x0f, 0xb9, 0x3d,
					0x53, 0x30, 0x05, 0x53 };
	memcpy(slow - 8, sig, 8);
	slow[0] = 0xe8;
	put32(slow + 1, (int32_t)(code + THUNK - (slow + 5)));
	slow[5] = 0xe9;
	put32(slow + 6, (int32_t)(s + 36 - (slow + 10)));
}

/* The descriptor store as the runtime must write it for desc. */
static const uint8_t store_head[5] = { 0x64, 0x48, 0xc7, 0x04, 0x25 };
static int is_store_of(const uint8_t *s, const void *desc)
{
	int32_t disp, imm;
	memcpy(&disp, s + 5, 4);
	memcpy(&imm, s + 9, 4);
	return !memcmp(s, store_head, 5) && disp == __rseq_offset + 8 &&
	       desc && (uintptr_t)imm == (uintptr_t)desc;
}

/* What the recorded writes did: the site's (A, B) after each, and where
 * the barriers were. */
#define MAXEV 64
static struct {
	const void *a, *b;
	int barrier; /* this event is a barrier, (a, b) unchanged */
	int jumps;   /* the first instruction the compiled `jmp` */
	uint8_t store[13]; /* the first instruction's bytes */
} ev[MAXEV];
static int nev, barrier_fails;

static void record(int barrier)
{
	cr_assert_lt(nev, MAXEV);
	ev[nev].a = sc_parch_inline_dest(code + SITE, 0);
	ev[nev].b = sc_parch_inline_dest(code + SITE, 1);
	ev[nev].jumps = code[SITE] == 0xe9;
	memcpy(ev[nev].store, code + SITE, 13);
	ev[nev++].barrier = barrier;
}

static int r_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c, (void)p, (void)l, (void)prot;
	return 0;
}
static int r_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	if (*w != e)
		return 0;
	*w = v;
	record(0);
	return 1;
}
static void r_sync(void *c)
{
	(void)c;
}
static const struct sc_text_ops rec_ops = { r_open, r_open, r_cas, r_sync,
					    NULL };
static int r_barrier(void)
{
	if (barrier_fails)
		return -EPERM;
	record(1);
	return 0;
}

static void setup(void)
{
	code = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(code, MAP_FAILED);
	data = code + 4096;
	memset(&obj, 0, sizeof obj);
	/* what the object's program headers would say; the recorded
	 * operations never mprotect */
	obj.segs[0] = (struct sc_segment){ (uintptr_t)code,
					   (uintptr_t)code + 4096,
					   PROT_READ | PROT_EXEC };
	obj.segs[1] = (struct sc_segment){ (uintptr_t)data,
					   (uintptr_t)data + 4096,
					   PROT_READ | PROT_WRITE };
	obj.nsegs = 2;
	sc_set_text_ops(&rec_ops);
	sc_pinline_test_barrier = r_barrier;
	nev = barrier_fails = 0;
}

static void teardown(void)
{
	sc_set_text_ops(NULL);
	sc_pinline_test_barrier = NULL;
	munmap(code, 8192);
}

TestSuite(promote_inline, .init = setup, .fini = teardown);

static int verify(struct pinline *in)
{
	return sc_pinline_verify(&obj, code + SLOW, 0, code + THUNK, in);
}

Test(promote_inline, verifies_the_compiled_layout_for_every_register)
{
	for (int reg = 0; reg < 16; reg++) {
		struct pinline in;
		lay_out(reg);
		int want = reg != 4 && reg != 11;
		cr_expect_eq(sc_pinline_verify(&obj, code + SLOW, reg,
					       code + THUNK, &in),
			     want, "register %d", reg);
		if (want) {
			cr_expect_eq(in.start, code + SITE);
			cr_expect(in.bypassed && !in.armed && !in.desc);
		}
	}
}

Test(promote_inline, refuses_any_changed_byte)
{
	struct pinline in;
	/* every byte of the site, and the slow path's signature, call and
	 * jump */
	int offs[64], n = 0;
	for (int i = 0; i < 36; i++)
		offs[n++] = SITE + i;
	for (int i = -7; i < 10; i++)
		offs[n++] = SLOW + i;
	for (int k = 0; k < n; k++) {
		lay_out(0);
		code[offs[k]] ^= 0x01;
		cr_expect_eq(verify(&in), 0, "byte +%#x changed, accepted",
			     offs[k]);
	}
	lay_out(0);
	cr_expect_eq(verify(&in), 1);
	/* its store already there: not as compiled */
	lay_out(0);
	memcpy(code + SITE, store_head, 5);
	cr_expect_eq(verify(&in), 0);
}

/* Nothing is written before the site first opens; then the store's
 * operands go in while the `jmp` still skips them, and only then its
 * first bytes: no thread ever runs a store to a half-written address. */
Test(promote_inline, store_written_whole_before_it_can_run)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	cr_expect_eq(nev, 0, "verification wrote");
	cr_expect_null(in.desc);
	record(0);
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	cr_assert_neq(in.desc, NULL);
	cr_expect_lt((uintptr_t)in.desc, (uintptr_t)1 << 31,
		     "a descriptor above 2 GiB");
	cr_expect(is_store_of(in.start, in.desc),
		  "not the store of its descriptor into rseq_cs");
	int stores = 0;
	for (int i = 0; i < nev; i++)
		if (!ev[i].jumps) {
			stores++;
			cr_expect(is_store_of(ev[i].store, in.desc),
				  "event %d: a store with operands unwritten",
				  i);
		}
	cr_expect_gt(stores, 0);
	cr_expect(ev[0].jumps && ev[1].jumps, "the `jmp` went first");
	/* closed and opened again: the store stays, nothing re-armed */
	cr_assert_eq(sc_pinline_set(&obj, &in, NULL), 0);
	int before = nev;
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect(is_store_of(in.start, in.desc));
	for (int i = before; i < nev; i++)
		cr_expect(!memcmp(ev[i].store, ev[before - 1].store, 13),
			  "the store rewritten");
	sc_pinline_forget(&in);
}

/* The store's operands are 32 bits: a descriptor above 2 GiB or an rseq
 * area out of a displacement's reach has no store (the site stays on
 * its `jmp`). */
Test(promote_inline, store_out_of_reach_is_refused)
{
	uint8_t out[16];
	void *low = (void *)0x7ffff000, *high = (void *)0x80000000;
	cr_expect_gt(sc_parch_inline_arm_encode(code, 2344, low, out), 0);
	cr_expect_eq(sc_parch_inline_arm_encode(code, 2344, high, out), 0);
	cr_expect_eq(sc_parch_inline_arm_encode(code, (intptr_t)1 << 31, low,
						out),
		     0);
	cr_expect_gt(sc_parch_inline_arm_encode(code, -2344, low, out), 0);
}

/* For every state i a thread may read A in and every later state j it
 * may call B in, with no barrier in (i, j]: if A_i is open, B_j == A_i.
 * ev[0] is the state before the first write. Returns the violations. */
static int check_timeline(const void *closed)
{
	int bad = 0;
	for (int i = 0; i < nev; i++) {
		if (ev[i].barrier || ev[i].a == closed)
			continue;
		for (int j = i; j < nev; j++) {
			if (j > i && ev[j].barrier)
				break; /* sent to the slow path */
			bad += ev[j].b != ev[i].a;
		}
	}
	return bad;
}

Test(promote_inline, protocol_keeps_every_call_right)
{
	struct pinline in;
	uint8_t compiled[SC_X86_INLINE_LEN];
	lay_out(3);
	memcpy(compiled, code + SITE, sizeof compiled);
	cr_assert_eq(sc_pinline_verify(&obj, code + SLOW, 3, code + THUNK,
				       &in),
		     1);
	const void *closed = sc_parch_inline_closed(in.start);
	record(0); /* the state as compiled */
	const void *seq[] = { code + T1, code + T2, code + T1, NULL,
			      code + T2, code + T2, NULL };
	for (size_t k = 0; k < sizeof seq / sizeof *seq; k++) {
		cr_assert_eq(sc_pinline_set(&obj, &in, seq[k]), 0, "step %zu",
			     k);
		cr_assert_eq(sc_parch_inline_dest(in.start, 0),
			     seq[k] ? seq[k] : closed);
		if (seq[k])
			cr_assert_eq(sc_parch_inline_dest(in.start, 1), seq[k]);
		cr_assert_eq(in.target, seq[k]);
	}
	cr_expect_eq(check_timeline(closed), 0);
	/* the descriptor: made when the site first opened, its store's */
	cr_assert_neq(in.desc, NULL);
	cr_expect(is_store_of(in.start, in.desc));
	const uint64_t *d = (const uint64_t *)in.desc;
	cr_expect_eq(d[1], (uintptr_t)(in.start + 13), "start_ip");
	cr_expect_eq(d[2], 23, "post_commit_offset");
	cr_expect_eq(d[3], (uintptr_t)(code + SLOW), "abort_ip");
	/* as compiled again */
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	cr_assert_eq(sc_pinline_restore(&obj, &in), 0);
	cr_expect_eq(memcmp(in.start, compiled, sizeof compiled), 0,
		     "not as compiled after restore");
	cr_expect_eq(sc_parch_inline_dest(in.start, 0), closed);
	cr_expect_eq(sc_parch_inline_dest(in.start, 1), code + THUNK);
	sc_pinline_forget(&in);
	cr_expect_eq(d[1], 0, "an emptied descriptor's range");
	cr_expect_eq(d[2], 0);
	cr_expect_eq(*(const uint32_t *)(uintptr_t)(d[3] - 4),
		     SC_X86_RSEQ_SIG, "its abort address not signed");
}

Test(promote_inline, checker_flags_broken_orders)
{
	const void *closed = code + SITE + 21;
	/* re-targeted without closing: B then A */
	nev = 0;
	ev[nev++] = (typeof(ev[0])){ .a = code + T1, .b = code + T1, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = code + T1, .b = code + T2, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = code + T2, .b = code + T2, .barrier = 0 };
	cr_expect_gt(check_timeline(closed), 0);
	/* closed, but no barrier before B */
	nev = 0;
	ev[nev++] = (typeof(ev[0])){ .a = code + T1, .b = code + T1, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = closed, .b = code + T1, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = closed, .b = code + T2, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = code + T2, .b = code + T2, .barrier = 0 };
	cr_expect_gt(check_timeline(closed), 0);
	/* with it: none */
	nev = 0;
	ev[nev++] = (typeof(ev[0])){ .a = code + T1, .b = code + T1, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = closed, .b = code + T1, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = closed, .b = code + T1, .barrier = 1 };
	ev[nev++] = (typeof(ev[0])){ .a = closed, .b = code + T2, .barrier = 0 };
	ev[nev++] = (typeof(ev[0])){ .a = code + T2, .b = code + T2, .barrier = 0 };
	cr_expect_eq(check_timeline(closed), 0);
}

Test(promote_inline, failed_barrier_leaves_it_closed)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	const void *closed = sc_parch_inline_closed(in.start);
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	barrier_fails = 1;
	cr_expect_neq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect_eq(sc_parch_inline_dest(in.start, 0), closed);
	cr_expect_eq(sc_parch_inline_dest(in.start, 1), code + T1,
		     "B written after a failed barrier");
	cr_expect_eq(in.target, NULL);
	/* still owed: opening again first needs a barrier that works */
	cr_expect_eq(sc_pinline_set(&obj, &in, code + T2), -EAGAIN);
	cr_expect_eq(sc_parch_inline_dest(in.start, 1), code + T1,
		     "B written with the barrier still owed");
	barrier_fails = 0;
	cr_expect_eq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect_eq(sc_parch_inline_dest(in.start, 0), code + T2);
}

Test(promote_inline, field_changed_behind_its_back_is_left_alone)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	/* a debugger's breakpoint on the `call` */
	uint8_t *call = in.start + 31, saved = *call;
	*call = 0xcc;
	/* A is closed (one word), the barrier runs; B's write refuses */
	cr_expect_neq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect_eq(*call, 0xcc, "the breakpoint overwritten");
	cr_expect_eq(sc_parch_inline_dest(in.start, 0),
		     sc_parch_inline_closed(in.start));
	*call = saved;
}

/* A breakpoint inside B's operand (not on the `call`): B then reads as
 * another address, so a write that took B's current value as what to
 * expect would overwrite it (a review found opening and sealing did);
 * the runtime expects the B it wrote last, so both refuse and the byte
 * stays. */
Test(promote_inline, breakpoint_in_b_operand_is_never_overwritten)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	uint8_t *op = in.start + 32, saved = *op;
	*op = 0xcc;
	cr_expect_neq(sc_pinline_set(&obj, &in, code + T1), 0);
	cr_expect_eq(*op, 0xcc, "opening overwrote it");
	cr_expect_null(in.target);
	*op = saved;
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	op = in.start + 33;
	saved = *op;
	*op = 0xcc;
	cr_expect_neq(sc_pinline_restore(&obj, &in), 0);
	cr_expect_eq(*op, 0xcc, "restoring overwrote it");
	*op = saved;
	cr_expect_eq(sc_pinline_restore(&obj, &in), 0);
	cr_expect_eq(sc_parch_inline_dest(in.start, 1), in.thunk);
}

/* Given up on for good (closed): the site's first instruction the
 * `jmp` to its slow path again, one word written, the rest of the site
 * as it was; sealing (restore) puts the store's operands back to zero
 * behind it. A site that never opened is bypassed as compiled. */
Test(promote_inline, bypass_jumps_to_the_slow_path_and_restore_undoes_it)
{
	struct pinline in;
	uint8_t compiled[SC_X86_INLINE_LEN], opened[SC_X86_INLINE_LEN];
	lay_out(3);
	memcpy(compiled, code + SITE, sizeof compiled);
	cr_assert_eq(sc_pinline_verify(&obj, code + SLOW, 3, code + THUNK, &in),
		     1);
	cr_assert_eq(sc_pinline_bypass(&obj, &in), 0);
	cr_expect_eq(nev, 0, "a site as compiled bypassed again");
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	cr_assert_eq(sc_pinline_set(&obj, &in, NULL), 0);
	memcpy(opened, code + SITE, sizeof opened);
	int before = nev;
	cr_assert_eq(sc_pinline_bypass(&obj, &in), 0);
	cr_expect_eq(nev, before + 1, "%d writes", nev - before);
	int32_t d;
	memcpy(&d, in.start + 1, 4);
	cr_expect(in.start[0] == 0xe9 && in.start + 5 + d == code + SLOW,
		  "not a jmp to the slow path");
	cr_expect_eq(memcmp(in.start + 5, opened + 5, sizeof opened - 5), 0,
		     "bytes past the jmp changed");
	cr_expect_eq(sc_pinline_bypass(&obj, &in), 0);
	cr_expect_eq(nev, before + 1, "bypassed twice");
	cr_assert_eq(sc_pinline_restore(&obj, &in), 0);
	cr_expect_eq(memcmp(in.start, compiled, sizeof compiled), 0,
		     "not as compiled after restore");
}

/* Open, or its first bytes changed behind it (a breakpoint): nothing
 * written. Opening a bypassed site writes its store back first. */
Test(promote_inline, bypass_refuses_an_open_or_changed_site)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	int before = nev;
	cr_expect_eq(sc_pinline_bypass(&obj, &in), -EBUSY);
	cr_expect_eq(nev, before, "an open site bypassed");
	cr_assert_eq(sc_pinline_set(&obj, &in, NULL), 0);
	in.start[0] = 0xcc;
	before = nev;
	cr_expect_eq(sc_pinline_bypass(&obj, &in), -EBUSY);
	cr_expect_eq(nev, before, "a breakpoint overwritten");
	in.start[0] = store_head[0];
	cr_assert_eq(sc_pinline_bypass(&obj, &in), 0);
	/* a breakpoint on the bypassed site's `jmp`: opening refuses */
	in.start[0] = 0xcc;
	cr_expect_neq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect_eq(in.start[0], 0xcc, "a breakpoint overwritten");
	in.start[0] = 0xe9;
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect(is_store_of(in.start, in.desc), "its store not back");
	cr_expect_eq(sc_parch_inline_dest(in.start, 0), code + T2);
}

/* A breakpoint behind the `jmp` of a site bypassed after it was open
 * (in the store's operands, which disassemble as instructions there):
 * opening again finds them changed and writes nothing (a review found
 * the store made live with the breakpoint byte in its address). */
Test(promote_inline, reopening_checks_the_store_behind_its_jump)
{
	struct pinline in;
	lay_out(0);
	cr_assert_eq(verify(&in), 1);
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T1), 0);
	cr_assert_eq(sc_pinline_set(&obj, &in, NULL), 0);
	cr_assert_eq(sc_pinline_bypass(&obj, &in), 0);
	uint8_t *op = in.start + 6, saved = *op;
	*op = 0xcc;
	int before = nev;
	cr_expect_eq(sc_pinline_set(&obj, &in, code + T2), -EBUSY);
	cr_expect_eq(nev, before, "written over a changed operand");
	cr_expect_eq(in.start[0], 0xe9, "the store made live");
	*op = saved;
	cr_assert_eq(sc_pinline_set(&obj, &in, code + T2), 0);
	cr_expect(is_store_of(in.start, in.desc));
}
