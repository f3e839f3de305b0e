/*
 * Promotion of indirect calls (runtime/promote*.c, docs/PATCHING.md
 * "Promoted sites"), on the fixture's plugin-shaped sites and thunks
 * (fixture_promote_x86_64.S):
 *
 *  - the thunk checker accepts exactly the plugin's bytes, for every
 *    register, and refuses any other byte in its fixed parts (and a
 *    sample call landing outside the object);
 *  - stub semantics: for every register and 1..16 targets, a call through
 *    a site pointed at the stub reaches each target when the register
 *    holds it and the thunk (the retpoline) for any other value; each
 *    stub instruction, decoded by Zydis (an oracle independent of the
 *    encoder), is the documented compare, branch or jump;
 *  - site transitions thunk -> stub -> other stub -> stub -> thunk at
 *    every offset a site may have in its word: each one CAS of the
 *    aligned word, changing the rel32 only; stubs never change after
 *    they are made executable (a thread parked at any instruction
 *    boundary of one resumes in the same bytes), pages are never
 *    writable and executable;
 *  - threads calling through a site while it is re-targeted get the
 *    result of `call *%reg` every time;
 *  - a tail site's slow stub samples (the thread's tick counts down, the
 *    sampler runs) and behaves as `jmp *%reg`, also as a stub's miss;
 *  - registering a table: good records taken (thunks sampling, the tail
 *    site on its slow stub), bad ones refused and left as they are;
 *  - a given-up site of a promote-plain unit (thunk ending in `jmp
 *    *%reg`): its own `jmp *%reg` stub, for every register decoded by
 *    Zydis; reached in one CAS at every offset (and by threads calling
 *    while the site moves through it), immutable and `r-xp` (the
 *    fallback when the in-place form cannot be written); a retpoline
 *    unit's given-up site stays on its retpoline;
 *  - the in-place given-up form (NOP + `call *%reg` / `jmp *%reg` in the
 *    site's own five bytes, terminal): for every register, call and
 *    jump, decoded by Zydis, a notrack thunk's jump kept notrack; one
 *    CAS of the word expecting its old bytes, at every offset, calls
 *    right; a site changed before (a breakpoint in it) or during the
 *    write (a byte of its word) left alone; a call and a tail site
 *    registered, learning until given up, in place with no stub memory,
 *    sealing writing neither, nothing writing them afterwards;
 *  - relayout (docs/PATCHING.md "Stub layout"): copies packed from a
 *    fresh page hottest first, a chain reordered by its hits, counts
 *    carried over and not doubled, old stubs unchanged, a thread calling
 *    all along; none when it would take more than half of the stub
 *    memory left; a site under a breakpoint left alone.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <Zydis/Zydis.h>

#include "proc_maps.h"
#include "staticcall.h"
#include "promote.h"
#include "text_ops_log.h"
#include "staticcall/promote.h"

#define NREGS 15
static const char *const reg_names[NREGS] = {
	"rax", "rcx", "rdx", "rbx", "rbp", "rsi", "rdi", "r8",
	"r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};
static const int reg_nums[NREGS] = { 0, 1,  2,	3,  5,	6,  7, 8,
				     9, 10, 11, 12, 13, 14, 15 };

/* clang-format off */
#define FIX(r)                                                      \
	extern uint8_t pt_thunk_##r[], pt_site_##r##_0[];           \
	int pt_via_##r##_0(void *value);
FIX(rax) FIX(rcx) FIX(rdx) FIX(rbx) FIX(rbp) FIX(rsi) FIX(rdi) FIX(r8)
FIX(r9) FIX(r10) FIX(r11) FIX(r12) FIX(r13) FIX(r14) FIX(r15)
extern uint8_t pt_site_rax_1[], pt_site_rax_2[], pt_site_rax_3[];
/* clang-format on */
int pt_via_rax_1(void *), pt_via_rax_2(void *), pt_via_rax_3(void *);
extern uint8_t pt_tail_site[];
int pt_tail_fn(void *value);
extern __thread int __staticcall_promote_tick;
extern uint8_t pt_t0[], pt_t1[], pt_t2[], pt_t3[], pt_miss[], pt_other[];
extern uint8_t pt_t4[], pt_t5[], pt_t6[], pt_t7[], pt_t8[], pt_t9[];
extern uint8_t pt_t10[], pt_t11[], pt_t12[], pt_t13[], pt_t14[], pt_t15[];

#define ROW(r)                                                \
	{                                                     \
		pt_thunk_##r, pt_site_##r##_0, pt_via_##r##_0 \
	}
static const struct {
	uint8_t *thunk, *site;
	int (*via)(void *);
} regs[NREGS] = { ROW(rax), ROW(rcx), ROW(rdx), ROW(rbx), ROW(rbp),
		  ROW(rsi), ROW(rdi), ROW(r8),	ROW(r9),  ROW(r10),
		  ROW(r11), ROW(r12), ROW(r13), ROW(r14), ROW(r15) };

/* a jump site's stub compares 16 */
static void *targets[SC_PROMOTE_MAX_TARGETS];
static struct sc_object obj;
static struct sc_execmem pool;
static uintptr_t lo, hi;

static void setup(void)
{
	void *t[16] = { pt_t0,	pt_t1,	pt_t2,	pt_t3, pt_t4,  pt_t5,
			pt_t6,	pt_t7,	pt_t8,	pt_t9, pt_t10, pt_t11,
			pt_t12, pt_t13, pt_t14, pt_t15 };
	_Static_assert(sizeof t == sizeof targets, "a target per slot");
	memcpy(targets, t, sizeof t);
	/* each flush's decisions moved at its end (the batch test widens
	 * the window) */
	sc_promote_batch_us = 0;
	/* no relayout but the relayout test's */
	sc_promote_relayout_ms = UINT64_MAX;
	if (obj.nsegs)
		return;
	cr_assert_eq(sc_object_locate(&obj, pt_t0), 0);
	lo = UINTPTR_MAX;
	for (int i = 0; i < obj.nsegs; i++)
		if (obj.segs[i].prot & PROT_EXEC) {
			lo = obj.segs[i].lo < lo ? obj.segs[i].lo : lo;
			hi = obj.segs[i].hi > hi ? obj.segs[i].hi : hi;
		}
	/* (a page per stub: 15 registers x 16 target counts, twice) */
	cr_assert_eq(sc_execmem_reserve(&pool, lo, hi, 4u << 20, sc_parch_reach,
					sc_parch_fill()),
		     0);
}

/* A given-up site's own `jmp *%reg` stub (promote-plain), notrack if
 * the thunk's jump is. */
static const uint8_t *make_jump(const uint8_t *thunk, int reg)
{
	size_t len = sc_parch_jump_stub_size();
	uint8_t buf[64];
	cr_assert(len >= 3 && len <= sizeof buf);
	uint8_t *at = sc_execmem_room(&pool, len);
	cr_assert_not_null(at);
	cr_assert(sc_parch_jump_stub_encode(thunk, reg, buf));
	memcpy(at, buf, len);
	cr_assert_eq(sc_execmem_seal(&pool), 0);
	return at;
}

static const uint8_t *make_stub(int reg, int n, uint8_t *miss)
{
	size_t len = sc_parch_stub_size(n);
	uint8_t buf[SC_PSTUB_MAX];
	cr_assert(len <= sizeof buf);
	uint8_t *at = sc_execmem_room(&pool, len);
	cr_assert_not_null(at);
	cr_assert(sc_parch_stub_encode(at, reg, targets, n, miss, buf));
	memcpy(at, buf, len);
	cr_assert_eq(sc_execmem_seal(&pool), 0);
	return at;
}

Test(promote, thunk_checker_takes_exactly_the_plugins_bytes)
{
	setup();
	const void *fn = sc_parch_sample_fn();
	for (int i = 0; i < NREGS; i++) {
		const uint8_t *t = regs[i].thunk;
		cr_assert(sc_parch_thunk_ok(t, reg_nums[i], lo, hi, fn),
			  "thunk of %s refused", reg_names[i]);
		cr_assert(!sc_parch_thunk_ok(t, reg_nums[(i + 1) % NREGS], lo,
					     hi, fn),
			  "thunk of %s taken for another register",
			  reg_names[i]);
		/* Any other byte in a fixed part: refused (a copy, its
		 * call's target unchecked). */
		int r = reg_nums[i], end = r >= 8 ? 71 : 69;
		int call = r >= 8 ? 54 : 53;
		for (int b = 0; b < end; b++) {
			if ((b >= 36 && b < 40) || (b > call && b < call + 5))
				continue; /* relocated fields */
			uint8_t copy[SC_X86_THUNK_LEN]
				__attribute__((aligned(16)));
			memcpy(copy, t, sizeof copy);
			cr_assert(
				sc_parch_thunk_ok(copy, r, 0, UINTPTR_MAX, fn));
			copy[b] ^= 0x41;
			cr_assert(!sc_parch_thunk_ok(copy, r, 0, UINTPTR_MAX,
						     fn),
				  "%s: byte %d changed, still taken",
				  reg_names[i], b);
		}
	}
}

/* promote-plain's thunk: `jmp *%reg` instead of the retpoline, int3 up
 * to the same sample block: taken for its register only. */
Test(promote, thunk_checker_takes_the_plain_jump_form)
{
	setup();
	const void *fn = sc_parch_sample_fn();
	for (int i = 0; i < NREGS; i++) {
		int r = reg_nums[i];
		uint8_t copy[SC_X86_THUNK_LEN] __attribute__((aligned(16)));
		memcpy(copy, regs[i].thunk, sizeof copy);
		memset(copy + 8, 0xcc, 24);
		uint8_t *p = copy + 8;
		if (r >= 8)
			*p++ = 0x41;
		*p++ = 0xff;
		*p = (uint8_t)(0xe0 | (r & 7));
		cr_assert(sc_parch_thunk_ok(copy, r, 0, UINTPTR_MAX, fn),
			  "plain thunk of %s refused", reg_names[i]);
		cr_assert(!sc_parch_thunk_ok(copy, reg_nums[(i + 1) % NREGS], 0,
					     UINTPTR_MAX, fn));
		*p ^= 0x10; /* call *%reg: not the form */
		cr_assert(!sc_parch_thunk_ok(copy, r, 0, UINTPTR_MAX, fn));
		*p ^= 0x10;
		copy[31] = 0x90;
		cr_assert(!sc_parch_thunk_ok(copy, r, 0, UINTPTR_MAX, fn));
	}
}

/* Zydis's reading of a stub: n (cmp slot_k(%rip),%reg; je t_k), then
 * jmp miss; every slot holding t_k. */
static void check_stub_decodes(const uint8_t *s, int reg, int n,
			       const uint8_t *miss)
{
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	const uint8_t *p = s;
	for (int k = 0; k <= n; k++) {
		ZydisDecodedInstruction in;
		cr_assert(ZYAN_SUCCESS(
			ZydisDecoderDecodeInstruction(&dec, NULL, p, 32, &in)));
		if (k == n) {
			cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_JMP);
			cr_assert_eq(p + in.length + in.raw.imm[0].value.s,
				     miss);
			return;
		}
		cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_CMP);
		cr_assert_eq(in.raw.modrm.mod, 0);
		cr_assert_eq(in.raw.modrm.rm, 5, "rip-relative");
		cr_assert_eq(in.raw.modrm.reg | in.raw.rex.R << 3, reg);
		cr_assert(in.raw.rex.W);
		cr_assert_eq(in.opcode, 0x3b, "cmp reg, mem: reg - mem");
		const uint8_t *slot = p + in.length + in.raw.disp.value;
		void *v;
		memcpy(&v, slot, 8);
		cr_assert_eq(v, targets[k]);
		p += in.length;
		cr_assert(ZYAN_SUCCESS(
			ZydisDecoderDecodeInstruction(&dec, NULL, p, 32, &in)));
		cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_JZ);
		cr_assert_eq(p + in.length + in.raw.imm[0].value.s,
			     (uint8_t *)targets[k]);
		p += in.length;
	}
}

