/*
 * test_backend.c - unit test of the runtime's arm64 backend, a plain
 * program (qemu-user has no binfmt here and Criterion re-executes itself).
 *
 * qemu models neither caches nor the concurrent-modification rules, so the
 * write sequence is checked through injected operations: the text writer's
 * open/restore/CAS/sync steps and its cache-maintenance step record every
 * event, and the test asserts, for real batches planned by sc_patch_key
 * over fake code (sites at both word offsets of a quadword, two sites
 * sharing a quadword, a trampoline slot, targets in and out of range):
 *
 *  - every instruction word a CAS changes is B, BL or NOP before and after
 *    (and no other word of the quadword changes);
 *  - every write happens while its page is open, and is followed by cache
 *    maintenance of that word before the next write or sync;
 *  - a core sync follows the last write of the batch;
 *  - the resulting code is what the runtime reports.
 *
 * Inline forms: no site ever holds one (B/BL/NOP only: a key whose
 * value has one gets `bl` to it); the generated functions run and return
 * their constant or argument, from read-execute pages.
 *
 * It also checks the encodings at the edges of the +-128 MiB range, lazy
 * binding's slot form and the word-by-word check of the bind block, a
 * batch putting a slot in bind form and back, and the real 32-bit CAS
 * (sc_arch_cas_code).
 *
 * Static keys (runtime/static_keys.c): a site's forms (NOP, `b label`, the
 * compiled `b` to its load and test) at both words of a quadword, the
 * load and test checked bit by bit, and live toggles of sites compiled in
 * this file through the same recorded steps over the real writer: one
 * 4-byte write per site, counting inc/dec, underflow and a site not
 * holding what the runtime wrote refused with nothing written, and
 * static_call_verify finding that site. Exit 0 on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "staticcall/kernel.h"

static int failures;
#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			failures++;                                           \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__,         \
				__LINE__, #c);                                \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

#define NOP 0xd503201fu
static int is_b_bl_nop(uint32_t w)
{
	return w == NOP || (w & 0x7c000000u) == 0x14000000u;
}

/* ---- recorded events ------------------------------------------------- */
enum ev_kind { EV_OPEN, EV_RESTORE, EV_CAS, EV_FLUSH, EV_SYNC };
struct event {
	enum ev_kind kind;
	uintptr_t addr;
	size_t len;
	uint64_t expect, value;
	int ok;
};
static struct event ev[1024];
static int nev, open_pages;

static int t_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c, (void)prot;
	ev[nev++] = (struct event){ EV_OPEN, p, l, 0, 0, 1 };
	open_pages++;
	return 0;
}
static int t_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c, (void)prot;
	ev[nev++] = (struct event){ EV_RESTORE, p, l, 0, 0, 1 };
	open_pages--;
	return 0;
}
static int t_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	CHECK(open_pages > 0, "write at %p while no page is writable", (void *)w);
	/* the real arm64 CAS, on the fake code */
	int ok = sc_arch_cas_code(w, e, v);
	ev[nev++] = (struct event){ EV_CAS, (uintptr_t)w, 8, e, v, ok };
	return ok;
}
static void t_sync(void *c)
{
	(void)c;
	ev[nev++] = (struct event){ EV_SYNC, 0, 0, 0, 0, 1 };
}
static void t_flush(void *c, void *addr, size_t len)
{
	(void)c;
	ev[nev++] = (struct event){ EV_FLUSH, (uintptr_t)addr, len, 0, 0, 1 };
	/* the real maintenance too: the static key test writes live code */
	__builtin___clear_cache((char *)addr, (char *)addr + len);
}
static const struct sc_text_ops rec_ops = { t_open, t_restore, t_cas, t_sync,
					    NULL };

/* Check the event log of one batch. */
static void check_log(const char *what)
{
	int pending = -1; /* index of a CAS not yet flushed */
	int unsynced = 0; /* a flushed write not yet followed by a sync */
	int writes = 0;
	for (int i = 0; i < nev; i++) {
		struct event *e = &ev[i];
		switch (e->kind) {
		case EV_CAS:
			CHECK(pending < 0, "%s: write %d not flushed before the "
			      "next write", what, pending);
			writes++;
			for (int h = 0; h < 2; h++) {
				uint32_t o = (uint32_t)(e->expect >> (32 * h));
				uint32_t n = (uint32_t)(e->value >> (32 * h));
				if (o == n)
					continue;
				CHECK(is_b_bl_nop(o) && is_b_bl_nop(n),
				      "%s: word %#lx changes %08x -> %08x, not "
				      "among B/BL/NOP", what,
				      (unsigned long)e->addr + 4 * h, o, n);
			}
			if (e->ok)
				pending = i;
			break;
		case EV_FLUSH:
			if (pending >= 0) {
				CHECK(e->addr <= ev[pending].addr &&
				      e->addr + e->len >= ev[pending].addr + 8,
				      "%s: flush does not cover the written word",
				      what);
				pending = -1;
				unsynced = 1;
			}
			break;
		case EV_SYNC:
			CHECK(pending < 0, "%s: sync before the cache "
			      "maintenance of a write", what);
			unsynced = 0;
			break;
		default:
			break;
		}
	}
	CHECK(pending < 0, "%s: last write never flushed", what);
	CHECK(!unsynced, "%s: no core sync after the last write", what);
	CHECK(writes > 0, "%s: nothing written", what);
	CHECK(open_pages == 0, "%s: %d page runs left writable", what,
	      open_pages);
}

