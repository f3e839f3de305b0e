/*
 * The write sequence another thread can observe, checked exhaustively.
 *
 * We patch fake sites (every instruction kind at every offset in a word,
 * and two sites sharing a word) through the real planner and text writer,
 * recording every word write and every core sync through injected
 * operations. Then we replay: between two syncs a thread's instruction
 * fetch may see any mix of the words written in that phase (each word
 * whole, old or new), so for every phase and every subset of its writes we
 * decode each site and require the old instruction, the new one, or the
 * documented wait state `jmp .` (EB FE) on its first two bytes.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct rec {
	int sync; /* 1: a core sync; 0: a CAS */
	uint64_t *word;
	uint64_t old_value, new_value;
};
static struct rec recs[128];
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
	cr_assert_lt(nrec, 128);
	recs[nrec++] = (struct rec){ 0, w, e, v };
	*w = v;
	return 1;
}
static void r_sync(void *c)
{
	(void)c;
	recs[nrec++] = (struct rec){ 1, NULL, 0, 0 };
}
static const struct sc_text_ops rec_ops = { r_open, r_open, r_cas, r_sync, NULL };

static _Alignas(64) uint8_t mem[128];
static _Alignas(16) uint8_t slot_mem[16];
static void *target_var;

static void put(uint8_t *insn, int kind, const void *dest)
{
	int len = sc_arch_insn_len(kind);
	int32_t rel = (int32_t)((intptr_t)dest - (intptr_t)(insn + len));
	if (kind == SC_INSN_JCC) {
		insn[0] = 0x0f;
		insn[1] = 0x84;
	} else {
		insn[0] = kind == SC_INSN_CALL ? 0xe8 : 0xe9;
	}
	memcpy(insn + len - 4, &rel, 4);
}

/* What a thread would execute at insn given these bytes. */
enum seen { SEEN_OLD, SEEN_NEW, SEEN_WAIT, SEEN_BAD };
static enum seen classify(const uint8_t *img, const uint8_t *insn, int kind,
			  const void *old_dest, const void *new_dest)
{
	const uint8_t *b = img + (insn - mem);
	if (b[0] == 0xeb && b[1] == 0xfe)
		return SEEN_WAIT;
	int len = sc_arch_insn_len(kind);
	if (!sc_arch_match(b, kind))
		return SEEN_BAD;
	int32_t rel;
	memcpy(&rel, b + len - 4, 4);
	const uint8_t *dest = insn + len + rel;
	if (dest == old_dest)
		return SEEN_OLD;
	if (dest == new_dest)
		return SEEN_NEW;
	return SEEN_BAD;
}

struct fake {
	struct sc_site site;
	int kind;
};

/* Patch the fake sites to new_dest and check every observable state. */
static void check_sites(struct fake *f, int nf, const void *old_dest,
			const void *new_dest)
{
	struct sc_tramp tramp = { 0 };
	tramp.code.insn = slot_mem;
	tramp.code.len = 8;
	tramp.code.kind = SC_INSN_SLOT;
	tramp.code.state = SC_CODE_OK;
	tramp.code.prot = PROT_READ | PROT_EXEC;
	uint64_t slow = 0xcccccccccccc06ebull;
	memcpy(slot_mem, &slow, 8);
	memcpy(tramp.code.bytes, &slow, 8);

	/* One pretend executable segment holding both buffers. */
	static struct sc_object obj;
	uintptr_t lo = (uintptr_t)mem < (uintptr_t)slot_mem ? (uintptr_t)mem : (uintptr_t)slot_mem;
	uintptr_t hi = (uintptr_t)mem > (uintptr_t)slot_mem ? (uintptr_t)mem : (uintptr_t)slot_mem;
	obj.nsegs = 1;
	obj.segs[0] = (struct sc_segment){ lo & ~(uintptr_t)4095,
					   (hi + 4096 + 128) & ~(uintptr_t)4095,
					   PROT_READ | PROT_EXEC };
	tramp.object = &obj;

	struct sc_site *ptrs[8];
	struct sc_tramp *tptr = &tramp;
	struct sc_key key = { 0 };
	key.var = &target_var;
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
		memcpy(c->op, c->insn, 2);
		c->state = SC_CODE_OK;
		c->prot = PROT_READ | PROT_EXEC;
		f[i].site.tramp = &tramp;
		f[i].site.object = &obj;
		ptrs[i] = &f[i].site;
	}

	uint8_t before[sizeof mem];
	memcpy(before, mem, sizeof mem);
	nrec = 0;
	sc_set_text_ops(&rec_ops);
	int err = sc_patch_key(&key, (void *)new_dest);
	sc_set_text_ops(NULL);
	cr_assert_eq(err, 0);

	/* Replay phase by phase over every subset of the phase's writes. */
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
			for (int j = 0; j < k; j++)
				if ((mask & (1u << j)) &&
				    (uint8_t *)recs[start + j].word >= mem &&
				    (uint8_t *)recs[start + j].word < mem + sizeof mem)
					memcpy(t + ((uint8_t *)recs[start + j].word - mem),
					       &recs[start + j].new_value, 8);
			for (int i = 0; i < nf; i++) {
				enum seen s = classify(t, f[i].site.code.insn, f[i].kind,
						       old_dest, new_dest);
				cr_assert_neq(s, SEEN_BAD,
					      "site %d (kind %d, offset %ld): torn "
					      "instruction with writes %#x of phase",
					      i, f[i].kind,
					      (long)((uintptr_t)f[i].site.code.insn & 7), mask);
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
		for (int j = start; j < end; j++)
			if ((uint8_t *)recs[j].word >= mem && (uint8_t *)recs[j].word < mem + sizeof mem)
				memcpy(img + ((uint8_t *)recs[j].word - mem), &recs[j].new_value, 8);
		start = end;
		while (start < nrec && recs[start].sync) {
			start++;
			syncs++;
		}
	}
	cr_assert_leq(syncs, SC_PHASES, "more syncs than phases");
	for (int i = 0; i < nf; i++)
		cr_assert_eq(classify(mem, f[i].site.code.insn, f[i].kind, old_dest,
				      new_dest), SEEN_NEW, "site %d not re-targeted", i);
}

Test(protocol, every_kind_at_every_offset)
{
	for (int kind = SC_INSN_CALL; kind <= SC_INSN_JCC; kind++)
		for (int off = 0; off < 8; off++) {
			memset(mem, 0x90, sizeof mem);
			struct fake f = { 0 };
			f.kind = kind;
			f.site.code.insn = mem + 16 + off;
			put(f.site.code.insn, kind, slot_mem);
			check_sites(&f, 1, slot_mem, mem + 100);
			/* and on from one direct target to another */
			check_sites(&f, 1, mem + 100, mem + 120);
		}
}

Test(protocol, neighbouring_sites_sharing_words_compose)
{
	for (int off = 0; off < 8; off++) {
		memset(mem, 0x90, sizeof mem);
		struct fake f[3] = { 0 };
		uint8_t *p = mem + 16 + off;
		int kinds[3] = { SC_INSN_CALL, SC_INSN_JCC, SC_INSN_JMP };
		for (int i = 0; i < 3; i++) {
			f[i].kind = kinds[i];
			f[i].site.code.insn = p;
			put(p, kinds[i], slot_mem);
			p += sc_arch_insn_len(kinds[i]);
		}
		check_sites(f, 3, slot_mem, mem + 110);
	}
}