static void expect_calls(int (*via)(void *), int n)
{
	for (int k = 0; k < SC_PROMOTE_MAX_TARGETS; k++)
		cr_assert_eq(via(targets[k]), 10 + k, "target %d of %d", k, n);
	cr_assert_eq(via(pt_miss), 1000);
	cr_assert_eq(via(pt_other), 2000);
}

/* Call via(arg), which must return want, until the site at `site` is in
 * `state` (at most 4,000,000 calls): 1 if it got there. */
static int call_until_state(int (*via)(void *), void *arg, int want,
			    const void *site, int state)
{
	struct static_call_promote_site_info si[16];
	for (long i = 0; i < 4000000; i++) {
		cr_assert_eq(via(arg), want);
		if (i % 1000)
			continue;
		int m = static_call_promote_sites(si, 16);
		for (int s = 0; s < m && s < 16; s++)
			if (si[s].address == site && si[s].state == state)
				return 1;
	}
	return 0;
}

Test(promote, stub_is_jmp_reg_for_every_value_register_and_target_count)
{
	setup();
	for (int i = 0; i < NREGS; i++) {
		expect_calls(regs[i].via, 0); /* on its thunk */
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			const uint8_t *s =
				make_stub(reg_nums[i], n, regs[i].thunk);
			check_stub_decodes(s, reg_nums[i], n, regs[i].thunk);
			cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0,
							 regs[i].thunk, s),
				     0);
			expect_calls(regs[i].via, n);
			cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0,
							 s, regs[i].thunk),
				     0);
		}
	}
}

/* Every write of a site's bytes expects, in the word its CAS replaces,
 * the bytes its caller checked: bytes that changed since (a breakpoint
 * set between the check and the write) fail it with -EBUSY and are not
 * overwritten. */
Test(promote, a_write_expects_the_bytes_its_caller_checked)
{
	setup();
	uint8_t *at = regs[0].site;
	const uint8_t *s = make_stub(reg_nums[0], 1, regs[0].thunk);
	uint8_t seen[SC_PSITE_LEN], stale[SC_PSITE_LEN], to[SC_PSITE_LEN];
	sc_promote_read_bytes(at, seen, SC_PSITE_LEN);
	cr_assert_eq(memcmp(seen, at, SC_PSITE_LEN), 0);
	memcpy(stale, seen, SC_PSITE_LEN);
	stale[0] = 0xcc; /* what the caller saw is not there any more */
	cr_assert(sc_parch_site_encode(at, 0, s, to));
	cr_assert_eq(sc_promote_write_bytes(&obj, at, stale, to, SC_PSITE_LEN),
		     -EBUSY);
	cr_assert_eq(memcmp(at, seen, SC_PSITE_LEN), 0, "written anyway");
	expect_calls(regs[0].via, 0);
	cr_assert_eq(sc_promote_write_bytes(&obj, at, seen, to, SC_PSITE_LEN),
		     0);
	expect_calls(regs[0].via, 1);
	cr_assert_eq(sc_promote_retarget(&obj, at, 0, s, regs[0].thunk), 0);
	expect_calls(regs[0].via, 0);
}

/* Counting stubs (STATICCALL_PROMOTE_COUNT): the same `jmp *%reg` for
 * every value, each hit adding one to its target's counter and each miss
 * to the last, in a read-write page of their own; the stub read-only. */
Test(promote, counting_stub_is_jmp_reg_and_counts_hits_and_misses)
{
	setup();
	static struct sc_execmem cpool;
	static uint64_t *cnt;
	if (!cnt) {
		cr_assert_eq(sc_execmem_reserve(&cpool, lo, hi, 1u << 16,
						sc_parch_reach, 0),
			     0);
		cnt = sc_execmem_data_page(&cpool);
		cr_assert_not_null(cnt);
	}
	for (int i = 0; i < NREGS; i++)
		for (int n = 1; n <= SC_PROMOTE_MAX_TARGETS; n++) {
			size_t len = sc_parch_counted_stub_size(n);
			uint8_t buf[SC_PSTUB_MAX];
			cr_assert(len > sc_parch_stub_size(n) &&
				  len <= sizeof buf);
			memset(cnt, 0, (size_t)(n + 1) * sizeof *cnt);
			uint8_t *at = sc_execmem_room(&pool, len);
			cr_assert_not_null(at);
			cr_assert(sc_parch_counted_stub_encode(
				at, reg_nums[i], targets, n, regs[i].thunk, cnt,
				buf));
			memcpy(at, buf, len);
			cr_assert_eq(sc_execmem_seal(&pool), 0);
			cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0,
							 regs[i].thunk, at),
				     0);
			expect_calls(regs[i].via, n);
			for (int k = 0; k < n; k++)
				cr_assert_eq(cnt[k], 1,
					     "%s, %d targets: hits %d",
					     reg_names[i], n, k);
			cr_assert_eq(cnt[n], SC_PROMOTE_MAX_TARGETS - n + 2,
				     "%s, %d targets: misses", reg_names[i], n);
			/* a counter stops at HITS_MAX (one past: another
			 * thread's increment at that moment), the call
			 * still right */
			for (int k = 0; k < n; k++)
				cnt[k] = STATIC_CALL_PROMOTE_HITS_MAX - 1 +
					 (uint64_t)(k & 1) * 2;
			expect_calls(regs[i].via, n);
			expect_calls(regs[i].via, n);
			for (int k = 0; k < n; k++)
				cr_assert_eq(cnt[k],
					     STATIC_CALL_PROMOTE_HITS_MAX +
						     (uint64_t)(k & 1),
					     "%s, %d targets: hits %d past "
					     "the stop",
					     reg_names[i], n, k);
			cr_assert_eq(cnt[n],
				     3 * (SC_PROMOTE_MAX_TARGETS - n + 2),
				     "%s, %d targets: misses", reg_names[i], n);
			char perms[5];
			perms_of(at, perms);
			cr_assert_str_eq(perms, "r-xp");
			perms_of(cnt, perms);
			cr_assert_str_eq(perms, "rw-p");
			cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0,
							 at, regs[i].thunk),
				     0);
			/* the next stub counts into the same (zeroed) counters:
			 * 15 registers x 16 stubs of up to 17 counters would not
			 * fit the page; this one is never reached again */
		}
}

/* Re-target the call site s (at offset off in its word) from `from` to
 * `to` with the text writer's log on: one CAS of its aligned word, no byte
 * but the rel32's changed, the site then on `to`, calls through it
 * (via) right for every value. */
static void retarget_one_word(uint8_t *s, int off, const uint8_t *from,
			      const uint8_t *to, int (*via)(void *))
{
	text_ops_ncas = 0;
	cr_assert_eq(sc_promote_retarget(&obj, s, 0, from, to), 0);
	cr_assert_eq(text_ops_ncas, 1, "one word write");
	const struct text_ops_cas *w = &text_ops_log[0];
	cr_assert_eq((uintptr_t)w->word, (uintptr_t)s & ~(uintptr_t)7);
	for (int k = 0; k < 8; k++)
		if (k < off + 1 || k > off + 4)
			cr_assert_eq((uint8_t)(w->expect >> 8 * k),
				     (uint8_t)(w->value >> 8 * k),
				     "byte %d changed", k);
	cr_assert_eq(sc_parch_site_dest(s, 0), to);
	expect_calls(via, 0);
}

Test(promote, transitions_at_every_offset_are_one_word_and_stubs_immutable)
{
	setup();
	uint8_t *sites[4] = { pt_site_rax_0, pt_site_rax_1, pt_site_rax_2,
			      pt_site_rax_3 };
	int (*via[4])(void *) = { pt_via_rax_0, pt_via_rax_1, pt_via_rax_2,
				  pt_via_rax_3 };
	const uint8_t *a = make_stub(0, 1, pt_thunk_rax);
	const uint8_t *b = make_stub(0, 3, pt_thunk_rax);
	char perm[5];
	perms_of(a, perm);
	cr_assert_str_eq(perm, "r-xp");
	/* A page being filled is writable, not executable. */
	uint8_t *open = sc_execmem_room(&pool, 64);
	perms_of(open, perm);
	cr_assert_str_eq(perm, "rw-p");
	cr_assert_eq(sc_execmem_seal(&pool), 0);
	static uint8_t snap[2][256];
	memcpy(snap[0], a, 256);
	memcpy(snap[1], b, 256);

	text_ops_log_on();
	for (int off = 0; off < 4; off++) {
		uint8_t *s = sites[off];
		cr_assert_eq((uintptr_t)s & 7, (uintptr_t)off);
		const uint8_t *path[] = { pt_thunk_rax, a, b, a, pt_thunk_rax };
		for (int step = 0; step + 1 < 5; step++) {
			retarget_one_word(s, off, path[step], path[step + 1],
					  via[off]);
		}
		/* A site not where the runtime left it: not written. */
		text_ops_ncas = 0;
		cr_assert_eq(sc_promote_retarget(&obj, s, 0, a, b), -EBUSY);
		cr_assert_eq(text_ops_ncas, 0);
	}
	text_ops_log_off();
	cr_assert_eq(memcmp(snap[0], a, 256), 0, "stub changed");
	cr_assert_eq(memcmp(snap[1], b, 256), 0, "stub changed");
	perms_of(a, perm);
	cr_assert_str_eq(perm, "r-xp");
}

static volatile int stop;
static int started; /* callers running (valgrind starts threads late) */
static void *caller(void *arg)
{
	long errors = 0, calls = 0;
	void *vals[6] = { pt_t0, pt_t1, pt_t2, pt_t3, pt_miss, pt_other };
	int want[6] = { 10, 11, 12, 13, 1000, 2000 };
	unsigned x = (unsigned)(uintptr_t)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	do {
		x = x * 1103515245u + 12345u;
		int k = (x >> 16) % 6;
		errors += pt_via_rax_1(vals[k]) != want[k];
		calls++;
	} while (!stop);
	return (void *)(errors ? -1 : calls);
}

Test(promote, threads_call_through_a_site_while_it_is_retargeted)
{
	setup();
	const uint8_t *a = make_stub(0, 1, pt_thunk_rax);
	const uint8_t *b = make_stub(0, 2, pt_thunk_rax);
	const uint8_t *j = make_jump(pt_thunk_rax, 0); /* given up, sealed */
	pthread_t th[4];
	stop = 0;
	started = 0;
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, caller, (void *)(i + 1));
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 4)
		sched_yield();
	const uint8_t *path[] = { pt_thunk_rax, a, b, pt_thunk_rax, j,
				  pt_thunk_rax, b, a };
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long flips = 0;
	do {
		int i = flips % 8;
		cr_assert_eq(sc_promote_retarget(&obj, pt_site_rax_1, 0,
						 path[i], path[(i + 1) % 8]),
			     0);
		flips++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
				 (t.tv_nsec - t0.tv_nsec) <
			 700000000L ||
		 flips <= 100); /* (slow under valgrind: at least 100) */
	stop = 1;
	/* leave it on its thunk */
	while (flips % 8 != 0) {
		int i = flips % 8;
		sc_promote_retarget(&obj, pt_site_rax_1, 0, path[i],
				    path[(i + 1) % 8]);
		flips++;
	}
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		cr_assert_neq((long)r, -1L, "a call got a wrong result");
		cr_assert_gt((long)r, 0L);
	}
}

Test(promote, thunk_whose_sample_call_leaves_the_object_is_refused)
{
	setup();
	/* the call lands in the object's code (its PLT) or on the runtime's
	 * entry: with a range that excludes both, refused */
	cr_assert(!sc_parch_thunk_ok(pt_thunk_rax, 0, lo, lo + 1, NULL));
}