/* ---- fake code ---------------------------------------------------------- */
static uint32_t enc(uint32_t op, const void *at, const void *to)
{
	intptr_t d = (intptr_t)to - (intptr_t)at;
	return op | ((uint32_t)(d >> 2) & 0x03ffffffu);
}

static void test_encodings(uint8_t *code)
{
	struct sc_code c = { .insn = code, .len = 4, .kind = SC_INSN_CALL };
	uint32_t bl = enc(0x94000000u, code, code + 64);
	memcpy(c.bytes, &bl, 4);
	uint8_t out[SC_MAX_INSN];
	const char *why = NULL;
	long M = 1l << 27;

	CHECK(sc_arch_encode_site(&c, code + M - 4, out, &why), "max forward");
	CHECK(!sc_arch_encode_site(&c, code + M, out, &why) && why &&
	      strstr(why, "range"), "just out of range forward");
	CHECK(sc_arch_encode_site(&c, code - M, out, &why), "max backward");
	CHECK(!sc_arch_encode_site(&c, code - M - 4, out, &why),
	      "just out of range backward");
	CHECK(!sc_arch_encode_site(&c, code + 2, out, &why), "misaligned");
	CHECK(sc_arch_encode_site(&c, code - 8, out, &why), "backward");
	uint32_t w;
	memcpy(&w, out, 4);
	CHECK(w == 0x97fffffeu, "bl -8 is %08x", w);
	struct sc_decoded d = sc_decode_site(&c, out, code + 64);
	CHECK(d.form == STATIC_CALL_SITE_DIRECT && d.reaches == code - 8,
	      "decode bl");
	c.kind = SC_INSN_JMP;
	uint32_t b = enc(0x14000000u, code, code + 64);
	memcpy(c.bytes, &b, 4);
	d = sc_decode_site(&c, c.bytes, code + 64);
	CHECK(d.form == STATIC_CALL_SITE_TRAMPOLINE, "decode b to trampoline");
	CHECK(!sc_arch_match((const uint8_t *)&bl, SC_INSN_JMP), "bl is no b");

	/* slot: word 1 is the slow path's adrp x16 */
	uint32_t *slot = (uint32_t *)(code + 2048);
	slot[0] = NOP;
	slot[1] = 0x90000010u;
	void *r = code;
	uint64_t sw;
	memcpy(&sw, slot, 8);
	CHECK(sc_arch_decode_slot((uint8_t *)slot, sw, &r) && !r, "slow slot");
	uint64_t v = sc_arch_encode_slot((uint8_t *)slot, (uint8_t *)slot + 4096, &why);
	CHECK((uint32_t)(v >> 32) == 0x90000010u && !why, "slot keeps word 1");
	CHECK(sc_arch_decode_slot((uint8_t *)slot, v, &r) &&
	      r == (uint8_t *)slot + 4096, "direct slot");
	v = sc_arch_encode_slot((uint8_t *)slot, (uint8_t *)slot + M, &why);
	CHECK((uint32_t)v == NOP && why && strstr(why, "range"),
	      "far slot stays slow");
	CHECK(!sc_arch_decode_slot((uint8_t *)slot, 0xd61f020090000010ull, &r),
	      "br is no slot form");
}

/* Lazy binding's slot form: word 0 `b` to the bind block
 * SC_A64_BIND_BLOCK bytes before the slot (one B over NOP: a change the
 * architecture allows while other cores run it), word 1 kept; it reaches
 * the key's value (through the slow path) as NOP does. */
static void test_bind_slot(uint8_t *code)
{
	uint32_t *slot = (uint32_t *)(code + 2048);
	slot[0] = NOP;
	slot[1] = 0x90000010u;
	uint64_t live, bind;
	memcpy(&live, slot, 8);
	bind = sc_arch_bind_slot(live);
	CHECK((uint32_t)bind == enc(0x14000000u, slot,
				    (uint8_t *)slot - SC_A64_BIND_BLOCK),
	      "bind slot word 0 %08x", (uint32_t)bind);
	CHECK((uint32_t)(bind >> 32) == 0x90000010u, "bind slot keeps word 1");
	CHECK(is_b_bl_nop((uint32_t)bind), "bind form is a B");
	void *r = code;
	CHECK(sc_arch_decode_slot((uint8_t *)slot, bind, &r) && !r,
	      "bind slot reaches the slow path");
	/* a target at the block's address would be the same word: the slot
	 * takes the slow path for it */
	const char *why = NULL;
	uint64_t v = sc_arch_encode_slot((uint8_t *)slot,
					 (uint8_t *)slot - SC_A64_BIND_BLOCK,
					 &why);
	CHECK((uint32_t)v == NOP && why, "target at the bind block: %08x",
	      (uint32_t)v);
}

/* The bind block as the plugins emit it, before the slot at `slot`, for
 * descriptor `desc`, calling `callee`; adr: `adr x16; nop` instead of
 * `adrp x16; add x16`, bti: `bti c` first. */
