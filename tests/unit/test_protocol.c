/*
 * The write sequence other threads can observe, checked exhaustively, with
 * threads that were stopped inside a site and resume after the update.
 *
 * Fake sites (call, tail jump and jcc; plain and guarded; every offset in
 * an aligned word; three sites sharing words) go through the real planner
 * and text writer, from the compiled form (a call of the trampoline)
 * through every pair of key values (two targets, NULL, return-zero), with
 * and without STATICCALL_STRADDLE=wait. Every word write and core sync is
 * recorded through injected operations, then replayed: between two syncs a
 * fetch may see any mix of the words written in that phase (each word
 * whole, old or new), so for every phase and every subset of its writes:
 *
 *  - a thread arriving at a site's first byte must find the old
 *    instruction, the new one, the documented wait `jmp .` (EB FE) or
 *    the call of its trampoline (which follows the key);
 *  - a thread stopped at any instruction boundary inside the site of ANY
 *    form the site has had (docs/PATCHING.md, rule 2) must find, from
 *    there on, exactly the instructions of that form: it resumes in the
 *    middle of that form and must finish it with the same meaning;
 *  - no byte outside the sites changes.
 *
 * Instruction boundaries come from Zydis, not from the runtime's encoder:
 * the oracle is independent on purpose. A form of two instructions (the
 * old `xor %eax,%eax; nop` return-zero) or a form change written as two
 * words in one phase (the old offset-7 plan) fails here.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <Zydis/Zydis.h>

#include "internal.h"

struct rec {
	int sync; /* 1: a core sync; 0: a CAS */
	uint64_t *word;
	uint64_t old_value, new_value;
};
static struct rec recs[256];
static int nrec;

static int r_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c; (void)p; (void)l; (void)prot;
	return 0;
}
static int r_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	cr_assert_eq(*w, e, "CAS expects a value the word does not hold");
	cr_assert_lt(nrec, 256);
	recs[nrec++] = (struct rec){ 0, w, e, v };
	*w = v;
	return 1;
}
static void r_sync(void *c)
{
	(void)c;
	cr_assert_lt(nrec, 256);
	recs[nrec++] = (struct rec){ 1, NULL, 0, 0 };
}
static const struct sc_text_ops rec_ops = { r_open, r_open, r_cas, r_sync, NULL };

static _Alignas(64) uint8_t mem[192];
static _Alignas(16) uint8_t slot_mem[16];
static void *key_var;

#define MAXF 3
#define MAXHIST 16
#define SITE_BASE 16 /* sites start at mem + SITE_BASE + offset */

struct fake {
	struct sc_site site;
	int kind;
	/* every form the site has held, oldest first */
	uint8_t hist[MAXHIST][SC_MAX_INSN];
	int nhist;
};

static ZydisDecoder dec;

/* Length of the instruction at b (at most max bytes), 0 if invalid; sets
 * *transfer when control never falls through to the next byte. */
static int insn_at(const uint8_t *b, int max, int *transfer)
{
	ZydisDecodedInstruction in;
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, b, (ZyanUSize)max, &in)))
		return 0;
	*transfer = in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
		    in.meta.category == ZYDIS_CATEGORY_RET;
	return in.length;
}

/* The boundaries inside a form where a thread can be stopped and later
 * resume (after an instruction that falls through), excluding 0 and the
 * end. Returns how many. */
static int resume_points(const uint8_t *form, int len, int *out)
{
	uint8_t buf[16];
	memset(buf, 0xcc, sizeof buf);
	memcpy(buf, form, (size_t)len);
	int n = 0;
	for (int p = 0; p < len;) {
		int transfer = 0, l = insn_at(buf + p, 16 - p, &transfer);
		cr_assert_gt(l, 0, "a form holds an invalid instruction at +%d", p);
		if (transfer || p + l >= len)
			break;
		p += l;
		out[n++] = p;
	}
	return n;
}