/* Sample blocks of the earlier forms: `add $16,%rsp` right after the
 * call (the register not taken back from the stack), or `pop %reg; add
 * $8,%rsp` without %r10 and %r11 kept around the call (a lazy PLT
 * resolver clobbered a static chain, a review found): their sampler's
 * frame is not this runtime's, so every register's is refused. */
Test(promote, thunks_of_the_earlier_forms_are_refused)
{
	setup();
	const struct {
		const uint8_t *thunk;
		int reg;
	} cases[] = { { pt_thunk_rax, 0 },
		      { pt_thunk_r9, 9 },
		      { pt_thunk_r10, 10 },
		      { pt_thunk_r11, 11 } };
	for (int i = 0; i < 4; i++) {
		int r = cases[i].reg;
		for (int form = 0; form < 2; form++) {
			uint8_t t[SC_X86_THUNK_LEN];
			memcpy(t, cases[i].thunk, sizeof t);
			/* (a copy: its call lands anywhere, any callee
			 * passes) */
			cr_assert(sc_parch_thunk_ok(t, r, 0, UINTPTR_MAX,
						    NULL));
			uint8_t old[40], *p = old;
			const uint8_t *b = t + SC_X86_THUNK_SAMPLE;
			memcpy(p, b, 14), p += 14; /* up to the jnz */
			*p++ = 0x6a, *p++ = (uint8_t)r;
			if (r >= 8)
				*p++ = 0x41;
			*p++ = (uint8_t)(0x50 + (r & 7));
			*p++ = 0xe8, p += 4; /* the call (any target) */
			if (form) {
				if (r >= 8)
					*p++ = 0x41;
				*p++ = (uint8_t)(0x58 + (r & 7));
			}
			const uint8_t add[4] = { 0x48, 0x83, 0xc4,
						 form ? 0x08 : 0x10 };
			memcpy(p, add, 4), p += 4;
			size_t at = SC_X86_THUNK_SAMPLE + (size_t)(p - old);
			*p++ = 0xeb;
			*p++ = (uint8_t)(SC_X86_THUNK_RETPOLINE - (at + 2));
			memset(t + SC_X86_THUNK_SAMPLE, 0xcc,
			       sizeof t - SC_X86_THUNK_SAMPLE);
			memcpy(t + SC_X86_THUNK_SAMPLE, old,
			       (size_t)(p - old));
			cr_assert(!sc_parch_thunk_ok(t, r, 0, UINTPTR_MAX,
						     NULL),
				  "register %d, form %d taken", r, form);
		}
	}
}

/* A tail site's slow stub (a jump site's is the same: it keeps %r10 and
 * %r11 around the sampler's call) samples and behaves as the thunk. */
Test(promote, tail_site_slow_stub_samples_and_keeps_r10_r11)
{
	setup();
	size_t len = sc_parch_slow_size();
	uint8_t buf[64];
	uint8_t *slow = sc_execmem_room(&pool, len);
	cr_assert_not_null(slow);
	cr_assert(sc_parch_slow_encode(slow, 0, pt_tail_site + 5, pt_thunk_rax,
				       buf));
	/* after decl %fs:tick, jnz and the site's address pushed: push
	 * %r10; push %r11 (the sampler's frame) */
	static const uint8_t save[] = { 0x41, 0x52, 0x41, 0x53 };
	cr_assert(!memcmp(buf + 29, save, 4));
	memcpy(slow, buf, len);
	cr_assert_eq(sc_execmem_seal(&pool), 0);
	cr_assert_eq(sc_promote_retarget(&obj, pt_tail_site, 1, pt_thunk_rax,
					 slow),
		     0);
	struct static_call_promote_stats st0, st1;
	static_call_promote_stats(&st0);
	int tick0 = __staticcall_promote_tick, moved = 0;
	for (int i = 0; i < 4000; i++) {
		expect_calls(pt_tail_fn, 0);
		moved |= __staticcall_promote_tick != tick0;
	}
	cr_assert(moved, "the slow stub never counted");
	static_call_promote_stats(&st1);
	cr_assert_gt(st1.samples, st0.samples, "no sample reached the runtime");
	/* promoted, its misses go to the slow stub */
	uint8_t *stub = (uint8_t *)make_stub(0, 2, slow);
	cr_assert_eq(sc_promote_retarget(&obj, pt_tail_site, 1, slow, stub), 0);
	for (int i = 0; i < 100; i++)
		expect_calls(pt_tail_fn, 2);
	cr_assert_eq(sc_promote_retarget(&obj, pt_tail_site, 1, stub, slow), 0);
	cr_assert_eq(sc_promote_retarget(&obj, pt_tail_site, 1, slow,
					 pt_thunk_rax),
		     0);
	expect_calls(pt_tail_fn, 0);
}

extern const char __start_pt_promote_table[], __stop_pt_promote_table[];
void __staticcall_promote_register(const void *, const void *);
void __staticcall_promote_unregister(const void *, const void *);
extern uint8_t pt_site_rdx_0[], pt_site_rbx_0[];

Test(promote, registration_takes_good_records_and_refuses_bad_ones)
{
	setup();
	uint8_t before[5][8];
	uint8_t *bad[] = { pt_site_rax_1, pt_t0, pt_site_rdx_0, pt_site_rbx_0,
			   pt_thunk_rbx };
	for (int i = 0; i < 5; i++)
		memcpy(before[i], bad[i], 8);
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_eq(st.objects, 1);
	cr_assert_eq(st.sites, 4, "sites %zu", st.sites);
	cr_assert_eq(st.rejected, 6, "rejected %zu", st.rejected);
	cr_assert_eq(st.tail_sites, 1);
	cr_assert_eq(st.tail_unlearned, 0);
	uint64_t slot;
	memcpy(&slot, pt_thunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(1), "rax thunk not sampling");
	memcpy(&slot, pt_thunk_rcx, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(1), "rcx thunk not sampling");
	cr_assert_neq(sc_parch_site_dest(pt_tail_site, 1), pt_thunk_rax,
		      "tail site not on its slow stub");
	for (int i = 0; i < 5; i++)
		cr_assert_eq(memcmp(before[i], bad[i], 8), 0,
			     "a refused record's code changed");
	/* everything still behaves as compiled, while it samples */
	for (int i = 0; i < 3000; i++) {
		expect_calls(pt_via_rax_0, 0);
		expect_calls(pt_via_rcx_0, 0);
		expect_calls(pt_tail_fn, 0);
	}
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_eq(st.objects, 0);
	expect_calls(pt_via_rax_0, 0);
	expect_calls(pt_tail_fn, 0);
}

/* promote-plain's given-up form: for every register, a stub that is
 * `jmp *%reg` and traps after it (Zydis's reading); a site on it behaves
 * as `call *%reg` for every value. Only a plain thunk takes it. */
Test(promote, jump_stub_is_jmp_reg_for_every_register)
{
	setup();
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	uint8_t buf[64];
	cr_assert(!sc_parch_jump_stub_encode(pt_thunk_rax, 4, buf),
		  "rsp taken");
	cr_assert(!sc_parch_jump_stub_encode(pt_thunk_rax, 16, buf));
	for (int i = 0; i < NREGS; i++) {
		int r = reg_nums[i];
		cr_assert(!sc_parch_thunk_plain(regs[i].thunk, r),
			  "%s: a retpoline thunk taken as plain", reg_names[i]);
		const uint8_t *j = make_jump(regs[i].thunk, r);
		ZydisDecodedInstruction in;
		ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
		cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			&dec, j, sc_parch_jump_stub_size(), &in, op)));
		cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_JMP);
		cr_assert_eq(op[0].type, ZYDIS_OPERAND_TYPE_REGISTER);
		cr_assert_eq(ZydisRegisterGetId(op[0].reg.value), r, "%s",
			     reg_names[i]);
		cr_assert_eq(ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64,
						   op[0].reg.value),
			     64);
		for (size_t b = in.length; b < sc_parch_jump_stub_size(); b++)
			cr_assert_eq(j[b], 0xcc, "byte %zu not int3", b);
		char perms[5];
		perms_of(j, perms);
		cr_assert_str_eq(perms, "r-xp");
		cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0,
						 regs[i].thunk, j),
			     0);
		expect_calls(regs[i].via, 0);
		cr_assert_eq(sc_promote_retarget(&obj, regs[i].site, 0, j,
						 regs[i].thunk),
			     0);
	}
	extern uint8_t pt_pthunk_rax[];
	cr_assert(sc_parch_thunk_plain(pt_pthunk_rax, 0));
	cr_assert(!sc_parch_thunk_plain(pt_pthunk_rax, 1));
}

/* The given-up form's transitions: thunk -> jump stub (given up while
 * learning), thunk -> stub -> thunk -> jump stub (demoted, then given
 * up), jump stub -> thunk (sealed), at every offset in the word: one CAS
 * each, only the rel32 changing, the jump stub never written. A thread
 * parked at the site's start or its end (the return address) finds the
 * same boundaries in every form; one parked in the jump stub (at its one
 * instruction) resumes in the same bytes. */
Test(promote, given_up_transitions_at_every_offset_are_one_word)
{
	setup();
	uint8_t *sites[4] = { pt_site_rax_0, pt_site_rax_1, pt_site_rax_2,
			      pt_site_rax_3 };
	int (*via[4])(void *) = { pt_via_rax_0, pt_via_rax_1, pt_via_rax_2,
				  pt_via_rax_3 };
	const uint8_t *a = make_stub(0, 2, pt_thunk_rax);
	const uint8_t *j = make_jump(pt_thunk_rax, 0);
	uint8_t snap[64];
	memcpy(snap, j, sc_parch_jump_stub_size());
	text_ops_log_on();
	for (int off = 0; off < 4; off++) {
		uint8_t *s = sites[off];
		const uint8_t *path[] = { pt_thunk_rax, j, pt_thunk_rax, a,
					  pt_thunk_rax, j, pt_thunk_rax };
		for (int step = 0; step + 1 < 7; step++) {
			retarget_one_word(s, off, path[step], path[step + 1],
					  via[off]);
		}
	}
	text_ops_log_off();
	cr_assert_eq(memcmp(snap, j, sc_parch_jump_stub_size()), 0,
		     "jump stub changed");
}

extern uint8_t pt_pthunk_rax[], pt_psite_rax[], pt_ptail_site[];
int pt_pvia_rax(void *), pt_ptail_fn(void *);
extern const char __start_pt_promote_plain_table[],
	__stop_pt_promote_plain_table[];

/* Call fn with 18 targets in turn (no stub's 16 cover 90%: megamorphic)
 * until the sites at[0..n) are all given up; each call checked. */
static void call_until_given_up(int (*const *fn)(void *), uint8_t *const *at,
				int n)
{
	enum { NV = SC_PROMOTE_MAX_TARGETS + 2 };
	void *vals[NV] = { [NV - 2] = pt_miss, [NV - 1] = pt_other };
	int want[NV] = { [NV - 2] = 1000, [NV - 1] = 2000 };
	for (int k = 0; k < SC_PROMOTE_MAX_TARGETS; k++) {
		vals[k] = targets[k];
		want[k] = 10 + k;
	}
	struct static_call_promote_site_info si[16];
	for (long i = 0; i < 2000000; i++) {
		for (int k = 0; k < n; k++)
			cr_assert_eq(fn[k](vals[i % NV]), want[i % NV]);
		if (i % 1000)
			continue;
		int m = static_call_promote_sites(si, 16), left = n;
		for (int s = 0; s < m && s < 16; s++)
			for (int k = 0; k < n; k++)
				left -= si[s].address == at[k] &&
					si[s].state ==
						STATIC_CALL_PROMOTE_MEGAMORPHIC;
		if (!left)
			return;
	}
	int m = static_call_promote_sites(si, 16);
	for (int s = 0; s < m && s < 16; s++)
		fprintf(stderr, "site %p state %d samples %lu\n", si[s].address,
			si[s].state, si[s].samples);
	cr_assert_fail("not given up on");
}