static void put_bind_block(uint8_t *slot, const void *desc, const void *callee,
			   int adr, int bti)
{
	uint32_t *b = (uint32_t *)(slot - SC_A64_BIND_BLOCK);
	b[0] = bti ? 0xd503245fu : NOP;
	if (adr) {
		intptr_t d = (intptr_t)desc - (intptr_t)&b[1];
		b[1] = 0x10000010u | ((uint32_t)(d & 3) << 29) |
		       ((uint32_t)((d >> 2) & 0x7ffff) << 5);
		b[2] = NOP;
	} else {
		intptr_t d = ((intptr_t)desc >> 12) - ((intptr_t)&b[1] >> 12);
		b[1] = 0x90000010u | ((uint32_t)(d & 3) << 29) |
		       ((uint32_t)((d >> 2) & 0x7ffff) << 5);
		b[2] = 0x91000210u | (uint32_t)(((uintptr_t)desc & 0xfff) << 10);
	}
	b[3] = 0xa9bf7bf0u; /* stp x16, x30, [sp, #-16]! */
	b[4] = enc(0x94000000u, &b[4], callee);
	b[5] = 0xa8c17bf0u; /* ldp x16, x30, [sp], #16 */
	b[6] = enc(0x14000000u, &b[6], slot + 4);
	b[7] = NOP;
}

/* The bind block is checked word by word before a slot is pointed at
 * it: the exact block passes (either spelling of the descriptor's
 * address, with or without `bti c`) and names its callee; any other bit
 * of it, another descriptor, or a branch that misses the slow path
 * fails. */
static void test_bind_block(uint8_t *code)
{
	uint8_t *slot = code + 3072;
	const uint8_t *desc = code + 5000 * 4 + 8, *callee = code - 4096;
	const uint8_t *lo;
	const void *got;
	for (int v = 0; v < 4; v++) {
		int adr = v & 1, bti = v >> 1;
		put_bind_block(slot, desc, callee, adr, bti);
		lo = NULL, got = NULL;
		CHECK(sc_arch_bind_block_ok(slot, desc, &lo, &got) &&
		      lo == slot - SC_A64_BIND_BLOCK && got == callee,
		      "exact block (adr %d, bti %d) accepted", adr, bti);
		CHECK(!sc_arch_bind_block_ok(slot, desc + 8, &lo, &got),
		      "another descriptor (adr %d)", adr);
		uint32_t *b = (uint32_t *)(slot - SC_A64_BIND_BLOCK);
		for (int w = 0; w < 8; w++)
			for (int bit = 0; bit < 32; bit++) {
				/* the callee's displacement: any target */
				if (w == 4 && bit < 26)
					continue;
				/* an unused word of `adr; nop`: none */
				uint32_t keep = b[w];
				b[w] ^= 1u << bit;
				int ok = sc_arch_bind_block_ok(slot, desc, &lo,
							       &got);
				/* bti c <-> nop is the one allowed flip */
				CHECK(!ok || (w == 0 && b[0] == (bti ? NOP :
							0xd503245fu)),
				      "word %d bit %d changed (adr %d bti %d), "
				      "block still accepted", w, bit, adr, bti);
				b[w] = keep;
			}
	}
}

static void test_real_cas(void)
{
	_Alignas(8) uint32_t m[2] = { 0x94000010u, NOP };
	uint64_t old, nw;
	memcpy(&old, m, 8);
	uint32_t n2[2] = { 0x94000020u, 0x14000001u };
	memcpy(&nw, n2, 8);
	CHECK(sc_arch_cas_code((uint64_t *)m, old, nw) && m[0] == n2[0] &&
	      m[1] == n2[1], "both halves");
	/* second half does not match: first is put back */
	m[1] = NOP;
	uint64_t cur;
	memcpy(&cur, m, 8);
	uint64_t expect = (cur & 0xffffffffull) | ((uint64_t)0x14000001u << 32);
	CHECK(!sc_arch_cas_code((uint64_t *)m, expect, old) &&
	      m[0] == n2[0] && m[1] == NOP, "failed CAS leaves nothing changed");
}

/* One key with: sites at offsets 0 and 4 of quadwords, two sharing one
 * quadword, a tail site, and a trampoline slot. */
#define NSITES 5
static uint8_t *code;
static struct sc_site sites[NSITES];
static struct sc_site *site_ptrs[NSITES];
static struct sc_tramp tramp, *tramp_ptrs[1];
static struct sc_object obj;
static struct sc_key key;
static void *keyvar;

static void setup(void)
{
	/* 2 pages of fake code, the trampoline at the start of page 1 */
	uint8_t *tr = code + 4096;
	memset(code, 0, 8192);
	for (int i = 0; i < 2048; i++)
		((uint32_t *)code)[i] = 0xd2800000u | (uint32_t)i; /* mov x0, #i */
	((uint32_t *)tr)[0] = NOP;
	((uint32_t *)tr)[1] = 0x90000010u; /* adrp x16 */
	((uint32_t *)tr)[2] = 0xf9400210u; /* ldr x16, [x16] */
	((uint32_t *)tr)[3] = 0xd61f0200u; /* br x16 */
	tramp = (struct sc_tramp){ .key = &key, .object = &obj };
	tramp.code = (struct sc_code){ .insn = tr, .len = 8, .kind = SC_INSN_SLOT,
				       .state = SC_CODE_OK, .prot = PROT_READ | PROT_EXEC };
	memcpy(tramp.code.bytes, tr, 8);
	static const int off[NSITES] = { 0, 12, 16, 20, 36 }; /* 16,20 share */
	for (int i = 0; i < NSITES; i++) {
		uint8_t *at = code + off[i];
		int tail = i == 4;
		uint32_t w = enc(tail ? 0x14000000u : 0x94000000u, at, tr);
		memcpy(at, &w, 4);
		sites[i] = (struct sc_site){ .record_addr = at, .tramp = &tramp,
					     .object = &obj,
					     .flags = tail ? SC_SITE_TAIL : 0 };
		sites[i].code = (struct sc_code){ .insn = at, .len = 4,
						  .kind = tail ? SC_INSN_JMP : SC_INSN_CALL,
						  .state = SC_CODE_OK,
						  .prot = PROT_READ | PROT_EXEC };
		memcpy(sites[i].code.bytes, at, 4);
		site_ptrs[i] = &sites[i];
	}
	tramp_ptrs[0] = &tramp;
	obj.segs[0] = (struct sc_segment){ (uintptr_t)code, (uintptr_t)code + 8192,
					   PROT_READ | PROT_EXEC };
	obj.nsegs = 1;
	key = (struct sc_key){ .var = &keyvar, .sites = site_ptrs,
			       .nsites = NSITES, .tramps = tramp_ptrs,
			       .ntramps = 1 };
}

