/*
 * Static keys (runtime/static_keys.c, include/staticcall/kernel.h): the
 * x86-64 site forms at every offset of a word, the check of the load and
 * test byte by byte, and live toggles of sites compiled in this file,
 * watched through the text writer's injected operations: one CAS per
 * site's aligned word, from the form the site held to the new one, only
 * the site's bytes changed, every word verified; a refused change writes
 * nothing and keeps the count.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "text_ops_log.h"
#include "internal.h"
#include "staticcall/kernel.h"

static const uint8_t nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

Test(static_keys, forms_at_every_offset)
{
	_Alignas(8) uint8_t code[64] = { 0 };
	for (int off = 0; off < 8; off++) {
		uint8_t *site = code + 16 + off, out[SC_MAX_INSN];
		void *dest = NULL;
		cr_assert(sc_arch_jump_encode(site, NULL, out));
		cr_assert_arr_eq(out, nop5, 5);
		cr_assert_eq(sc_arch_jump_read(site, out, &dest),
			     STATIC_KEY_SITE_NOP);
		cr_assert(sc_arch_jump_encode(site, code + 60, out));
		cr_assert_eq(out[0], 0xe9);
		cr_assert_eq(sc_arch_jump_read(site, out, &dest),
			     STATIC_KEY_SITE_JUMP);
		cr_assert_eq(dest, code + 60, "offset %d", off);
		uint8_t call[5] = { 0xe8, 0, 0, 0, 0 };
		cr_assert_eq(sc_arch_jump_read(site, call, &dest),
			     STATIC_KEY_SITE_UNVERIFIED);
	}
	/* out of rel32 range: refused */
	uint8_t out[SC_MAX_INSN];
	cr_assert_not(sc_arch_jump_encode((uint8_t *)0x1000,
					  (void *)0x7f0000000000ull, out));
}

/* kernel.h's load and test, as the header emits it, for a site at `site`
 * reading `keyref`, branching to `target`. */
static void build_test(uint8_t *t, const uint8_t *site, const void *keyref,
		       const void *target, int likely)
{
	static const uint8_t head[] = { 0x48, 0x8d, 0x64, 0x24, 0x80, 0x50,
					0x48, 0x8b, 0x05 };
	static const uint8_t mid[] = { 0x83, 0x38, 0x00, 0x58, 0x48, 0x8d,
				       0xa4, 0x24, 0x80, 0,    0,    0, 0x0f };
	int32_t rel;
	uint8_t *p = t;
	memcpy(p, head, sizeof head);
	p += sizeof head;
	rel = (int32_t)((const uint8_t *)keyref - (p + 4));
	memcpy(p, &rel, 4);
	p += 4;
	memcpy(p, mid, sizeof mid);
	p += sizeof mid;
	*p++ = likely ? 0x8e : 0x8f;
	rel = (int32_t)((const uint8_t *)target - (p + 4));
	memcpy(p, &rel, 4);
	p += 4;
	*p++ = 0xe9;
	rel = (int32_t)((site + 5) - (p + 4));
	memcpy(p, &rel, 4);
}

Test(static_keys, load_and_test_checked_byte_by_byte)
{
	static uint8_t buf[256];
	uint8_t *site = buf + 8, *target = buf + 40, *t = buf + 100;
	const void *keyref = buf + 200;
	for (int likely = 0; likely < 2; likely++) {
		build_test(t, site, keyref, target, likely);
		cr_assert(sc_arch_jump_test_ok(t, site, keyref, target, likely));
		cr_assert_not(sc_arch_jump_test_ok(t, site, keyref, target,
						   !likely));
		cr_assert_not(sc_arch_jump_test_ok(t, site, buf + 208, target,
						   likely));
		cr_assert_not(sc_arch_jump_test_ok(t, site, keyref, target + 1,
						   likely));
		cr_assert_not(sc_arch_jump_test_ok(t, site + 1, keyref, target,
						   likely));
		for (unsigned i = 0; i < SC_JUMP_TEST_X86; i++) {
			t[i] ^= 0x40;
			cr_assert_not(sc_arch_jump_test_ok(t, site, keyref,
							   target, likely),
				      "byte %u changed, still accepted", i);
			t[i] ^= 0x40;
		}
	}
}

/* ---- live toggles, watched -------------------------------------------- */

DEFINE_STATIC_KEY_FALSE(unit_key);
DEFINE_STATIC_KEY_TRUE(unit_key_true);

__attribute__((noinline)) static int unit_unlikely(void)
{
	return static_branch_unlikely(&unit_key) ? 1 : 0;
}
__attribute__((noinline)) static int unit_likely(void)
{
	return static_branch_likely(&unit_key) ? 1 : 0;
}
__attribute__((noinline)) static int unit_true(void)
{
	return static_branch_likely(&unit_key_true) ? 1 : 0;
}

/* Each logged CAS changes exactly the 5 bytes of one of the key's sites,
 * inside its aligned word, from one form to the other. */