/* A promote-plain thunk for register r in t (64 bytes, a copy of the
 * retpoline thunk with its retpoline replaced by `[3E] [41] FF E0+r`). */
static void plain_thunk_copy(uint8_t *t, int i, int notrack)
{
	int r = reg_nums[i];
	memcpy(t, regs[i].thunk, 64);
	memset(t + 8, 0xcc, 24);
	uint8_t *p = t + 8;
	if (notrack)
		*p++ = 0x3e;
	if (r >= 8)
		*p++ = 0x41;
	*p++ = 0xff;
	*p = (uint8_t)(0xe0 | (r & 7));
}

/* Zydis's reading of in-place bytes b: one NOP, then `call *%reg` (tail:
 * `jmp *%reg`, notrack when asked), the second instruction ending at
 * byte 5 (a call's return address is the site's). */
static void check_in_place_decodes(const uint8_t *b, int reg, int tail,
				   int notrack)
{
	ZydisDecoder dec;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
	cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, b, 5, &in, op)));
	cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_NOP, "reg %d: no NOP first",
		     reg);
	size_t nop = in.length;
	cr_assert(nop >= 1 && nop <= 3);
	cr_assert(ZYAN_SUCCESS(
		ZydisDecoderDecodeFull(&dec, b + nop, 5 - nop, &in, op)));
	cr_assert_eq(nop + in.length, 5, "reg %d: does not end at site+5", reg);
	cr_assert_eq(in.mnemonic,
		     tail ? ZYDIS_MNEMONIC_JMP : ZYDIS_MNEMONIC_CALL);
	cr_assert_eq(op[0].type, ZYDIS_OPERAND_TYPE_REGISTER);
	cr_assert_eq(ZydisRegisterGetId(op[0].reg.value), reg);
	cr_assert_eq(ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64,
					   op[0].reg.value),
		     64);
	cr_assert_eq(!!(in.attributes & ZYDIS_ATTRIB_HAS_NOTRACK), notrack,
		     "reg %d: notrack %d", reg, notrack);
}

/* The in-place form for every register, call and jump: Zydis reads a NOP
 * and the call or jump through the register, ending at site+5; a
 * notrack thunk's call and jump stay notrack;
 * a retpoline thunk and %rsp have none. Written to each register's site:
 * one CAS of its aligned word, expecting exactly the word as it was, no
 * byte outside the site changed; calls through it right for every value;
 * afterwards no re-targeting writes it. */
Test(promote, in_place_form_for_every_register_is_one_word_and_terminal)
{
	setup();
	uint8_t b[SC_PSITE_MAX];
	text_ops_log_on();
	for (int i = 0; i < NREGS; i++) {
		int r = reg_nums[i];
		uint8_t t[64] __attribute__((aligned(16)));
		cr_assert(!sc_parch_in_place_encode(regs[i].thunk, r, 0, b),
			  "%s: a retpoline thunk's site in place",
			  reg_names[i]);
		plain_thunk_copy(t, i, 0);
		cr_assert(sc_parch_thunk_plain(t, r));
		cr_assert(!sc_parch_in_place_encode(
			t, reg_nums[(i + 1) % NREGS], 0, b));
		for (int tail = 0; tail < 2; tail++) {
			cr_assert(sc_parch_in_place_encode(t, r, tail, b));
			check_in_place_decodes(b, r, tail, 0);
		}
		/* the `_nt_` twin (calls through `nocf_check` pointers):
		 * taken, its call and jump in place notrack, its jump stub
		 * notrack too */
		plain_thunk_copy(t, i, 1);
		cr_assert(sc_parch_thunk_plain(t, r), "%s: notrack twin",
			  reg_names[i]);
		for (int tail = 0; tail < 2; tail++) {
			cr_assert(sc_parch_in_place_encode(t, r, tail, b));
			check_in_place_decodes(b, r, tail, 1);
		}
		uint8_t js[64];
		cr_assert(sc_parch_jump_stub_encode(t, r, js));
		ZydisDecoder dec;
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
				 ZYDIS_STACK_WIDTH_64);
		ZydisDecodedInstruction in;
		ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
		cr_assert(ZYAN_SUCCESS(ZydisDecoderDecodeFull(
			&dec, js, sc_parch_jump_stub_size(), &in, op)));
		cr_assert_eq(in.mnemonic, ZYDIS_MNEMONIC_JMP);
		cr_assert(in.attributes & ZYDIS_ATTRIB_HAS_NOTRACK,
			  "%s: jump stub not notrack", reg_names[i]);
		cr_assert_eq(ZydisRegisterGetId(op[0].reg.value), r);

		plain_thunk_copy(t, i, 0);
		cr_assert(sc_parch_in_place_encode(t, r, 0, b));
		uint8_t *site = regs[i].site;
		uint64_t *word = (uint64_t *)((uintptr_t)site & ~(uintptr_t)7);
		uint64_t before = *word, want = before;
		memcpy((uint8_t *)&want + ((uintptr_t)site & 7), b, 5);
		text_ops_ncas = 0;
		cr_assert_eq(sc_promote_write_site(&obj, site, 0, regs[i].thunk,
						   b),
			     0);
		cr_assert_eq(text_ops_ncas, 1, "%s: one word write",
			     reg_names[i]);
		cr_assert_eq(text_ops_log[0].word, word);
		cr_assert_eq(text_ops_log[0].expect, before);
		cr_assert_eq(text_ops_log[0].value, want);
		cr_assert_eq(*word, want);
		expect_calls(regs[i].via, 0);
		/* terminal: a re-targeting finds no call to re-target */
		text_ops_ncas = 0;
		cr_assert_eq(sc_promote_retarget(&obj, site, 0, regs[i].thunk,
						 pt_t0),
			     -EBUSY);
		cr_assert_eq(text_ops_ncas, 0);
	}
	cr_assert(!sc_parch_in_place_encode(regs[0].thunk, 4, 0, b), "rsp");
	/* every offset in the word, and a tail site */
	uint8_t *sites[3] = { pt_site_rax_1, pt_site_rax_2, pt_site_rax_3 };
	int (*via[3])(void *) = { pt_via_rax_1, pt_via_rax_2, pt_via_rax_3 };
	for (int tail = 0; tail < 2; tail++) {
		cr_assert(sc_parch_in_place_encode(pt_pthunk_rax, 0, tail, b));
		for (int k = 0; k < (tail ? 1 : 3); k++) {
			uint8_t *s = tail ? pt_tail_site : sites[k];
			int off = (int)((uintptr_t)s & 7);
			text_ops_ncas = 0;
			cr_assert_eq(sc_promote_write_site(&obj, s, tail,
							   pt_thunk_rax, b),
				     0);
			cr_assert_eq(text_ops_ncas, 1);
			const struct text_ops_cas *w = &text_ops_log[0];
			for (int x = 0; x < 8; x++)
				if (x < off || x > off + 4)
					cr_assert_eq(
						(uint8_t)(w->expect >> 8 * x),
						(uint8_t)(w->value >> 8 * x),
						"byte %d changed", x);
			cr_assert_eq(memcmp(s, b, 5), 0);
			expect_calls(tail ? pt_tail_fn : via[k], 0);
		}
	}
	text_ops_log_off();
}

/* A debugger between the plan and the CAS: its int3 lands in the site's
 * word (one byte past the site) just before the write; the CAS, which
 * expects the word as read, must fail. */
static const struct sc_text_ops *real_ops;
static int int3_at = -1; /* byte of the word to break on, -1: none */
static int br_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	return real_ops->make_writable(real_ops->ctx, p, l, prot);
}
static int br_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	return real_ops->restore(real_ops->ctx, p, l, prot);
}
static int br_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	if (int3_at >= 0) {
		uint64_t cur = *w, hit = cur;
		((uint8_t *)&hit)[int3_at] = 0xcc;
		cr_assert(real_ops->cas(real_ops->ctx, w, cur, hit));
		int3_at = -1;
	}
	return real_ops->cas(real_ops->ctx, w, e, v);
}
static void br_sync(void *c)
{
	(void)c;
	real_ops->sync_cores(real_ops->ctx);
}

/* The in-place write verifies what it replaces: a site holding anything
 * but the call it last wrote (a breakpoint on its first byte, a call
 * elsewhere) is not written, and neither is a word that changed between
 * its read and the CAS (the batch fails, nothing changed). */
Test(promote, in_place_leaves_a_changed_site_alone)
{
	setup();
	uint8_t b[SC_PSITE_MAX], *site = pt_site_rax_0;
	cr_assert(sc_parch_in_place_encode(pt_pthunk_rax, 0, 0, b));
	uint64_t *word = (uint64_t *)((uintptr_t)site & ~(uintptr_t)7);
	uint64_t before = *word;
	/* a breakpoint on the site */
	uint64_t bp = before;
	((uint8_t *)&bp)[(uintptr_t)site & 7] = 0xcc;
	struct sc_write w = {
		word, before, bp, 0, 1, sc_object_exec_prot(&obj, word, 8)
	};
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	text_ops_log_on();
	cr_assert_eq(sc_promote_write_site(&obj, site, 0, pt_thunk_rax, b),
		     -EBUSY);
	cr_assert_eq(text_ops_ncas, 0);
	text_ops_log_off();
	cr_assert_eq(*word, bp);
	w = (struct sc_write){ word, bp, before, 0, 1, w.prot };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	/* on another call than the one named */
	cr_assert_eq(sc_promote_write_site(&obj, site, 0, pt_t0, b), -EBUSY);
	cr_assert_eq(*word, before);
	/* the word changed under the write (byte 7: the next instruction) */
	sc_set_text_ops(NULL);
	real_ops = sc_text_ops();
	static const struct sc_text_ops br = { br_open, br_restore, br_cas,
					       br_sync, NULL };
	sc_set_text_ops(&br);
	int3_at = 7;
	cr_assert_eq(sc_promote_write_site(&obj, site, 0, pt_thunk_rax, b),
		     -EBUSY);
	sc_set_text_ops(NULL);
	uint64_t hit = before;
	((uint8_t *)&hit)[7] = 0xcc;
	cr_assert_eq(*word, hit, "written over the breakpoint");
	w = (struct sc_write){ word, hit, before, 0, 1, w.prot };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	expect_calls(pt_via_rax_0, 0);
}

/* promote-plain, one target: the call and the tail site learn it, and at
 * their first window each becomes its own `call *%rax` / `jmp *%rax` in
 * place (state PLAIN, the target reported), not a stub: without
 * retpolines the plain call costs least (a stub measured 1.4x it). No
 * stub memory but the tail site's slow stub; every value still right. */