/* Every word of the fake code other than the sites and the slot is as set
 * up; the sites and slot reach where they should. */
static void check_code(const char *what, const void *target, int direct)
{
	uint8_t *tr = code + 4096;
	for (int i = 0; i < NSITES; i++) {
		struct sc_decoded d = sc_decode_site(&sites[i].code,
						     sites[i].code.insn, tr);
		if (direct) {
			CHECK(d.reaches == target &&
			      d.form == (i == 4 ? STATIC_CALL_SITE_TAIL_JUMP
						: STATIC_CALL_SITE_DIRECT),
			      "%s: site %d form %d reaches %p", what, i, d.form,
			      d.reaches);
		} else {
			CHECK(d.form == STATIC_CALL_SITE_TRAMPOLINE,
			      "%s: site %d not on its trampoline (form %d)", what,
			      i, d.form);
		}
		CHECK(!memcmp(sites[i].code.bytes, sites[i].code.insn, 4),
		      "%s: site %d: runtime's copy differs from memory", what, i);
	}
	for (int i = 0; i < 1024; i++) {
		uint8_t *at = code + 4 * i;
		int is_site = 0;
		for (int s = 0; s < NSITES; s++)
			is_site |= sites[s].code.insn == at;
		if (!is_site)
			CHECK(*(uint32_t *)at == (0xd2800000u | (uint32_t)i),
			      "%s: non-site word %d changed", what, i);
	}
	uint32_t w1 = ((uint32_t *)tr)[1];
	CHECK(w1 == 0x90000010u, "%s: slot word 1 changed", what);
}

static void batch(const char *what, void *target, int direct)
{
	nev = 0;
	keyvar = target;
	int rc = sc_patch_key(&key, target, SC_PATCH_EXACT);
	CHECK(rc == 0, "%s: sc_patch_key = %d", what, rc);
	check_log(what);
	check_code(what, target, direct);
}

/* ---- inline forms (runtime/inline.c, genfn.c) ------------------------- */

/* arm64 sites may change only among B, BL and NOP while threads run: no
 * site ever holds an inline form; a key holding a function with one gets
 * `bl` to that function (the batch's log checks B/BL/NOP). The generated
 * functions themselves run here (under qemu): bti c, movz/movk or mov,
 * ret, in a page that is read-execute and was never writable and
 * executable at once. */
static int page_prot_is_rx(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int rx = -1;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perm[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 &&
		    (uintptr_t)p >= lo && (uintptr_t)p < hi)
			rx = !strcmp(perm, "r-xp");
	}
	if (f)
		fclose(f);
	return rx;
}

static void test_inline_forms(uint8_t *inline_target)
{
	int err = 0;
	static const struct {
		uint64_t v;
		int size;
		uint64_t want;
	} consts[] = { { 42, 4, 42 },
		       { 0xffffffffu, 4, 0xffffffffu },
		       { UINT64_MAX, 8, UINT64_MAX },
		       { UINT64_MAX - 1, 0, UINT64_MAX - 1 },
		       { 0x123456789abcdef0ull, 8, 0x123456789abcdef0ull },
		       { 0x0000ffff00000000ull, 8, 0x0000ffff00000000ull } };
	for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++) {
		void *fn = sc_inline_const_fn(consts[i].v, consts[i].size, NULL, &err);
		CHECK(fn, "constant %#llx: no function (%d)",
		      (unsigned long long)consts[i].v, err);
		if (!fn)
			continue;
		uint64_t got = ((uint64_t(*)(void))fn)();
		if (consts[i].size == 4)
			got &= 0xffffffffu;
		CHECK(got == consts[i].want, "constant %#llx returned %#llx",
		      (unsigned long long)consts[i].v, (unsigned long long)got);
		CHECK(*(uint32_t *)fn == 0xd503245fu, "no bti c first");
		CHECK(page_prot_is_rx(fn) == 1, "generated page not r-x");
		CHECK(sc_inline_const_fn(consts[i].v, consts[i].size, NULL, &err) == fn,
		      "the same constant got another function");
		const struct sc_inline *f = sc_inline_find(fn);
		CHECK(f && f->len == 0 && f->form == STATIC_CALL_SITE_RETURN_CONST,
		      "constant %#llx: inline bytes on arm64",
		      (unsigned long long)consts[i].v);
	}
	for (int n = 0; n < 8; n++) {
		void *fn = sc_inline_ret_arg_fn(n, NULL, &err);
		CHECK(fn, "argument %d: no function", n);
		if (!fn)
			continue;
		long got = ((long (*)(long, long, long, long, long, long, long,
				      long))fn)(10, 11, 12, 13, 14, 15, 16, 17);
		CHECK(got == 10 + n, "argument %d returned %ld", n, got);
	}
	CHECK(!sc_inline_ret_arg_fn(8, NULL, &err) && err == -EINVAL,
	      "argument 8 (the stack) accepted");
	CHECK((void *)sc_inline_const_fn(0, 8, NULL, &err) == (void *)__staticcall_ret0,
	      "constant 0 is not return-zero");

	/* a one-instruction fragment (mov x0, x1) registered for a target in
	 * range: the sites call it, none holds the instruction */
	static const uint32_t mov_x0_x1 = 0xaa0103e0u;
	struct sc_inline frag = { .fn = inline_target, .len = 4, .ninsn = 1,
				  .form = STATIC_CALL_SITE_FRAGMENT };
	memcpy(frag.bytes, &mov_x0_x1, 4);
	CHECK(sc_inline_register(&frag) == 0, "fragment not registered");
	uint8_t out[SC_MAX_INSN];
	CHECK(!sc_arch_inline_site(&sites[0].code, frag.bytes, 4, 1, out),
	      "an arm64 site accepted an inline form");
}