/* Does the image at the site, from p on, hold the instructions of `form`
 * from p on, up to its end or its first transfer (same bytes)? */
static int same_from(const uint8_t *img, const uint8_t *form, int len, int p)
{
	uint8_t buf[16];
	memset(buf, 0xcc, sizeof buf);
	memcpy(buf, form, (size_t)len);
	while (p < len) {
		int transfer = 0, l = insn_at(buf + p, 16 - p, &transfer);
		if (!l || memcmp(img + p, buf + p, (size_t)l))
			return 0;
		if (transfer)
			return 1;
		p += l;
	}
	return 1;
}

/* A thread arriving at the first byte: the whole first instruction of the
 * old or of the new form, `jmp .`, or the call of the trampoline (the
 * compiled form, which always follows the key: the step between two
 * direct forms a straddling site cannot go between in one write). */
static int valid_entry(const uint8_t *img, const uint8_t *old, const uint8_t *new,
		       const uint8_t *tramp_form, int len)
{
	if (img[0] == 0xeb && img[1] == 0xfe)
		return 1;
	const uint8_t *forms[3] = { old, new, tramp_form };
	for (int i = 0; i < 3; i++) {
		uint8_t buf[16];
		memset(buf, 0xcc, sizeof buf);
		memcpy(buf, forms[i], (size_t)len);
		int transfer, l = insn_at(buf, 16, &transfer);
		if (l && !memcmp(img, buf, (size_t)l))
			return 1;
	}
	return 0;
}

/* The object, key and trampoline the fake sites belong to. */
static struct sc_object obj;
static struct sc_tramp tramp;
static struct sc_key key;
static struct sc_site *ptrs[MAXF];
static struct sc_tramp *tptr = &tramp;

static void setup_key(struct fake *f, int nf)
{
	memset(&tramp, 0, sizeof tramp);
	tramp.code.insn = slot_mem;
	tramp.code.len = 8;
	tramp.code.kind = SC_INSN_SLOT;
	tramp.code.state = SC_CODE_OK;
	tramp.code.prot = PROT_READ | PROT_EXEC;
	uint64_t slow = 0xcccccccccccc06ebull;
	memcpy(slot_mem, &slow, 8);
	memcpy(tramp.code.bytes, &slow, 8);

	/* One pretend executable segment holding both buffers. */
	uintptr_t lo = (uintptr_t)mem < (uintptr_t)slot_mem ? (uintptr_t)mem : (uintptr_t)slot_mem;
	uintptr_t hi = (uintptr_t)mem > (uintptr_t)slot_mem ? (uintptr_t)mem : (uintptr_t)slot_mem;
	obj.nsegs = 1;
	obj.segs[0] = (struct sc_segment){ lo & ~(uintptr_t)4095,
					   (hi + 4096 + sizeof mem) & ~(uintptr_t)4095,
					   PROT_READ | PROT_EXEC };
	tramp.object = &obj;

	memset(&key, 0, sizeof key);
	key.var = &key_var;
	key.sites = ptrs;
	key.nsites = (size_t)nf;
	key.tramps = &tptr;
	key.ntramps = 1;
	tramp.key = &key;
	for (int i = 0; i < nf; i++) {
		struct sc_code *c = &f[i].site.code;
		c->len = (uint8_t)sc_arch_insn_len(f[i].kind);
		c->kind = (uint8_t)f[i].kind;
		memcpy(c->bytes, c->insn, c->len);
		sc_arch_keep_compiled(c, c->insn);
		c->state = SC_CODE_OK;
		c->prot = PROT_READ | PROT_EXEC;
		f[i].site.tramp = &tramp;
		f[i].site.object = &obj;
		ptrs[i] = &f[i].site;
		memcpy(f[i].hist[0], c->insn, c->len);
		f[i].nhist = 1;
	}
}