static void check_writes(const struct static_key *k, int on)
{
	struct static_key_site_info info[8];
	int n = static_key_sites(k, info, 8);
	cr_assert_eq(text_ops_ncas, n, "one CAS per site: %d for %d sites",
		     text_ops_ncas, n);
	for (int i = 0; i < text_ops_ncas; i++) {
		int j = 0;
		while (j < n && ((uintptr_t)info[j].address & ~7ul) !=
					(uintptr_t)text_ops_log[i].word)
			j++;
		cr_assert_lt(j, n, "a CAS of a word holding no site");
		unsigned off = (uintptr_t)info[j].address & 7;
		cr_assert_leq(off, 3u, "the site straddles its word");
		uint8_t *e = (uint8_t *)&text_ops_log[i].expect;
		uint8_t *v = (uint8_t *)&text_ops_log[i].value;
		for (unsigned b = 0; b < 8; b++)
			if (b < off || b >= off + 5)
				cr_assert_eq(e[b], v[b],
					     "a byte outside the site");
		int jump = on != info[j].likely;
		void *dest = NULL;
		cr_assert_eq(sc_arch_jump_read(info[j].address, v + off, &dest),
			     jump ? STATIC_KEY_SITE_JUMP : STATIC_KEY_SITE_NOP);
		if (jump)
			cr_assert_eq(dest, info[j].target);
		cr_assert_eq(sc_arch_jump_read(info[j].address, e + off, &dest),
			     jump ? STATIC_KEY_SITE_NOP : STATIC_KEY_SITE_JUMP);
	}
}

Test(static_keys, toggles_one_cas_per_site)
{
	struct static_key_site_info info[8];
	cr_assert_eq(static_key_sites(&unit_key, info, 8), 2);
	cr_assert(!unit_unlikely() && !unit_likely() && unit_true());
	text_ops_log_on();
	cr_assert_eq(static_branch_enable(&unit_key), 0);
	check_writes(&unit_key.key, 1);
	cr_assert(unit_unlikely() && unit_likely());
	text_ops_ncas = 0;
	cr_assert_eq(static_branch_inc(&unit_key), 0); /* 2: no write */
	cr_assert_eq(text_ops_ncas, 0);
	cr_assert_eq(static_branch_dec(&unit_key), 0);
	cr_assert_eq(text_ops_ncas, 0);
	cr_assert_eq(static_branch_dec(&unit_key), 0); /* 0: off */
	check_writes(&unit_key.key, 0);
	cr_assert(!unit_unlikely() && !unit_likely());
	text_ops_ncas = 0;
	cr_assert_eq(static_branch_dec(&unit_key), -ERANGE);
	cr_assert_eq(text_ops_ncas, 0);
	cr_assert_eq(static_key_count(&unit_key), 0);
	text_ops_log_off();
}

Test(static_keys, refused_write_changes_nothing)
{
	text_ops_log_on();
	text_ops_refuse_cas = 1;
	int err = static_branch_disable(&unit_key_true);
	text_ops_refuse_cas = 0;
	text_ops_log_off();
	cr_assert_eq(err, -EBUSY);
	cr_assert_eq(static_key_count(&unit_key_true), 1);
	cr_assert(unit_true());
	struct static_key_site_info info;
	cr_assert_eq(static_key_sites(&unit_key_true, &info, 1), 1);
	cr_assert_eq(info.form, STATIC_KEY_SITE_NOP);
	cr_assert_eq(static_branch_disable(&unit_key_true), 0);
	cr_assert(!unit_true());
}

/* STATICCALL_VERIFY / static_call_verify: a site whose word no longer
 * holds what the runtime wrote is stale; put back, none is. */
Test(static_keys, verify_finds_a_changed_site)
{
	struct static_key_site_info info[8];
	int n = static_key_sites(&unit_key, info, 8);
	cr_assert_eq(n, 2);
	int u = info[0].likely ? 1 : 0; /* the unlikely site: a NOP */
	cr_assert_eq(info[u].form, STATIC_KEY_SITE_NOP);
	uint8_t *at = info[u].address;
	uint64_t *word = (uint64_t *)((uintptr_t)at & ~7ul);
	uint64_t was = sc_code_load64(word), other = was;
	uint8_t jmp[SC_MAX_INSN];
	cr_assert(sc_arch_jump_encode(at, info[u].target, jmp));
	memcpy((uint8_t *)&other + ((uintptr_t)at & 7), jmp, 5);
	struct sc_write w = { word, was, other, 0, 1, PROT_READ | PROT_EXEC };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	cr_assert_eq(sc_own_verify(0), 1);
	w = (struct sc_write){ word, other, was, 0, 1, PROT_READ | PROT_EXEC };
	cr_assert_eq(sc_text_apply(&w, 1), 0);
	cr_assert_eq(sc_own_verify(0), 0);
}