/* ---- static keys (runtime/static_keys.c, staticcall/kernel.h) --------- */

/* A site is one instruction, NOP or `b label`, at either word of an
 * aligned quadword; as compiled it is `b` to its out-of-line load and
 * test. Anything else (BL, another instruction) is no form of a site, and
 * a label beyond +-128 MiB has no jump. */
static void test_jump_forms(uint8_t *code)
{
	long M = 1l << 27;
	CHECK(sc_arch_jump_len() == 4, "site length %d", sc_arch_jump_len());
	for (int off = 0; off < 8; off += 4) {
		uint8_t *site = code + 5120 + off, out[SC_MAX_INSN];
		uint8_t *label = code + 5120 + 64, *test = code + 5120 + 512;
		void *dest = NULL;
		uint32_t w;
		CHECK(sc_arch_jump_encode(site, NULL, out), "NOP (off %d)",
		      off);
		memcpy(&w, out, 4);
		CHECK(w == NOP, "NOP is %08x (off %d)", w, off);
		CHECK(sc_arch_jump_read(site, out, &dest) ==
			      STATIC_KEY_SITE_NOP,
		      "NOP read (off %d)", off);
		CHECK(sc_arch_jump_encode(site, label, out), "b (off %d)", off);
		memcpy(&w, out, 4);
		CHECK(w == enc(0x14000000u, site, label), "b is %08x (off %d)",
		      w, off);
		CHECK(sc_arch_jump_read(site, out, &dest) ==
				      STATIC_KEY_SITE_JUMP &&
			      dest == label,
		      "b read (off %d)", off);
		/* as compiled: b to the load and test */
		w = enc(0x14000000u, site, test);
		CHECK(sc_arch_jump_read(site, (uint8_t *)&w, &dest) ==
				      STATIC_KEY_SITE_JUMP &&
			      dest == test,
		      "compiled b read (off %d)", off);
		w = enc(0x94000000u, site, label); /* bl */
		CHECK(sc_arch_jump_read(site, (uint8_t *)&w, &dest) ==
			      STATIC_KEY_SITE_UNVERIFIED,
		      "bl read as a site form (off %d)", off);
		w = 0xd4200000u; /* brk #0 */
		CHECK(sc_arch_jump_read(site, (uint8_t *)&w, &dest) ==
			      STATIC_KEY_SITE_UNVERIFIED,
		      "brk read as a site form (off %d)", off);
		/* the edges of b's range */
		CHECK(sc_arch_jump_encode(site, site + M - 4, out) &&
			      sc_arch_jump_read(site, out, &dest) ==
				      STATIC_KEY_SITE_JUMP &&
			      dest == site + M - 4,
		      "max forward (off %d)", off);
		CHECK(!sc_arch_jump_encode(site, site + M, out),
		      "just out of range forward (off %d)", off);
		CHECK(sc_arch_jump_encode(site, site - M, out) &&
			      sc_arch_jump_read(site, out, &dest) ==
				      STATIC_KEY_SITE_JUMP &&
			      dest == site - M,
		      "max backward (off %d)", off);
		CHECK(!sc_arch_jump_encode(site, site - M - 4, out),
		      "just out of range backward (off %d)", off);
	}
}

/* kernel.h's load and test for a site at `site` reading the key pointer
 * at `keyref`, branching to `target` (docs/ABI.md, static keys). */
static void put_jump_test(uint32_t *t, const uint8_t *site, const void *keyref,
			  const void *target, int likely)
{
	intptr_t d = ((intptr_t)keyref >> 12) - ((intptr_t)&t[1] >> 12);
	t[0] = 0xa9bf47f0u; /* stp x16, x17, [sp, #-16]! */
	t[1] = 0x90000010u | ((uint32_t)(d & 3) << 29) |
	       ((uint32_t)((d >> 2) & 0x7ffff) << 5); /* adrp x16, keyref */
	t[2] = 0xf9400210u | (uint32_t)((((uintptr_t)keyref & 0xfff) / 8)
					<< 10); /* ldr x16, [x16, lo12] */
	t[3] = 0xb9400210u;			/* ldr w16, [x16] */
	t[4] = 0x7100021fu;			/* cmp w16, #0 */
	t[5] = 0xa8c147f0u;			/* ldp x16, x17, [sp], #16 */
	t[6] = 0x54000040u | (likely ? 0xcu : 0xdu); /* b.gt / b.le .+8 */
	t[7] = enc(0x14000000u, &t[7], target);
	t[8] = enc(0x14000000u, &t[8], site + 4);
}