/* The compiled site: a call (jmp, jcc) of the trampoline. */
static void put(uint8_t *insn, int kind)
{
	int len = sc_arch_insn_len(kind);
	int32_t rel = (int32_t)((intptr_t)slot_mem - (intptr_t)(insn + len));
	if (kind == SC_INSN_JCC) {
		insn[0] = 0x0f;
		insn[1] = 0x84;
	} else {
		insn[0] = kind == SC_INSN_CALL ? 0xe8 : 0xe9;
	}
	memcpy(insn + len - 4, &rel, 4);
}

/* One site of this kind at this offset in a word, as compiled (a call of
 * the trampoline), alone in a fresh buffer. */
static void fresh_site(struct fake *f, int kind, int off)
{
	memset(mem, 0x90, sizeof mem);
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->site.code.insn = mem + SITE_BASE + off;
	put(f->site.code.insn, kind);
	setup_key(f, 1);
}

static const char *value_name(const void *v)
{
	static char buf[64];
	if (!v)
		return "NULL";
	if (v == (void *)__staticcall_ret0)
		return "ret0";
	const struct sc_inline *f = sc_inline_find(v);
	if (f) {
		snprintf(buf, sizeof buf, "inline form %d, %d bytes", f->form,
			 f->len);
		return buf;
	}
	return (const uint8_t *)v == mem + 150 ? "A" : "B";
}

/* Does the site now do what a key holding v means? */
static void check_meaning(const struct fake *f, const void *v)
{
	const struct sc_code *c = &f->site.code;
	struct sc_decoded d = sc_decode_site(c, c->insn, slot_mem);
	int ok;
	switch (d.form) {
	case STATIC_CALL_SITE_TRAMPOLINE: ok = 1; break; /* follows the key */
	case STATIC_CALL_SITE_DIRECT:
	case STATIC_CALL_SITE_TAIL_JUMP: ok = v && d.reaches == v; break;
	case STATIC_CALL_SITE_NOP: ok = !v && c->cond; break;
	case STATIC_CALL_SITE_RETURN_ZERO: ok = v == (void *)__staticcall_ret0; break;
	case STATIC_CALL_SITE_RETURN_CONST:
	case STATIC_CALL_SITE_RETURN_ARG:
	case STATIC_CALL_SITE_FRAGMENT: {
		/* the inline form of the key's value, and only at a call */
		const struct sc_inline *fi = sc_inline_find(v);
		ok = fi && fi->form == d.form && c->kind == SC_INSN_CALL &&
		     sc_inline_of_site(c, c->insn) == fi;
		break;
	}
	default: ok = 0;
	}
	cr_assert(ok, "site kind %d at offset %ld holds form %d for key value %s",
		  f->kind, (long)((uintptr_t)c->insn & 7), d.form, value_name(v));
}

/* Update the key to v through the real planner and writer, then replay
 * every observable state. */