Test(promote, a_learned_plain_site_is_in_place_not_on_a_stub)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_plain_table,
				      __stop_pt_promote_plain_table);
	int (*const fn[2])(void *) = { pt_pvia_rax, pt_ptail_fn };
	uint8_t *const at[2] = { pt_psite_rax, pt_ptail_site };
	struct static_call_promote_site_info si[4];
	int left = 2;
	for (long i = 0; i < 2000000 && left; i++) {
		for (int k = 0; k < 2; k++)
			cr_assert_eq(fn[k](targets[3]), 13);
		if (i % 1000)
			continue;
		int m = static_call_promote_sites(si, 4);
		left = 2;
		for (int s = 0; s < m && s < 4; s++)
			left -= si[s].state == STATIC_CALL_PROMOTE_PLAIN;
	}
	cr_assert_eq(left, 0, "not in place after 2,000,000 calls");
	for (int k = 0; k < 2; k++) {
		uint8_t want[SC_PSITE_MAX];
		cr_assert(sc_parch_in_place_encode(pt_pthunk_rax, 0, k, want));
		cr_assert_eq(memcmp(at[k], want, 5), 0, "site %d not in place",
			     k);
	}
	int m = static_call_promote_sites(si, 4);
	for (int s = 0; s < m; s++) {
		cr_assert_eq(si[s].ntargets, 1);
		cr_assert_eq(si[s].targets[0], (const void *)targets[3]);
		cr_assert_str_eq(static_call_promote_state_name(si[s].state),
				 "plain");
	}
	cr_assert_str_eq(static_call_promote_state_name(-1), "?");
	/* a NULL buffer is only counted into (a review's crash) */
	cr_assert_eq(static_call_promote_sites(NULL, SIZE_MAX), m);
	cr_assert_eq(static_call_promote_stats(NULL), -EINVAL);
	cr_assert_str_eq(static_call_promote_state_name(
				 STATIC_CALL_PROMOTE_UNWRITABLE),
			 "unwritable");
	cr_assert_str_eq(static_call_promote_state_name(
				 STATIC_CALL_PROMOTE_UNWRITABLE + 1),
			 "?");
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_eq(st.plain, 2);
	cr_assert_eq(st.promoted, 0);
	cr_assert_eq(st.stubs, 0, "a stub for a promote-plain site");
	for (int i = 0; i < 100; i++) {
		expect_calls(pt_pvia_rax, 0);
		expect_calls(pt_ptail_fn, 0);
	}
	__staticcall_promote_unregister(__start_pt_promote_plain_table,
					__stop_pt_promote_plain_table);
}

/* promote-plain, a site whose write is refused when its window decides
 * (its word changed behind the runtime: a breakpoint; here every CAS
 * fails): it stays on its thunk *learning*, its samples counted, and a
 * later window puts it in place once writes go through. A review found
 * such a site reported in place while it sampled for nothing, for good. */
Test(promote, a_plain_site_whose_write_is_refused_learns_on)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_plain_table,
				      __stop_pt_promote_plain_table);
	uint8_t before[SC_PSITE_LEN];
	memcpy(before, pt_psite_rax, SC_PSITE_LEN);
	struct static_call_promote_site_info si[4];
	text_ops_log_on();
	text_ops_refuse_cas = 1;
	unsigned long samples = 0;
	for (long i = 0; i < 4000000 && samples < 200; i++) {
		cr_assert_eq(pt_pvia_rax(targets[3]), 13);
		if (i % 1000)
			continue;
		int m = static_call_promote_sites(si, 4);
		for (int s = 0; s < m && s < 4; s++)
			if (si[s].address == pt_psite_rax) {
				cr_assert_eq(si[s].state,
					     STATIC_CALL_PROMOTE_LEARNING,
					     "reported %s, its write refused",
					     static_call_promote_state_name(
						     si[s].state));
				samples = si[s].samples;
			}
	}
	text_ops_refuse_cas = 0;
	text_ops_log_off();
	cr_assert_geq(samples, 200, "samples not counted: %lu", samples);
	cr_assert_eq(memcmp(pt_psite_rax, before, SC_PSITE_LEN), 0);
	cr_assert(call_until_state(pt_pvia_rax, targets[3], 13, pt_psite_rax,
				   STATIC_CALL_PROMOTE_PLAIN),
		  "not in place once writes go through");
	uint8_t want[SC_PSITE_MAX];
	cr_assert(sc_parch_in_place_encode(pt_pthunk_rax, 0, 0, want));
	cr_assert_eq(memcmp(pt_psite_rax, want, 5), 0);
	__staticcall_promote_unregister(__start_pt_promote_plain_table,
					__stop_pt_promote_plain_table);
}

/* The fixture table registered and its site rax_0 promoted to pt_t0:
 * its stub. */
static const void *rax_0_promoted(void)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	cr_assert(call_until_state(pt_via_rax_0, pt_t0, 10, pt_site_rax_0,
				   STATIC_CALL_PROMOTE_PROMOTED),
		  "not promoted");
	return sc_parch_site_dest(pt_site_rax_0, 0);
}

/* The hit counter of target k of the x86-64 counting stub at `stub`
 * (promote_x86_64.c: each pair's `incq hits(%rip)` at +22), and of its
 * misses (the `incq` after its n pairs). */
static uint64_t *stub_counter(const uint8_t *stub, int at)
{
	const uint8_t *inc = stub + at;
	int32_t d;
	cr_assert(inc[0] == 0x48 && inc[1] == 0xff && inc[2] == 0x05,
		  "no counter's incq at +%d", at);
	memcpy(&d, inc + 3, 4);
	return (uint64_t *)(inc + 7 + d);
}

static uint64_t *hit_counter(const uint8_t *stub, int k)
{
	return stub_counter(stub, 34 * k + 22);
}

static uint64_t *miss_counter(const uint8_t *stub, int n)
{
	return stub_counter(stub, 34 * n);
}

static const struct static_call_promote_site_info *site_info(
	const uint8_t *site, struct static_call_promote_site_info *si, int n)
{
	int m = static_call_promote_sites(si, (size_t)n);
	for (int s = 0; s < m && s < n; s++)
		if (si[s].address == site)
			return &si[s];
	cr_assert_fail("site %p not listed", (const void *)site);
	return NULL;
}

/* Calls of rax_0's site, one in `every` a miss over 15 targets (too many
 * to widen to); every `poke` calls (0: never) its hit counter set to its
 * stop and `misses` added to its miss counter: a window of at least 2^24
 * hits and that many misses more, without the calls. */
static void mixed_calls(long calls, int every, long poke, uint64_t *hits,
			uint64_t *misses, uint64_t more)
{
	for (long i = 0; i < calls; i++) {
		int k = i % every ? 0 : 1 + (int)(i / every % 15);
		cr_assert_eq(pt_via_rax_0(targets[k]), 10 + k);
		if (poke && i % poke == 0) {
			__atomic_store_n(hits, STATIC_CALL_PROMOTE_HITS_MAX,
					 __ATOMIC_RELAXED);
			__atomic_fetch_add(misses, more, __ATOMIC_RELAXED);
		}
	}
}

/* A hit counter stops at STATIC_CALL_PROMOTE_HITS_MAX (the stub then only
 * reads it: no line written on every call from every core): its target
 * took at least that many calls since the counts started. A site whose
 * misses since then stay rare next to that is kept, its count left
 * stopped (5% misses: no write to it); one whose misses since reach 2^24
 * / 9 counts again from zero, once, and is decided on those counts (5%:
 * kept); a second window without an answer (75% misses, each window 2^24
 * hits and 3 x 2^24 misses) demotes it. Deciding on the stopped count
 * since the last decision demoted the 5% site; restarting at every
 * window without an answer kept the 75% site for good (a review). */
Test(promote, a_stopped_hit_count_is_weighed_then_started_again_once)
{
	const uint8_t *stub = rax_0_promoted();
	struct static_call_promote_site_info si[16];
	uint64_t *hits = hit_counter(stub, 0), *misses = miss_counter(stub, 1);
	__atomic_store_n(hits, STATIC_CALL_PROMOTE_HITS_MAX - 2,
			 __ATOMIC_RELAXED);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(pt_via_rax_0(pt_t0), 10);
	cr_assert_eq(*hits, STATIC_CALL_PROMOTE_HITS_MAX,
		     "the counter went on: %lu", (unsigned long)*hits);
	const struct static_call_promote_site_info *p =
		site_info(pt_site_rax_0, si, 16);
	cr_assert_eq(p->hits[0], STATIC_CALL_PROMOTE_HITS_MAX);
	const unsigned long demotions = p->demotions, kept = p->kept;
	/* 5% misses: kept, the count left stopped */
	mixed_calls(2000000, 20, 0, NULL, NULL, 0);
	p = site_info(pt_site_rax_0, si, 16);
	cr_assert_eq(p->demotions, demotions, "a 95%%-hit site demoted");
	cr_assert_eq(p->state, STATIC_CALL_PROMOTE_PROMOTED, "%s",
		     static_call_promote_state_name(p->state));
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub);
	cr_assert_eq(p->hits[0], STATIC_CALL_PROMOTE_HITS_MAX,
		     "counting again: %lu", p->hits[0]);
	cr_assert_geq(p->kept, kept + 2, "kept %lu times", p->kept);
	/* misses since the counts started past 2^24 / 9: counted again,
	 * the 5% site kept on those counts */
	__atomic_fetch_add(misses, STATIC_CALL_PROMOTE_HITS_MAX,
			   __ATOMIC_RELAXED);
	mixed_calls(2000000, 20, 0, NULL, NULL, 0);
	p = site_info(pt_site_rax_0, si, 16);
	cr_assert_eq(p->demotions, demotions, "a 95%%-hit site demoted");
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub);
	cr_assert(p->hits[0] > 0 && p->hits[0] < STATIC_CALL_PROMOTE_HITS_MAX,
		  "not counting again: %lu", p->hits[0]);
	/* 75% misses, every window as long as a stop: demoted */
	int demoted = 0;
	for (int c = 0; c < 400 && !demoted; c++) {
		mixed_calls(1000, 4, 500, hits, misses,
			    3 * STATIC_CALL_PROMOTE_HITS_MAX);
		demoted = site_info(pt_site_rax_0, si, 16)->demotions >
			  demotions;
	}
	cr_assert(demoted, "a 75%%-miss site never demoted");
	/* promoted on t0 again: its own stub of before, whose stopped count
	 * tells nothing of the calls since, counting from zero */
	__atomic_store_n(hits, STATIC_CALL_PROMOTE_HITS_MAX, __ATOMIC_RELAXED);
	cr_assert(call_until_state(pt_via_rax_0, pt_t0, 10, pt_site_rax_0,
				   STATIC_CALL_PROMOTE_PROMOTED),
		  "not promoted again");
	p = site_info(pt_site_rax_0, si, 16);
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub,
		     "not its stub of before");
	cr_assert_lt(p->hits[0], STATIC_CALL_PROMOTE_HITS_MAX,
		     "promoted again on a stopped count");
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* A count that goes back (a preempted thread's non-atomic increment
 * stores its old count plus one over a newer count, or over a restart's
 * zero) is growth from zero, not a delta of 2^64: a 50%-miss window
 * after one is not kept (a review: it wrapped and kept the site). */
Test(promote, a_count_that_goes_back_is_no_wrapped_delta)
{
	const uint8_t *stub = rax_0_promoted();
	struct static_call_promote_site_info si[16];
	uint64_t *hits = hit_counter(stub, 0);
	__atomic_store_n(hits, STATIC_CALL_PROMOTE_HITS_MAX - 200000,
			 __ATOMIC_RELAXED);
	mixed_calls(40000, 20, 0, NULL, NULL, 0); /* 5%: kept */
	const struct static_call_promote_site_info *p =
		site_info(pt_site_rax_0, si, 16);
	const unsigned long kept = p->kept;
	cr_assert_gt(kept, 0, "a 5%%-miss site not kept");
	__atomic_store_n(hits, 5, __ATOMIC_RELAXED); /* went back */
	mixed_calls(1200, 2, 0, NULL, NULL, 0); /* 600 misses: a window */
	cr_assert_eq(site_info(pt_site_rax_0, si, 16)->kept, kept,
		     "a 50%%-miss window kept");
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* A target out of a stub's reach (a function terabytes away): the site is
 * left on its retpoline (far), every call right, and the counter block
 * taken for the stub it could not have goes back (it leaked). */
Test(promote, a_far_target_takes_no_counter_memory)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	/* t1 first: counter memory exists before the far decision */
	cr_assert(call_until_state(pt_via_rcx_0, pt_t1, 11, pt_site_rcx_0,
				   STATIC_CALL_PROMOTE_PROMOTED),
		  "not promoted");
	/* (application memory under ASan too, and out of any rel32's reach
	 * from this binary, wherever ASLR put it) */
	uint8_t *code = MAP_FAILED;
	static const uintptr_t far_at[] = { 0x600000000000ull,
					    0x300000000000ull,
					    0x700000000000ull };
	for (size_t i = 0; i < 3 && code == MAP_FAILED; i++)
		code = mmap((void *)far_at[i], 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
	cr_assert(code != MAP_FAILED, "no page terabytes away");
	static const uint8_t ret42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };
	memcpy(code, ret42, sizeof ret42);
	cr_assert_eq(mprotect(code, 4096, PROT_READ | PROT_EXEC), 0);
	struct static_call_promote_stats before, after;
	cr_assert_eq(static_call_promote_stats(&before), 0);
	cr_assert(call_until_state(pt_via_rax_0, code, 42, pt_site_rax_0,
				   STATIC_CALL_PROMOTE_FAR),
		  "not found far");
	cr_assert_eq(static_call_promote_stats(&after), 0);
	cr_assert_eq(after.counter_bytes, before.counter_bytes,
		     "counter memory taken for no stub: %zu -> %zu",
		     before.counter_bytes, after.counter_bytes);
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
	munmap(code, 4096);
}