/* The load and test is checked word by word before a site is used: the
 * exact block passes; another key pointer, label, site or sense fails, and
 * so does the block with any one of its bits flipped. */
static void test_jump_test_block(uint8_t *code)
{
	uint32_t *t = (uint32_t *)(code + 6144);
	const uint8_t *site = code + 5124, *target = code + 5200;
	const uint8_t *keyref = code - 3 * 4096 + 24; /* another page */
	for (int likely = 0; likely < 2; likely++) {
		put_jump_test(t, site, keyref, target, likely);
		CHECK(sc_arch_jump_test_ok((uint8_t *)t, site, keyref, target,
					   likely),
		      "exact block refused (likely %d)", likely);
		CHECK(!sc_arch_jump_test_ok((uint8_t *)t, site, keyref, target,
					    !likely),
		      "other sense accepted (likely %d)", likely);
		CHECK(!sc_arch_jump_test_ok((uint8_t *)t, site, keyref + 8,
					    target, likely),
		      "other key pointer accepted (likely %d)", likely);
		CHECK(!sc_arch_jump_test_ok((uint8_t *)t, site, keyref,
					    target + 4, likely),
		      "other label accepted (likely %d)", likely);
		CHECK(!sc_arch_jump_test_ok((uint8_t *)t, site + 4, keyref,
					    target, likely),
		      "other site accepted (likely %d)", likely);
		/* GNU ld's erratum 843419 fix: the adrp as `adr x16, <the
		 * key pointer's page>` (an adrp at a page's offset 0xff8 or
		 * 0xffc); an adr to another page is refused */
		uint32_t adrp = t[1];
		for (int other = 0; other < 2; other++) {
			intptr_t a = (intptr_t)((uintptr_t)keyref &
						~(uintptr_t)0xfff) +
				     other * 4096 - (intptr_t)&t[1];
			t[1] = 0x10000010u | ((uint32_t)(a & 3) << 29) |
			       ((uint32_t)((a >> 2) & 0x7ffff) << 5);
			CHECK(sc_arch_jump_test_ok((uint8_t *)t, site, keyref,
						   target, likely) == !other,
			      "adr form (likely %d, page +%d) %s", likely,
			      other, other ? "accepted" : "refused");
		}
		t[1] = adrp;
		for (int w = 0; w < (int)SC_JUMP_TEST_A64 / 4; w++)
			for (int bit = 0; bit < 32; bit++) {
				t[w] ^= 1u << bit;
				CHECK(!sc_arch_jump_test_ok((uint8_t *)t, site,
							    keyref, target,
							    likely),
				      "word %d bit %d changed (likely %d), "
				      "block still accepted",
				      w, bit, likely);
				t[w] ^= 1u << bit;
			}
	}
}

/* Live toggles of sites compiled in this file, watched through the text
 * writer's operations (the real ones underneath, each step recorded). */
DEFINE_STATIC_KEY_FALSE(a64_key);
DEFINE_STATIC_KEY_TRUE(a64_key_true);

__attribute__((noinline)) static int a64_unlikely(void)
{
	return static_branch_unlikely(&a64_key) ? 1 : 0;
}
__attribute__((noinline)) static int a64_likely(void)
{
	return static_branch_likely(&a64_key) ? 1 : 0;
}
__attribute__((noinline)) static int a64_true(void)
{
	return static_branch_likely(&a64_key_true) ? 1 : 0;
}

static const struct sc_text_ops *real_ops;
static int refuse_cas;

static int l_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	ev[nev++] = (struct event){ EV_OPEN, p, l, 0, 0, 1 };
	open_pages++;
	return real_ops->make_writable(real_ops->ctx, p, l, prot);
}
static int l_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	ev[nev++] = (struct event){ EV_RESTORE, p, l, 0, 0, 1 };
	open_pages--;
	return real_ops->restore(real_ops->ctx, p, l, prot);
}
static int l_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	CHECK(open_pages > 0, "write at %p while no page is writable",
	      (void *)w);
	int ok = !refuse_cas && real_ops->cas(real_ops->ctx, w, e, v);
	ev[nev++] = (struct event){ EV_CAS, (uintptr_t)w, 8, e, v, ok };
	return ok;
}
static void l_sync(void *c)
{
	(void)c;
	ev[nev++] = (struct event){ EV_SYNC, 0, 0, 0, 0, 1 };
	real_ops->sync_cores(real_ops->ctx);
}
static const struct sc_text_ops live_ops = { l_open, l_restore, l_cas, l_sync,
					     NULL };

static int cas_count(void)
{
	int n = 0;
	for (int i = 0; i < nev; i++)
		n += ev[i].kind == EV_CAS;
	return n;
}

/* The key's sites as the runtime reports them, each holding in memory the
 * form reported, the one the key's state `on` asks for. */