static void update_and_replay(struct fake *f, int nf, void *v)
{
	uint8_t before[sizeof mem];
	memcpy(before, mem, sizeof mem);
	nrec = 0;
	sc_set_text_ops(&rec_ops);
	int err = sc_patch_key(&key, v, SC_PATCH_EXACT);
	sc_set_text_ops(NULL);
	cr_assert_eq(err, 0, "update to %s refused", value_name(v));
	uint8_t after[sizeof mem];
	memcpy(after, mem, sizeof mem);

	uint8_t img[sizeof mem];
	memcpy(img, before, sizeof mem);
	int syncs = 0;
	for (int start = 0; start < nrec;) {
		int end = start;
		while (end < nrec && !recs[end].sync)
			end++;
		int k = end - start;
		cr_assert_leq(k, 12);
		for (unsigned mask = 0; mask < (1u << k); mask++) {
			uint8_t t[sizeof mem];
			memcpy(t, img, sizeof mem);
			for (int j = 0; j < k; j++) {
				uint8_t *w = (uint8_t *)recs[start + j].word;
				if ((mask & (1u << j)) && w >= mem && w < mem + sizeof mem)
					memcpy(t + (w - mem), &recs[start + j].new_value, 8);
			}
			for (int i = 0; i < nf; i++) {
				uint8_t *insn = f[i].site.code.insn;
				int len = f[i].site.code.len;
				long off = (long)((uintptr_t)insn & 7);
				const uint8_t *ts = t + (insn - mem);
				cr_assert(valid_entry(ts, before + (insn - mem),
						      after + (insn - mem),
						      f[i].hist[0], len),
					  "site %d (kind %d, offset %ld) -> %s: torn "
					  "instruction at its first byte, writes "
					  "%#x of a phase", i, f[i].kind, off,
					  value_name(v), mask);
				for (int h = 0; h < f[i].nhist; h++) {
					int rp[SC_MAX_INSN];
					int nrp = resume_points(f[i].hist[h], len, rp);
					for (int r = 0; r < nrp; r++)
						cr_assert(same_from(ts, f[i].hist[h], len, rp[r]),
							  "site %d (kind %d, offset %ld) "
							  "-> %s: a thread stopped at +%d "
							  "in an earlier form resumes in "
							  "other instructions (writes %#x "
							  "of a phase)", i, f[i].kind, off,
							  value_name(v), rp[r], mask);
				}
			}
			/* bytes outside every instruction never change */
			for (size_t b = 0; b < sizeof mem; b++) {
				int inside = 0;
				for (int i = 0; i < nf; i++) {
					uint8_t *in = f[i].site.code.insn;
					if (mem + b >= in && mem + b < in + f[i].site.code.len)
						inside = 1;
				}
				if (!inside)
					cr_assert_eq(t[b], before[b], "byte %zu changed", b);
			}
		}
		for (int j = start; j < end; j++) {
			uint8_t *w = (uint8_t *)recs[j].word;
			if (w >= mem && w < mem + sizeof mem)
				memcpy(img + (w - mem), &recs[j].new_value, 8);
		}
		start = end;
		while (start < nrec && recs[start].sync) {
			start++;
			syncs++;
		}
	}
	cr_assert_leq(syncs, SC_PHASES, "more syncs than phases");
	for (int i = 0; i < nf; i++) {
		check_meaning(&f[i], v);
		struct sc_code *c = &f[i].site.code;
		cr_assert_lt(f[i].nhist, MAXHIST);
		memcpy(f[i].hist[f[i].nhist++], c->insn, c->len);
	}
}

static void set_wait(int wait)
{
	((struct sc_env *)sc_env())->straddle_wait = wait;
}

/* Key values the sequences go through: two targets, NULL, return-zero,
 * then functions with inline forms (their code is never run here: only
 * their addresses, which tail sites and trampolines jump to). */
#define NVALUES 9
static void *values[NVALUES];

/* One inline form per kind the runtime writes (arch_x86_64.c's encoders,
 * so a change there is checked here) and two one-instruction fragments:
 * 5 bytes (popcnt %rdi,%rax) and 4 bytes, padded (lzcnt %edi,%eax). */
static void add_inline(int i, uint8_t *fn, int form, const uint8_t *b, int len)
{
	struct sc_inline f = { .fn = fn, .len = (uint8_t)len, .ninsn = 1,
			       .form = (uint8_t)form };
	memcpy(f.bytes, b, (size_t)len);
	cr_assert_eq(sc_inline_register(&f), 0);
	values[i] = fn;
}