/* Code that cannot be made writable (mprotect refused: mseal, an LSM),
 * -EPERM and -EACCES alike: the first refused write locks the object.
 * A site promoted before stays on its stub, one learning on its thunk,
 * both reported unwritable (the stub's targets still), counted in the
 * statistics; every call right; nothing is written again (no CAS, no
 * attempt to open a page) however the calls go; sealing skips it. */
static void locks_its_object(int err)
{
	const void *stub = rax_0_promoted();
	text_ops_log_on();
	text_ops_refuse_open = err;
	cr_assert(call_until_state(pt_via_rcx_0, pt_t1, 11, pt_site_rcx_0,
				   STATIC_CALL_PROMOTE_UNWRITABLE),
		  "not locked by a refused write (%d)", err);
	for (long i = 0; i < 400000; i++) { /* misses, new targets */
		cr_assert_eq(pt_via_rax_0(targets[i & 7]), 10 + (i & 7));
		cr_assert_eq(pt_via_rcx_0(targets[i & 3]), 10 + (i & 3));
	}
	expect_calls(pt_via_rax_0, 1);
	expect_calls(pt_via_rcx_0, 0);
	cr_assert_eq(text_ops_ncas, 0, "a write after the refusal");
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub);
	cr_assert_eq(sc_parch_site_dest(pt_site_rcx_0, 0), pt_thunk_rcx);
	struct static_call_promote_site_info si[16];
	int m = static_call_promote_sites(si, 16), seen = 0;
	for (int s = 0; s < m && s < 16; s++)
		if (si[s].address == pt_site_rax_0 ||
		    si[s].address == pt_site_rcx_0) {
			cr_assert_eq(si[s].state,
				     STATIC_CALL_PROMOTE_UNWRITABLE, "%s",
				     static_call_promote_state_name(
					     si[s].state));
			cr_assert_eq(si[s].ntargets,
				     si[s].address == pt_site_rax_0);
			seen++;
		}
	cr_assert_eq(seen, 2);
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_geq(st.unwritable, 2);
	cr_assert_eq(sc_promote_seal_code(), 0);
	cr_assert_eq(text_ops_ncas, 0, "sealing wrote a locked object");
	expect_calls(pt_via_rax_0, 1);
	text_ops_refuse_open = 0;
	text_ops_log_off();
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* Sealed since the runtime last wrote it, with no write in between: the
 * seal's own refused writes find the object, lock it, and seal the rest
 * (before, static_call_seal failed for good). */
Test(promote, sealing_locks_an_object_that_refuses_it)
{
	const void *stub = rax_0_promoted();
	text_ops_log_on();
	text_ops_refuse_open = -EPERM;
	cr_assert_eq(sc_promote_seal_code(), 0);
	cr_assert_eq(text_ops_ncas, 0);
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub);
	expect_calls(pt_via_rax_0, 1);
	struct static_call_promote_site_info si[16];
	int m = static_call_promote_sites(si, 16), seen = 0;
	for (int s = 0; s < m && s < 16; s++)
		if (si[s].address == pt_site_rax_0) {
			cr_assert_eq(si[s].state,
				     STATIC_CALL_PROMOTE_UNWRITABLE);
			seen++;
		}
	cr_assert_eq(seen, 1);
	text_ops_refuse_open = 0;
	text_ops_log_off();
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

Test(promote, code_sealed_by_mseal_locks_its_object)
{
	locks_its_object(-EPERM);
}

Test(promote, code_refused_by_a_security_policy_locks_its_object)
{
	locks_its_object(-EACCES);
}

/* A promoted site whose widening is refused (its word changed behind the
 * runtime: here every CAS fails) stays on its old stub and says so
 * (promoted, one target), and widens once writes go through. A review
 * found it marked learning while still on its stub, every later write
 * then expecting the slow path and failing for good. */
Test(promote, a_widening_refused_stays_promoted_on_its_stub)
{
	const void *stub = rax_0_promoted();
	struct static_call_promote_site_info si[16];
	text_ops_log_on();
	text_ops_refuse_cas = 1;
	for (long i = 0; i < 400000; i++) /* half its calls miss */
		cr_assert_eq(pt_via_rax_0(i & 1 ? pt_t1 : pt_t0),
			     i & 1 ? 11 : 10);
	text_ops_refuse_cas = 0;
	text_ops_log_off();
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), stub);
	int m = static_call_promote_sites(si, 16);
	for (int s = 0; s < m && s < 16; s++)
		if (si[s].address == pt_site_rax_0) {
			cr_assert_eq(si[s].state, STATIC_CALL_PROMOTE_PROMOTED,
				     "%s on its stub",
				     static_call_promote_state_name(
					     si[s].state));
			cr_assert_eq(si[s].ntargets, 1);
		}
	int two = 0;
	for (long i = 0; i < 4000000 && !two; i++) {
		cr_assert_eq(pt_via_rax_0(i & 1 ? pt_t1 : pt_t0),
			     i & 1 ? 11 : 10);
		if (i % 1000)
			continue;
		m = static_call_promote_sites(si, 16);
		for (int s = 0; s < m && s < 16; s++)
			two |= si[s].address == pt_site_rax_0 &&
			       si[s].state == STATIC_CALL_PROMOTE_PROMOTED &&
			       si[s].ntargets == 2;
	}
	cr_assert(two, "not widened once writes go through");
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* promote-plain, end to end: a call and a tail site learn, are given up
 * on (18 uniform targets) and each becomes `call *%rax` / `jmp *%rax`
 * in place, no stub memory but the tail site's slow stub; behaving as
 * compiled all along; static_call_seal(CODE) leaves both as they are (no
 * write to their words: a thread may be parked between the NOP and the
 * call), their state still given up; nothing writes them afterwards.
 * Before this form they went to a `jmp *%rax` stub of their own, and
 * sealing put them back on their thunk. */
Test(promote, a_given_up_plain_site_is_in_place_for_good)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_plain_table,
				      __stop_pt_promote_plain_table);
	uint64_t slot;
	memcpy(&slot, pt_pthunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(1), "thunk not sampling");
	int (*const fn[2])(void *) = { pt_pvia_rax, pt_ptail_fn };
	uint8_t *const at[2] = { pt_psite_rax, pt_ptail_site };
	call_until_given_up(fn, at, 2);
	for (int k = 0; k < 2; k++) {
		uint8_t want[SC_PSITE_MAX];
		cr_assert(sc_parch_in_place_encode(pt_pthunk_rax, 0, k, want));
		cr_assert_eq(memcmp(at[k], want, 5), 0,
			     "site %d not in place (on %p)", k,
			     (const void *)sc_parch_site_dest(at[k], k));
	}
	for (int i = 0; i < 1000; i++) {
		expect_calls(pt_pvia_rax, 0);
		expect_calls(pt_ptail_fn, 0);
	}
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_eq(st.megamorphic, 2);
	if (!st.stubs) /* (no window happened to look promotable) */
		cr_assert_eq(st.stub_bytes, sc_parch_slow_size(),
			     "stub memory beyond the tail site's slow stub: "
			     "%zu",
			     st.stub_bytes);
	uint64_t words[2];
	for (int k = 0; k < 2; k++)
		words[k] = *(uint64_t *)((uintptr_t)at[k] & ~(uintptr_t)7);
	text_ops_log_on();
	cr_assert_eq(static_call_seal(STATIC_CALL_SEAL_CODE), 0);
	text_ops_log_off();
	for (int j = 0; j < text_ops_ncas && j < TEXT_OPS_LOG_MAX; j++)
		for (int k = 0; k < 2; k++)
			cr_assert_neq((uintptr_t)text_ops_log[j].word,
				      (uintptr_t)at[k] & ~(uintptr_t)7,
				      "sealing wrote site %d's word", k);
	for (int k = 0; k < 2; k++)
		cr_assert_eq(*(uint64_t *)((uintptr_t)at[k] & ~(uintptr_t)7),
			     words[k], "site %d changed", k);
	memcpy(&slot, pt_pthunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(0), "thunk still sampling");
	struct static_call_promote_site_info si[4];
	int m = static_call_promote_sites(si, 4);
	cr_assert_eq(m, 2);
	for (int s = 0; s < m; s++)
		cr_assert_eq(si[s].state, STATIC_CALL_PROMOTE_MEGAMORPHIC);
	expect_calls(pt_pvia_rax, 0);
	expect_calls(pt_ptail_fn, 0);
	/* unregistering writes nothing either */
	text_ops_log_on();
	__staticcall_promote_unregister(__start_pt_promote_plain_table,
					__stop_pt_promote_plain_table);
	text_ops_log_off();
	cr_assert_eq(text_ops_ncas, 0);
	expect_calls(pt_pvia_rax, 0);
	expect_calls(pt_ptail_fn, 0);
}

/* A retpoline unit's given-up site keeps the retpoline (hardening): it
 * goes to its thunk's retpoline, never to a `jmp *%reg` stub. */
Test(promote, a_given_up_retpoline_site_stays_on_its_retpoline)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	int (*const fn[1])(void *) = { pt_via_rcx_0 };
	uint8_t *const at[1] = { pt_site_rcx_0 };
	call_until_given_up(fn, at, 1);
	cr_assert_eq(sc_parch_site_dest(pt_site_rcx_0, 0),
		     sc_parch_thunk_retpoline(pt_thunk_rcx));
	expect_calls(pt_via_rcx_0, 0);
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

extern const char __start_pt_promote_jump_table[],
	__stop_pt_promote_jump_table[];

/* The jump site (pt_tail_fn, pt_promote_jump_table registered) called
 * through targets[0..n) in turn, each result checked, until it is on an
 * n-target stub (at most max calls). */
static void jump_site_until_on_stub_of(int n, long max)
{
	struct static_call_promote_site_info si[4] = { 0 };
	for (long i = 0; i < max; i++) {
		cr_assert_eq(pt_tail_fn(targets[i % n]), 10 + i % n);
		if (i % 1000 == 999 && static_call_promote_sites(si, 4) == 1 &&
		    si[0].state == STATIC_CALL_PROMOTE_PROMOTED &&
		    si[0].ntargets == n)
			return;
	}
	cr_assert_fail("never on a %d-target stub (state %d, %d targets)", n,
		       si[0].state, si[0].ntargets);
}

/* A jump site whose eight targets share its calls evenly is promoted to
 * an 8-target stub, and that stub counts its hits: its nine counters
 * take two cache lines (a block of one line left it uncounted, so its
 * misses could never be weighed against its hits and it was demoted
 * until given up on). */