static int key_sites(struct static_key *k, struct static_key_site_info *info,
		     int on, const char *what)
{
	int n = static_key_sites(k, info, 8);
	CHECK(n > 0 && n <= 8, "%s: %d sites", what, n);
	for (int i = 0; i < n && i < 8; i++) {
		int jump = on != info[i].likely;
		void *dest = NULL;
		CHECK(info[i].form == (jump ? STATIC_KEY_SITE_JUMP :
					      STATIC_KEY_SITE_NOP) &&
			      !info[i].reason,
		      "%s: site %d form %d (%s)", what, i, info[i].form,
		      info[i].reason ? info[i].reason : "");
		CHECK(sc_arch_jump_read(info[i].address, info[i].address,
					&dest) == info[i].form &&
			      (!jump || dest == info[i].target),
		      "%s: site %d's memory is not its reported form", what, i);
	}
	return n;
}

/* The batch just logged: one 4-byte write per site (its quadword's other
 * word unchanged), from one form of the site to the other; then what
 * check_log asks of every batch (open pages, cache maintenance, sync). */
static void check_key_writes(struct static_key *k, int on, const char *what)
{
	struct static_key_site_info info[8];
	int n = key_sites(k, info, on, what);
	CHECK(cas_count() == n, "%s: %d writes for %d sites", what, cas_count(),
	      n);
	for (int i = 0; i < nev; i++) {
		struct event *e = &ev[i];
		if (e->kind != EV_CAS)
			continue;
		CHECK(e->ok, "%s: a write failed", what);
		int changed = 0;
		for (int h = 0; h < 2; h++) {
			uint32_t o = (uint32_t)(e->expect >> (32 * h));
			uint32_t v = (uint32_t)(e->value >> (32 * h));
			if (o == v)
				continue;
			changed++;
			uint8_t *at = (uint8_t *)e->addr + 4 * h;
			int j = 0;
			while (j < n && info[j].address != at)
				j++;
			CHECK(j < n, "%s: word %p changed, no site of the key",
			      what, (void *)at);
			if (j == n)
				continue;
			int jump = on != info[j].likely;
			void *dest = NULL;
			CHECK(sc_arch_jump_read(at, (uint8_t *)&v, &dest) ==
					      (jump ? STATIC_KEY_SITE_JUMP :
						      STATIC_KEY_SITE_NOP) &&
				      (!jump || dest == info[j].target),
			      "%s: site %d written %08x", what, j, v);
			CHECK(sc_arch_jump_read(at, (uint8_t *)&o, &dest) ==
				      (jump ? STATIC_KEY_SITE_NOP :
					      STATIC_KEY_SITE_JUMP),
			      "%s: site %d held %08x", what, j, o);
		}
		CHECK(changed == 1, "%s: a write changes %d words", what,
		      changed);
	}
	check_log(what);
}

static void test_key_toggles(void)
{
	struct static_key_site_info info[8];
	int n = key_sites(&a64_key.key, info, 0, "registered, disabled");
	CHECK(n == 2, "a64_key has %d sites, 2 compiled", n);
	CHECK(!a64_unlikely() && !a64_likely() && a64_true(),
	      "branches at registration");
	sc_set_text_ops(NULL);
	real_ops = sc_text_ops();
	sc_set_text_ops(&live_ops);

	nev = 0;
	CHECK(static_branch_enable(&a64_key) == 0, "enable");
	check_key_writes(&a64_key.key, 1, "enable");
	CHECK(a64_unlikely() && a64_likely(), "branches enabled");
	nev = 0;
	CHECK(static_branch_inc(&a64_key) == 0 &&
		      static_key_count(&a64_key) == 2,
	      "inc to 2");
	CHECK(static_branch_dec(&a64_key) == 0 &&
		      static_key_count(&a64_key) == 1,
	      "dec to 1");
	CHECK(nev == 0, "counting without a change of state wrote (%d events)",
	      nev);
	CHECK(static_branch_dec(&a64_key) == 0, "dec to 0");
	check_key_writes(&a64_key.key, 0, "dec to 0");
	CHECK(!a64_unlikely() && !a64_likely(), "branches disabled");
	nev = 0;
	CHECK(static_branch_dec(&a64_key) == -ERANGE, "underflow accepted");
	CHECK(nev == 0 && static_key_count(&a64_key) == 0,
	      "underflow wrote (%d events) or counted", nev);
	nev = 0;
	CHECK(static_branch_inc(&a64_key) == 0, "inc from 0");
	check_key_writes(&a64_key.key, 1, "inc from 0");
	nev = 0;
	CHECK(static_branch_disable(&a64_key) == 0, "disable");
	check_key_writes(&a64_key.key, 0, "disable");

	/* a refused write: nothing changes, the count is kept */
	nev = 0;
	refuse_cas = 1;
	int err = static_branch_disable(&a64_key_true);
	refuse_cas = 0;
	CHECK(err == -EBUSY, "refused write returned %d", err);
	CHECK(static_key_count(&a64_key_true) == 1 && a64_true(),
	      "refused write changed the key");
	CHECK(open_pages == 0, "refused write left %d pages open", open_pages);
	key_sites(&a64_key_true.key, info, 1, "after a refused write");

	/* a site that does not hold what the runtime last wrote (another
	 * writer put the enabled form there): refused, nothing written */
	n = key_sites(&a64_key.key, info, 0, "before another writer");
	sc_set_text_ops(NULL);
	int u = !info[0].likely ? 0 : 1; /* the unlikely site: a NOP now */
	uint8_t *at = info[u].address;
	uint64_t *word = (uint64_t *)((uintptr_t)at & ~7ul);
	uint64_t was = sc_code_load64(word), other = was;
	uint32_t b = enc(0x14000000u, at, info[u].target);
	memcpy((uint8_t *)&other + ((uintptr_t)at & 7), &b, 4);
	struct sc_write w = { word, was, other, 0, 1, PROT_READ | PROT_EXEC };
	CHECK(sc_text_apply(&w, 1) == 0, "the other writer's write");
	sc_set_text_ops(&live_ops);
	nev = 0;
	err = static_branch_enable(&a64_key);
	CHECK(err == -EBUSY, "enable over another writer's word returned %d",
	      err);
	CHECK(cas_count() == 0,
	      "%d words written although a site was not "
	      "what the runtime wrote",
	      cas_count());
	CHECK(static_key_count(&a64_key) == 0, "count changed");
	CHECK(sc_code_load64(word) == other, "the other writer's word changed");
	int stale = sc_own_verify(0);
	CHECK(stale == 1, "verify found %d stale sites, 1 changed", stale);
	sc_set_text_ops(NULL);
	w = (struct sc_write){ word, other, was, 0, 1, PROT_READ | PROT_EXEC };
	CHECK(sc_text_apply(&w, 1) == 0, "the other writer's word put back");
	stale = sc_own_verify(0);
	CHECK(stale == 0, "verify found %d stale sites, none changed", stale);
	CHECK(static_branch_enable(&a64_key) == 0 && a64_unlikely(),
	      "enable once the site is back");
	CHECK(static_branch_disable(&a64_key) == 0 && !a64_unlikely(),
	      "disable once the site is back");
}