static void init_values(void)
{
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	values[0] = mem + 150;
	values[1] = mem + 170;
	values[2] = NULL;
	values[3] = (void *)__staticcall_ret0;
	uint8_t b[SC_MAX_INSN];
	int len = sc_arch_inline_const(42, 4, b);
	cr_assert_eq(len, 5);
	add_inline(4, mem + 100, STATIC_CALL_SITE_RETURN_CONST, b, len);
	len = sc_arch_inline_const(UINT64_MAX, 8, b); /* or $-1,%rax */
	cr_assert_eq(len, 4);
	add_inline(5, mem + 104, STATIC_CALL_SITE_RETURN_CONST, b, len);
	len = sc_arch_inline_ret_arg(1, b); /* mov %rsi,%rax */
	cr_assert_eq(len, 3);
	add_inline(6, mem + 108, STATIC_CALL_SITE_RETURN_ARG, b, len);
	static const uint8_t popcnt[5] = { 0xf3, 0x48, 0x0f, 0xb8, 0xc7 };
	static const uint8_t lzcnt[4] = { 0xf3, 0x0f, 0xbd, 0xc7 };
	add_inline(7, mem + 112, STATIC_CALL_SITE_FRAGMENT, popcnt, 5);
	add_inline(8, mem + 116, STATIC_CALL_SITE_FRAGMENT, lzcnt, 4);
	cr_assert_eq(sc_arch_inline_const(UINT64_MAX - 1, 8, b), 0,
		     "-2 in 64 bits has no 5-byte form");
	cr_assert_eq(sc_arch_inline_ret_arg(6, b), 0, "a stack argument");
}

Test(protocol, every_form_pair_at_every_offset_with_resumption)
{
	init_values();
	for (int wait = 0; wait < 2; wait++)
		for (int kind = SC_INSN_CALL; kind <= SC_INSN_JCC; kind++)
			for (int cond = 0; cond < 2; cond++) {
				if (kind == SC_INSN_JCC && cond)
					continue; /* guarded sites are calls and jumps */
				for (int off = 0; off < 8; off++)
					for (int a = 0; a < NVALUES; a++)
						for (int b = 0; b < NVALUES; b++) {
							if (a == b)
								continue;
							set_wait(wait);
							struct fake f;
							fresh_site(&f, kind, off);
							f.site.code.cond = (uint8_t)cond;
							update_and_replay(&f, 1, values[a]);
							update_and_replay(&f, 1, values[b]);
							update_and_replay(&f, 1, values[a]);
						}
			}
	set_wait(0);
}

Test(protocol, neighbouring_sites_sharing_words_compose)
{
	init_values();
	for (int wait = 0; wait < 2; wait++)
		for (int off = 0; off < 8; off++) {
			set_wait(wait);
			memset(mem, 0x90, sizeof mem);
			struct fake f[3] = { 0 };
			uint8_t *p = mem + SITE_BASE + off;
			int kinds[3] = { SC_INSN_CALL, SC_INSN_JCC, SC_INSN_JMP };
			for (int i = 0; i < 3; i++) {
				f[i].kind = kinds[i];
				f[i].site.code.insn = p;
				put(p, kinds[i]);
				p += sc_arch_insn_len(kinds[i]);
			}
			setup_key(f, 3);
			f[0].site.code.cond = f[2].site.code.cond = 1;
			for (int v = 0; v < NVALUES; v++)
				update_and_replay(f, 3, values[v]);
			update_and_replay(f, 3, values[0]);
		}
	set_wait(0);
}

/* Without the wait, a site whose displacement straddles a word is written
 * only when the bytes that change happen to share a word; otherwise it
 * stays a call of its trampoline, which follows the key, and says why. */
Test(protocol, straddling_sites_stay_on_their_trampoline_without_wait)
{
	init_values();
	set_wait(0);
	for (int off = 4; off <= 6; off++) {
		struct fake f;
		fresh_site(&f, SC_INSN_CALL, off);
		uint8_t compiled[5];
		memcpy(compiled, f.site.code.insn, 5);
		/* a target whose displacement differs in every byte */
		int32_t rel;
		memcpy(&rel, compiled + 1, 4);
		void *far = f.site.code.insn + 5 + (int32_t)(rel ^ 0x01010101);
		update_and_replay(&f, 1, far);
		uint8_t *b = f.site.code.insn;
		cr_assert(!memcmp(b, compiled, 5), "offset %d: straddling site "
			  "written: %02x %02x %02x %02x %02x", off, b[0], b[1],
			  b[2], b[3], b[4]);
		const char *why = sc_site_indirect_reason(&f.site, far);
		cr_assert(why && strstr(why, "straddles"), "reason: %s", why);
		/* with the wait it goes direct */
		set_wait(1);
		update_and_replay(&f, 1, far);
		cr_assert_eq(sc_decode_site(&f.site.code, b, slot_mem).reaches, far);
		set_wait(0);
	}
}