Test(promote, an_eight_target_jump_stub_counts_its_hits)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_jump_table,
				      __stop_pt_promote_jump_table);
	struct static_call_promote_site_info si[4];
	jump_site_until_on_stub_of(8, 2000000);
	for (long i = 0; i < 8000; i++)
		cr_assert_eq(pt_tail_fn(targets[i % 8]), 10 + i % 8);
	cr_assert_eq(static_call_promote_sites(si, 4), 1);
	cr_assert_eq(si[0].tail, 2);
	cr_assert(si[0].counted, "an 8-target stub without hit counters");
	for (int k = 0; k < 8; k++)
		cr_assert_geq(si[0].hits[k], 1000, "target %d: %lu hits", k,
			      si[0].hits[k]);
	__staticcall_promote_unregister(__start_pt_promote_jump_table,
					__stop_pt_promote_jump_table);
}

static int state_at(const uint8_t *site)
{
	struct static_call_promote_site_info si[16];
	int m = static_call_promote_sites(si, 16);
	for (int i = 0; i < m && i < 16; i++)
		if (si[i].address == site)
			return si[i].state;
	return -1;
}

/* Decisions of several flushes wait in one batch and their stubs share a
 * page: two sites decided apart stay learning (on their thunks, correct)
 * while the window is open, then move together at the next flush after
 * it closes, onto stubs in one page. Moving at each flush's end (before
 * the batch) promoted the first site at once. */
Test(promote, decisions_of_several_flushes_share_a_stub_page)
{
	setup();
	sc_promote_batch_us = UINT64_MAX / 2;
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(pt_via_rax_0(pt_t0), 10);
	cr_assert_eq(state_at(pt_site_rax_0), STATIC_CALL_PROMOTE_LEARNING,
		     "moved before the batch's window closed");
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(pt_via_rcx_0(pt_t1), 11);
	cr_assert_eq(state_at(pt_site_rcx_0), STATIC_CALL_PROMOTE_LEARNING);
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), pt_thunk_rax);
	sc_promote_batch_us = 0;
	for (int i = 0; i < 20000 && state_at(pt_site_rax_0) !=
					     STATIC_CALL_PROMOTE_PROMOTED;
	     i++)
		cr_assert_eq(pt_via_rax_0(pt_t0), 10);
	cr_assert_eq(state_at(pt_site_rax_0), STATIC_CALL_PROMOTE_PROMOTED);
	cr_assert_eq(state_at(pt_site_rcx_0), STATIC_CALL_PROMOTE_PROMOTED);
	uintptr_t a = (uintptr_t)sc_parch_site_dest(pt_site_rax_0, 0),
		  b = (uintptr_t)sc_parch_site_dest(pt_site_rcx_0, 0),
		  page = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
	cr_assert_neq(a, b);
	cr_assert_eq(a & page, b & page, "stubs %#lx and %#lx", (long)a,
		     (long)b);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(pt_via_rax_0(pt_t0), 10);
		cr_assert_eq(pt_via_rcx_0(pt_t1), 11);
		cr_assert_eq(pt_via_rcx_0(pt_t2), 12); /* a miss */
	}
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* An object unregistered while decisions for its sites wait in the batch:
 * they are dropped with it, so a later flush (another object's samples)
 * moves nothing of it (a dangling decision would write its site through
 * freed records, towards a stub in the released pool: 'sanitizer asan'
 * reports the use after free; the site's bytes may not show it). The
 * first object is the jump site alone; unregistering leaves its code as
 * it is (an object goes with its code), so it is not called again. */
Test(promote, unregistering_drops_the_objects_waiting_decisions)
{
	setup();
	sc_promote_batch_us = UINT64_MAX / 2;
	__staticcall_promote_register(__start_pt_promote_jump_table,
				      __stop_pt_promote_jump_table);
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(pt_tail_fn(pt_t0), 10);
	cr_assert_eq(state_at(pt_tail_site), STATIC_CALL_PROMOTE_LEARNING);
	const uint8_t *before = sc_parch_site_dest(pt_tail_site, 1);
	__staticcall_promote_unregister(__start_pt_promote_jump_table,
					__stop_pt_promote_jump_table);
	sc_promote_batch_us = 0;
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(pt_via_rax_0(pt_t0), 10);
	cr_assert_eq(state_at(pt_site_rax_0), STATIC_CALL_PROMOTE_PROMOTED,
		     "the other object's flushes did not run");
	cr_assert_eq(sc_parch_site_dest(pt_tail_site, 1), before,
		     "a dropped object's site moved");
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* Sixteen targets sharing a jump site's jumps evenly (an interpreter's
 * dispatch): tallied (more candidates than a stub holds), promoted and
 * widened to a 16-target stub, whose 17 counters (three cache lines)
 * count every target's hits. With 8-target stubs and an 8-candidate
 * tally it was given up on. */
Test(promote, a_sixteen_target_jump_stub_counts_its_hits)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_jump_table,
				      __stop_pt_promote_jump_table);
	struct static_call_promote_site_info si[4];
	jump_site_until_on_stub_of(16, 4000000);
	for (long i = 0; i < 16000; i++)
		cr_assert_eq(pt_tail_fn(targets[i % 16]), 10 + i % 16);
	cr_assert_eq(pt_tail_fn(pt_miss), 1000);
	cr_assert_eq(static_call_promote_sites(si, 4), 1);
	cr_assert_eq(si[0].tail, 2);
	cr_assert_eq(si[0].ntargets, 16);
	cr_assert(si[0].counted, "a 16-target stub without hit counters");
	for (int k = 0; k < 16; k++) {
		cr_assert_geq(si[0].hits[k], 1000, "target %d: %lu hits", k,
			      si[0].hits[k]);
		int have = 0;
		for (int j = 0; j < 16; j++)
			have += si[0].targets[j] == targets[k];
		cr_assert_eq(have, 1, "target %d listed %d times", k, have);
	}
	cr_assert_geq(si[0].misses, 1);
	__staticcall_promote_unregister(__start_pt_promote_jump_table,
					__stop_pt_promote_jump_table);
}

extern struct sc_abi_promote_view __staticcall_promote_view;

/* What an outside reader (staticcall-inspect --pid) follows: the view's
 * list and offsets give each site's call and state as the API does; the
 * statistics include the process's executable memory. */
Test(promote, view_and_statistics_describe_what_the_api_lists)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	const struct sc_abi_promote_view *v = &__staticcall_promote_view;
	cr_assert_eq(v->version, SC_ABI_PROMOTE_VIEW_VERSION);
	cr_assert_eq(v->mode, SC_PROMOTE_VIEW_ON);
	struct static_call_promote_site_info info[16];
	int n = static_call_promote_sites(info, 16);
	cr_assert(n > 0 && n <= 16, "%d sites", n);
	int seen = 0;
	const char *po = *(const char *const *)(uintptr_t)v->objects;
	cr_assert_not_null(po);
	for (; po; po = *(const char *const *)(po + v->obj_next)) {
		const char *sites = *(const char *const *)(po + v->obj_sites);
		size_t ns = *(const size_t *)(po + v->obj_nsites);
		for (size_t i = 0; i < ns; i++, seen++) {
			const char *s = sites + i * v->site_size;
			const void *insn =
				*(const void *const *)(s + v->site_insn);
			uint8_t state = v->state_of[(uint8_t)s[v->site_state]];
			cr_assert(seen < n);
			cr_assert_eq(insn, info[seen].address, "site %d", seen);
			cr_assert_eq(state, info[seen].state, "site %d", seen);
		}
	}
	cr_assert_eq(seen, n);
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert(st.exec_regions >= 1 && st.exec_reserved >= 4096 &&
			  st.exec_reserved >=
				  st.exec_bytes + st.exec_open + st.exec_data,
		  "exec memory: %zu regions, %zu reserved, %zu exec, %zu "
		  "open, %zu data",
		  st.exec_regions, st.exec_reserved, st.exec_bytes,
		  st.exec_open, st.exec_data);
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* An object whose stub memory is used up (CPython's ~400 executed sites
 * used up 256 KiB: the sites left sampled for the whole run, slower than
 * the retpoline): a site that would be promoted is given up on instead
 * (NO_ROOM), on its thunk's retpoline, and samples no more. */
Test(promote, a_site_finding_no_stub_memory_is_given_up)
{
	setup();
	sc_promote_pool_bytes = (size_t)sysconf(_SC_PAGESIZE);
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	int (*const fn[4])(void *) = { pt_via_rax_0, pt_via_rax_1,
				       pt_via_rax_2, pt_via_rax_3 };
	uint8_t *const at[4] = { pt_site_rax_0, pt_site_rax_1, pt_site_rax_2,
				 pt_site_rax_3 };
	void *const tg[4] = { pt_t0, pt_t1, pt_t2, pt_t3 };
	struct static_call_promote_site_info si[16];
	int full = -1, promoted = 0;
	unsigned long samples = 0;
	/* one site at a time, each to a target of its own: one stub each,
	 * made in batches of their own */
	for (int k = 0; k < 4 && full < 0; k++)
		for (long i = 0; i < 4000000; i++) {
			cr_assert_eq(fn[k](tg[k]), 10 + k);
			if (i % 1000)
				continue;
			int m = static_call_promote_sites(si, 16), st = -1;
			for (int s = 0; s < m && s < 16; s++)
				if (si[s].address == at[k])
					st = si[s].state, samples = si[s].samples;
			if (st == STATIC_CALL_PROMOTE_PROMOTED) {
				promoted++;
				break;
			}
			if (st == STATIC_CALL_PROMOTE_NO_ROOM) {
				full = k;
				break;
			}
		}
	cr_assert(full >= 0, "no site ran out of stub memory (%d promoted)",
		  promoted);
	cr_assert_eq(sc_parch_site_dest(at[full], 0),
		     sc_parch_thunk_retpoline(pt_thunk_rax));
	for (long i = 0; i < 200000; i++)
		cr_assert_eq(fn[full](tg[i & 3]), 10 + (int)(i & 3));
	int m = static_call_promote_sites(si, 16);
	for (int s = 0; s < m && s < 16; s++)
		if (si[s].address == at[full]) {
			cr_assert_eq(si[s].state, STATIC_CALL_PROMOTE_NO_ROOM);
			cr_assert_eq(si[s].samples, samples, "still sampled");
		}
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_geq(st.no_room, 1);
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* static_call_seal(CODE) writes every thunk's slot back to its plain form
 * before it moves any site back onto its thunk: a jump site arriving at
 * a thunk that still samples would run its sample block (whose lazily
 * bound PLT call may clobber %r10/%r11, live across a jump). */
Test(promote, sealing_makes_thunks_plain_before_moving_sites)
{
	rax_0_promoted();
	uint64_t slot;
	memcpy(&slot, pt_thunk_rax, 8);
	cr_assert_eq(slot, sc_parch_thunk_slot(1), "thunk not sampling");
	text_ops_log_on();
	cr_assert_eq(static_call_seal(STATIC_CALL_SEAL_CODE), 0);
	text_ops_log_off();
	uint64_t *site_word = (uint64_t *)((uintptr_t)pt_site_rax_0 & ~7ul);
	int slot_at = -1, site_at = -1;
	for (int j = 0; j < text_ops_ncas && j < TEXT_OPS_LOG_MAX; j++) {
		if (text_ops_log[j].word == (uint64_t *)pt_thunk_rax &&
		    slot_at < 0)
			slot_at = j;
		if (text_ops_log[j].word == site_word && site_at < 0)
			site_at = j;
	}
	cr_assert(slot_at >= 0 && site_at >= 0, "slot %d, site %d", slot_at,
		  site_at);
	cr_assert_lt(slot_at, site_at, "a site moved onto a sampling thunk");
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), pt_thunk_rax);
	expect_calls(pt_via_rax_0, 0);
}

/* The site at `site` (a call site of pt_promote_table) called through
 * `fn` with t until it is promoted with n targets (at most max calls). */