int main(void)
{
	/* Reserve a region big enough to name targets in and out of range;
	 * nothing there is ever executed. */
	size_t span = (size_t)1 << 29;
	uint8_t *region = mmap(NULL, span, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	code = region + ((size_t)1 << 28);
	if (mprotect(code, 8192, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		return 2;
	}
	test_encodings(code);
	test_bind_slot(code);
	test_bind_block(code);
	test_real_cas();
	test_jump_forms(code);
	test_jump_test_block(code);

	sc_set_text_ops(&rec_ops);
	sc_set_code_flush(t_flush, NULL);
	setup();
	uint8_t *near1 = code + 8192 + 64, *near2 = code - 4096;
	uint8_t *far = code + ((size_t)1 << 27) + 4096 + 64;
	batch("trampoline -> near target", near1, 1);
	batch("near -> other near target", near2, 1);
	/* far: sites back to the trampoline, the slot falls through (NOP) */
	batch("near -> far target", far, 0);
	CHECK(*(uint32_t *)(code + 4096) == NOP, "slot not slow for a far target");
	{
		const char *why = NULL;
		uint8_t out[SC_MAX_INSN];
		CHECK(!sc_arch_encode_site(&sites[0].code, far, out, &why) &&
		      why && strstr(why, "128 MiB"), "far site reason: %s",
		      why ? why : "(none)");
	}
	batch("far -> near target", near1, 1);
	batch("near -> NULL", NULL, 0);
	CHECK(*(uint32_t *)(code + 4096) == NOP, "slot not slow for NULL");
	batch("NULL -> near", near2, 1);
	/* inline forms: BL to the function, never its instruction */
	uint8_t *frag_fn = code + 8192 + 256;
	test_inline_forms(frag_fn);
	batch("near -> fragment function", frag_fn, 1);
	batch("fragment function -> near", near2, 1);
	/* lazy binding: a trampoline with call sites not bound yet has its
	 * slot in bind form, written like any slot change; when none is
	 * left it takes its normal form again */
	tramp.unbound = 1;
	batch("slot to bind form", near1, 1);
	CHECK(*(uint32_t *)(code + 4096) ==
	      enc(0x14000000u, code + 4096, code + 4096 - SC_A64_BIND_BLOCK),
	      "slot not in bind form: %08x", *(uint32_t *)(code + 4096));
	tramp.unbound = 0;
	batch("slot from bind form", near2, 1);
	CHECK(*(uint32_t *)(code + 4096) == enc(0x14000000u, code + 4096, near2),
	      "slot not direct after binding: %08x", *(uint32_t *)(code + 4096));

	/* A word changed behind the runtime's back (a breakpoint): refused,
	 * nothing written. */
	uint32_t saved = *(uint32_t *)sites[2].code.insn;
	*(uint32_t *)sites[2].code.insn = 0xd4200000u; /* brk #0 */
	nev = 0;
	int rc = sc_patch_key(&key, near1, SC_PATCH_EXACT);
	CHECK(rc == -EBUSY, "update over a breakpoint returned %d", rc);
	int wrote = 0;
	for (int i = 0; i < nev; i++)
		wrote |= ev[i].kind == EV_CAS;
	CHECK(!wrote, "a word was written although verification failed");
	*(uint32_t *)sites[2].code.insn = saved;

	test_key_toggles();

	sc_set_text_ops(NULL);
	sc_set_code_flush(NULL, NULL);
	printf("arm64 backend: %s (%d failures)\n", failures ? "FAILED" : "ok",
	       failures);
	return failures ? 1 : 0;
}