/* A straddling site may go direct when the bytes that change share a word,
 * but never to a form from which its trampoline is out of reach of one
 * write: a chain of such targets would leave it stuck (no later update
 * possible, not even to the trampoline). Targets below differ from the
 * trampoline's displacement in one word, then in the other. */
Test(protocol, straddling_sites_never_get_stuck)
{
	init_values();
	set_wait(0);
	for (int off = 4; off <= 6; off++) {
		struct fake f;
		fresh_site(&f, SC_INSN_CALL, off);
		int32_t rel;
		memcpy(&rel, f.site.code.insn + 1, 4);
		/* byte k of the displacement is insn+1+k; the word boundary
		 * falls after displacement byte 6 - off */
		int split = 7 - off; /* displacement bytes in the first word */
		uint32_t lo_bit = 1u << (8 * (split - 1));
		uint32_t hi_bit = 1u << (8 * split);
		uint8_t *end = f.site.code.insn + 5;
		/* t0: one word away from the trampoline; t1: one word away
		 * from t0 but two from the trampoline; t2: two words away
		 * from both t1 and the trampoline */
		void *t[4] = { end + (int32_t)(rel ^ (int32_t)lo_bit),
			       end + (int32_t)(rel ^ (int32_t)(lo_bit | hi_bit)),
			       end + (int32_t)(rel ^ (int32_t)(2 * lo_bit | 2 * hi_bit)),
			       end + (int32_t)(rel ^ (int32_t)lo_bit) };
		for (int i = 0; i < 4; i++)
			update_and_replay(&f, 1, t[i]); /* asserts success */
		/* two targets whose displacements differ in both words, each
		 * one word from the trampoline: the site goes direct to the
		 * second too, through its trampoline form in two phases */
		void *u[2] = { end + (int32_t)(rel ^ (int32_t)lo_bit),
			       end + (int32_t)(rel ^ (int32_t)hi_bit) };
		for (int i = 0; i < 2; i++) {
			update_and_replay(&f, 1, u[i]);
			cr_assert_eq(sc_decode_site(&f.site.code,
						    f.site.code.insn,
						    slot_mem).reaches,
				     u[i], "offset %d: target %d not direct", off, i);
		}
		/* and back to a NULL guarded site state and a target */
		update_and_replay(&f, 1, values[0]);
	}
}

/* Inline forms at call sites: the instruction itself, padded inside the
 * one instruction; tail and jcc sites jump to the function. */
Test(protocol, inline_forms_only_at_call_sites)
{
	init_values();
	set_wait(1);
	for (int kind = SC_INSN_CALL; kind <= SC_INSN_JCC; kind++)
		for (int v = 4; v < NVALUES; v++) {
			struct fake f;
			fresh_site(&f, kind, 0);
			update_and_replay(&f, 1, values[v]);
			struct sc_decoded d = sc_decode_site(&f.site.code,
							     f.site.code.insn,
							     slot_mem);
			if (kind == SC_INSN_CALL) {
				cr_assert_eq(d.form, sc_inline_find(values[v])->form);
				int transfer;
				cr_assert_eq(insn_at(f.site.code.insn, 16, &transfer),
					     5, "value %d: not one instruction", v);
			} else {
				cr_assert_eq(d.reaches, values[v]);
			}
		}
	set_wait(0);
}

/* A multi-instruction fragment (the paravirt `pushf; pop %rax`) is written
 * only while the process is single-threaded, and a site holding one is
 * left alone while threads run. */