static void call_until_on_stub_of(int (*fn)(void *), const uint8_t *site,
				  void *t, int want, int n, long max)
{
	struct static_call_promote_site_info si[16];
	for (long i = 0; i < max; i++) {
		cr_assert_eq(fn(t), want);
		if (i % 500 != 499)
			continue;
		int m = static_call_promote_sites(si, 16);
		for (int k = 0; k < m && k < 16; k++)
			if (si[k].address == site &&
			    si[k].state == STATIC_CALL_PROMOTE_PROMOTED &&
			    si[k].ntargets == n)
				return;
	}
	cr_assert_fail("site %p never on a %d-target stub", (const void *)site,
		       n);
}

/* With a relayout due (sc_promote_relayout_ms 0) and each flush's batch
 * committed at its end (setup), the first flush lays out: the tail site
 * called until `site` has left `from`, a flush (SC_PROMOTE_BUF samples of
 * SC_PROMOTE_PERIOD calls) about every 1,000 calls. A relayout that
 * never comes fails here, not by the test's timeout (under valgrind a
 * call of the slow path costs ~100 times more). */
static void tail_calls_until_moved(const uint8_t *site, const uint8_t *from)
{
	for (long i = 0; i < 20000; i++) {
		if (sc_parch_site_dest(site, 0) != from)
			return;
		cr_assert_eq(pt_tail_fn(pt_t3), 13);
	}
	cr_assert_fail("site %p still on stub %p after 20,000 calls of the "
		       "tail site: no relayout moved it",
		       (const void *)site, (const void *)from);
}

static const struct static_call_promote_site_info *
info_of(struct static_call_promote_site_info *si, int m, const uint8_t *site)
{
	for (int k = 0; k < m; k++)
		if (si[k].address == site)
			return &si[k];
	cr_assert_fail("no site %p listed", (const void *)site);
	return NULL;
}

/* The target a counting stub compares first (its first `cmp slot(%rip)`:
 * 7 bytes, disp32 at 3). */
static void *first_target(const uint8_t *stub)
{
	int32_t d;
	memcpy(&d, stub + 3, 4);
	void *t;
	memcpy(&t, stub + 7 + d, sizeof t);
	return t;
}

/* The statistics' hits less those of the sites' stubs now. */
static unsigned long hits_beyond_the_sites(void)
{
	struct static_call_promote_site_info si[16];
	int m = static_call_promote_sites(si, 16);
	cr_assert(m > 0 && m <= 16);
	unsigned long sum = 0;
	for (int k = 0; k < m; k++)
		for (int j = 0; si[k].counted && j < si[k].ntargets; j++)
			sum += si[k].hits[j];
	struct static_call_promote_stats st;
	cr_assert_eq(static_call_promote_stats(&st), 0);
	cr_assert_geq(st.hits, sum);
	return st.hits - sum;
}

static void *relayout_caller(void *arg)
{
	(void)arg;
	long errors = 0, calls = 0;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	do {
		errors += pt_via_rax_0(pt_t2) != 12; /* (only hits: a miss
							would widen it) */
		calls++;
	} while (!stop);
	return (void *)(errors ? -1 : calls);
}

/* A relayout (docs/PATCHING.md "Stub layout"): the rcx site widened to
 * [t1, t0] (the newest target first) then called mostly with t0, the rax
 * site hotter still; once due, both are moved to copies of their stubs
 * in a fresh page, the hotter site's first, the rcx chain in the order
 * of its hits ([t0, t1]: the decoded stub's first compare), their counts
 * carried over and not counted twice (the statistics' total grows by
 * no more than the sites' sums), the old stubs' bytes untouched (a thread may be inside
 * one), every page `r-xp`; a thread calling through the rax site all
 * along (making it hotter still) gets every result right. */
Test(promote, relayout_packs_the_hottest_stubs_first_each_chain_by_hits)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	call_until_on_stub_of(pt_via_rcx_0, pt_site_rcx_0, pt_t0, 10, 1,
			      200000);
	call_until_on_stub_of(pt_via_rcx_0, pt_site_rcx_0, pt_t1, 11, 2,
			      200000);
	const uint8_t *rcx_old = sc_parch_site_dest(pt_site_rcx_0, 0);
	cr_assert_eq(first_target(rcx_old), pt_t1, "not widened newest first");
	for (int i = 0; i < 30000; i++)
		cr_assert_eq(pt_via_rcx_0(pt_t0), 10);
	call_until_on_stub_of(pt_via_rax_0, pt_site_rax_0, pt_t2, 12, 1,
			      200000);
	for (int i = 0; i < 100000; i++)
		cr_assert_eq(pt_via_rax_0(pt_t2), 12);
	const uint8_t *rax_old = sc_parch_site_dest(pt_site_rax_0, 0);
	size_t rcx_len = sc_parch_counted_stub_size(2),
	       rax_len = sc_parch_counted_stub_size(1);
	uint8_t rcx_bytes[SC_PSTUB_MAX], rax_bytes[SC_PSTUB_MAX];
	memcpy(rcx_bytes, rcx_old, rcx_len);
	memcpy(rax_bytes, rax_old, rax_len);
	struct static_call_promote_site_info si[16];
	int m = static_call_promote_sites(si, 16);
	cr_assert(m > 0 && m <= 16);
	const struct static_call_promote_site_info *r = info_of(si, m,
								pt_site_rcx_0);
	cr_assert(r->counted);
	unsigned long rcx_hits = r->hits[0] + r->hits[1];
	cr_assert_gt(r->hits[1], r->hits[0], "t0 (second) not the hotter");
	/* the statistics count the hits of stubs no site uses any more
	 * (rcx's first): what they count beyond the sites' stubs */
	unsigned long before = hits_beyond_the_sites();

	pthread_t th;
	stop = 0;
	started = 0;
	pthread_create(&th, NULL, relayout_caller, NULL);
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		sched_yield();
	/* due now: the next flush (the tail site learning) lays out */
	sc_promote_relayout_ms = 0;
	tail_calls_until_moved(pt_site_rcx_0, rcx_old);
	sc_promote_relayout_ms = UINT64_MAX;
	stop = 1;
	void *res;
	pthread_join(th, &res);
	cr_assert_neq((long)res, -1L, "a call got a wrong result");
	cr_assert_gt((long)res, 0L);

	const uint8_t *rcx_new = sc_parch_site_dest(pt_site_rcx_0, 0),
		      *rax_new = sc_parch_site_dest(pt_site_rax_0, 0);
	cr_assert_neq(rcx_new, rcx_old, "rcx site not moved");
	cr_assert_neq(rax_new, rax_old, "rax site not moved");
	uintptr_t page = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
	cr_assert_eq((uintptr_t)rax_new & ~page, 0,
		     "the hottest stub does not start a fresh page");
	cr_assert_eq((uintptr_t)rax_new + rax_len, (uintptr_t)rcx_new,
		     "the second hottest does not follow it");
	cr_assert_eq(first_target(rcx_new), pt_t0, "chain not by hits");
	cr_assert_eq(first_target(rax_new), pt_t2);
	cr_assert_eq(memcmp(rcx_old, rcx_bytes, rcx_len), 0, "old stub written");
	cr_assert_eq(memcmp(rax_old, rax_bytes, rax_len), 0, "old stub written");
	char perm[5];
	perms_of(rcx_new, perm);
	cr_assert_str_eq(perm, "r-xp");
	perms_of(rcx_old, perm);
	cr_assert_str_eq(perm, "r-xp");

	m = static_call_promote_sites(si, 16);
	cr_assert(m > 0 && m <= 16);
	r = info_of(si, m, pt_site_rcx_0);
	cr_assert_eq(r->targets[0], pt_t0);
	cr_assert_eq(r->targets[1], pt_t1);
	cr_assert_geq(r->hits[0] + r->hits[1], rcx_hits, "counts lost");
	/* (the caller may have added one in an old stub after its counts
	 * moved) */
	unsigned long after = hits_beyond_the_sites();
	cr_assert_leq(after, before + 1, "hits counted twice: %lu -> %lu",
		      before, after);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(pt_via_rcx_0(pt_t0), 10);
		cr_assert_eq(pt_via_rcx_0(pt_t1), 11);
		cr_assert_eq(pt_via_rax_0(pt_t2), 12);
		cr_assert_eq(pt_via_rax_0(pt_t0), 10); /* a miss */
	}
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* A relayout whose copies would take more than half of the stub memory
 * left does nothing (promotions to come need room, a site finding none
 * being given up on): with 6 pages (the tail site's slow stubs and the
 * three batches take 4), the two promoted sites stay on their stubs
 * when it is due, and the tail site is still promoted after it. */
Test(promote, a_relayout_leaves_room_for_promotions_to_come)
{
	setup();
	sc_promote_pool_bytes = 6 * (size_t)sysconf(_SC_PAGESIZE);
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	call_until_on_stub_of(pt_via_rcx_0, pt_site_rcx_0, pt_t0, 10, 1,
			      200000);
	call_until_on_stub_of(pt_via_rcx_0, pt_site_rcx_0, pt_t1, 11, 2,
			      200000);
	call_until_on_stub_of(pt_via_rax_0, pt_site_rax_0, pt_t2, 12, 1,
			      200000);
	const uint8_t *rcx = sc_parch_site_dest(pt_site_rcx_0, 0),
		      *rax = sc_parch_site_dest(pt_site_rax_0, 0);
	sc_promote_relayout_ms = 0;
	call_until_on_stub_of(pt_tail_fn, pt_tail_site, pt_t3, 13, 1, 400000);
	for (int i = 0; i < 100000; i++) /* flushes after it, due */
		cr_assert_eq(pt_tail_fn(pt_t0), 10);
	sc_promote_relayout_ms = UINT64_MAX;
	cr_assert_eq(sc_parch_site_dest(pt_site_rcx_0, 0), rcx, "moved");
	cr_assert_eq(sc_parch_site_dest(pt_site_rax_0, 0), rax, "moved");
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}

/* A debugger's breakpoint on a site when its relayout comes: that site
 * is not written (its copy stays unreachable, its counts not counted
 * twice), the other site moves; with the breakpoint gone, the site runs
 * its old stub, right. */
Test(promote, a_relayout_leaves_a_site_under_a_breakpoint_alone)
{
	setup();
	__staticcall_promote_register(__start_pt_promote_table,
				      __stop_pt_promote_table);
	call_until_on_stub_of(pt_via_rcx_0, pt_site_rcx_0, pt_t0, 10, 1,
			      200000);
	call_until_on_stub_of(pt_via_rax_0, pt_site_rax_0, pt_t2, 12, 1,
			      200000);
	const uint8_t *rcx = sc_parch_site_dest(pt_site_rcx_0, 0),
		      *rax = sc_parch_site_dest(pt_site_rax_0, 0);
	unsigned long before = hits_beyond_the_sites();
	uint8_t *site = pt_site_rcx_0;
	uint64_t *word = (uint64_t *)((uintptr_t)site & ~(uintptr_t)7);
	uint64_t was = *word, bp = was;
	((uint8_t *)&bp)[(uintptr_t)site & 7] = 0xcc;
	struct sc_write w = { word, was, bp, 0, 1,
			      sc_object_exec_prot(&obj, word, 8) };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	sc_promote_relayout_ms = 0;
	tail_calls_until_moved(pt_site_rax_0, rax);
	sc_promote_relayout_ms = UINT64_MAX;
	cr_assert_eq(*word, bp, "the site under the breakpoint written");
	w = (struct sc_write){ word, bp, was, 0, 1, w.prot };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	cr_assert_eq(sc_parch_site_dest(pt_site_rcx_0, 0), rcx);
	cr_assert_leq(hits_beyond_the_sites(), before, "counted twice");
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(pt_via_rcx_0(pt_t0), 10);
		cr_assert_eq(pt_via_rcx_0(pt_t1), 11); /* a miss */
		cr_assert_eq(pt_via_rax_0(pt_t2), 12);
	}
	__staticcall_promote_unregister(__start_pt_promote_table,
					__stop_pt_promote_table);
}