Test(protocol, multi_instruction_fragments_single_threaded_only)
{
	init_values();
	static const uint8_t pushf_pop[2] = { 0x9c, 0x58 };
	struct sc_inline m = { .fn = mem + 120, .len = 2, .ninsn = 2,
			       .form = STATIC_CALL_SITE_FRAGMENT };
	memcpy(m.bytes, pushf_pop, 2);
	cr_assert_eq(sc_inline_register(&m), 0);
	/* at every offset in a word: a straddling site too (written through
	 * the `jmp .` path, single-threaded) */
	for (int off = 0; off < 8; off++) {
		struct fake f;
		fresh_site(&f, SC_INSN_CALL, off);
		uint8_t *b = f.site.code.insn;
		/* (a site across a word boundary stays on its trampoline
		 * rather than go direct: the call form's rule) */
		const int straddles = (SITE_BASE + off) % 8 + 5 > 8;
#define CALLS(fn)                                                          \
	(sc_decode_site(&f.site.code, b, slot_mem).reaches == (fn) ||      \
	 (straddles && sc_decode_site(&f.site.code, b, slot_mem).form ==   \
			       STATIC_CALL_SITE_TRAMPOLINE))
		/* threads run: the site calls the function instead */
		sc_set_text_ops(&rec_ops);
		nrec = 0;
		sc_single_threaded_force(0);
		cr_assert_eq(sc_patch_key(&key, (void *)m.fn, SC_PATCH_EXACT), 0);
		cr_assert(CALLS(m.fn), "offset %d", off);
		/* single-threaded, but the key is not declared STATIC_CALL_BOOT
		 * (SC_DESC_BOOT): a plain store could not be refused later, so the
		 * site calls the function */
		sc_single_threaded_force(1);
		cr_assert_eq(sc_patch_key(&key, (void *)m.fn, SC_PATCH_EXACT), 0);
		cr_assert(CALLS(m.fn), "offset %d", off);
		cr_assert_eq(f.site.code.inline_form, 0);
		/* ... declared: the instructions themselves */
		tramp.flags |= SC_DESC_BOOT;
		cr_assert_eq(sc_patch_key(&key, (void *)m.fn, SC_PATCH_EXACT), 0);
		if ((SITE_BASE + off) % 8 == 7) {
			/* one byte in the first word: no room for the `jmp .`
			 * of a straddling write; it keeps calling */
			cr_assert(CALLS(m.fn) && !f.site.code.inline_form,
				  "offset %d", off);
			continue;
		}
		static const uint8_t want[5] = { 0x9c, 0x58, 0x90, 0x90, 0x90 };
		cr_assert(!memcmp(b, want, 5), "offset %d: %02x %02x %02x", off,
			  b[0], b[1], b[2]);
		cr_assert_eq(sc_decode_site(&f.site.code, b, slot_mem).form,
			     STATIC_CALL_SITE_FRAGMENT);
		/* threads again: it stays, the same value is no change */
		sc_single_threaded_force(0);
		cr_assert_eq(sc_patch_key(&key, (void *)m.fn, SC_PATCH_EXACT), 0);
		cr_assert_neq(sc_patch_key(&key, values[0], SC_PATCH_EXACT), 0);
		cr_assert(!memcmp(b, want, 5), "changed while threads run");
		const char *why = sc_site_indirect_reason(&f.site, values[0]);
		cr_assert(why && strstr(why, "single-threaded"), "reason: %s", why);
		/* single-threaded again: it may leave (a straddling site for
		 * its trampoline: a direct call there could not be left
		 * while threads run) */
		sc_single_threaded_force(1);
		cr_assert_eq(sc_patch_key(&key, values[0], SC_PATCH_EXACT), 0);
		cr_assert(CALLS(values[0]), "offset %d", off);
		cr_assert_eq(f.site.code.inline_form, 0);
#undef CALLS
	}
	sc_single_threaded_force(-1);
	sc_set_text_ops(NULL);
}
