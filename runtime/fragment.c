/*
 * fragment.c - one-instruction fragments (docs/GUIDE.md, "CPU dispatch
 * with one-instruction fragments"): a function the plugin built as one
 * instruction and `ret` from __attribute__((static_call_fragment("insn"))),
 * named in its object's optional table (SC_ABI_FRAGS_SECTION, docs/ABI.md).
 *
 * Each record whose bytes check out (inside an executable segment of the
 * object that registered it, the arch's decoder agrees on the length, no
 * control transfer or memory operand, `ret` after it) becomes the inline
 * form of its function (inline.c): whenever a key's value is that
 * function, each call site the arch accepts holds the instruction itself,
 * padded inside the instruction; every other piece calls the function.
 * A record of several instructions (SC_FRAG_SEQUENCE, the paravirt
 * `pushf; pop %rax`) is inlined only at sites of keys declared
 * STATIC_CALL_BOOT and only while the process is single-threaded
 * (inline.c). A record that does not check out is reported and its
 * function called like any other. The forms go when the object goes (its code may be
 * reused at the same addresses).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* The executable segment of o holding [p, p+len), or NULL. */
static int in_exec_segment(const struct sc_object *o, uintptr_t p, size_t len)
{
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *s = &o->segs[i];
		if (p >= s->lo && p + len >= p && p + len <= s->hi)
			return (s->prot & PROT_EXEC) != 0;
	}
	return 0;
}

static int in_readonly_segment(const struct sc_object *o, uintptr_t p,
			       size_t len)
{
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *s = &o->segs[i];
		if (p >= s->lo && p + len >= p && p + len <= s->hi)
			return (s->prot & PROT_READ) && !(s->prot & PROT_WRITE);
	}
	return 0;
}

/* The checked table of o, or NULL (nothing, or reported). */
static const struct sc_abi_frag *table(const struct sc_object *o, size_t *n)
{
	const struct sc_abi_object *a = o->abi;
	*n = 0;
	if ((a->reserved & (SC_ABI_OBJ_LINES | SC_ABI_OBJ_FRAGS)) !=
	    (SC_ABI_OBJ_LINES | SC_ABI_OBJ_FRAGS))
		return NULL;
	const char *b = (const char *)a->frags_begin,
		   *e = (const char *)a->frags_end;
	const char *why = NULL;
	if (e < b)
		why = "inverted table bounds";
	else if (((uintptr_t)b & 3) ||
		 (size_t)(e - b) % sizeof(struct sc_abi_frag))
		why = "misaligned table";
	else if (e > b && !in_readonly_segment(o, (uintptr_t)b, (size_t)(e - b)))
		why = "not in a read-only segment of its object";
	if (why) {
		sc_log(SC_LOG_WARN,
		       "%s: fragments table: %s: ignored (its functions are "
		       "called)",
		       o->name, why);
		return NULL;
	}
	*n = (size_t)(e - b) / sizeof(struct sc_abi_frag);
	return a->frags_begin;
}

static const uint8_t *insn_of(const struct sc_abi_frag *r)
{
	return (const uint8_t *)&r->insn_rel + r->insn_rel;
}

/* Where the function starts: at its landing pad when the unit has them
 * and the arch finds one right before the instruction. */
static const uint8_t *fn_of(const struct sc_object *o,
			    const struct sc_abi_frag *r)
{
	const uint8_t *insn = insn_of(r);
	size_t pad = sc_arch_landing_pad_len();
	if ((r->flags & SC_FRAG_LANDING_PAD) && pad &&
	    in_exec_segment(o, (uintptr_t)(insn - pad), pad) &&
	    sc_arch_is_landing_pad(insn - pad))
		return insn - pad;
	return insn;
}

void sc_frags_register(struct sc_object *o)
{
	size_t n;
	const struct sc_abi_frag *t = table(o, &n);
	o->nfrags = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sc_abi_frag *r = &t[i];
		const uint8_t *insn = insn_of(r);
		const char *why = NULL;
		/* a sequence longer than any site: always called, as meant */
		if ((r->flags & SC_FRAG_SEQUENCE) && r->insn_len > SC_MAX_INSN) {
			sc_log(SC_LOG_DEBUG,
			       "%s: fragment %zu: %u bytes of instructions, "
			       "longer than any site: the function is called",
			       o->name, i, r->insn_len);
			continue;
		}
		/* the instruction and the `ret` after it */
		if (r->insn_len > SC_MAX_INSN ||
		    !in_exec_segment(o, (uintptr_t)insn, r->insn_len + 4))
			why = "not inside the object's code";
		const uint8_t *fn = why ? insn : fn_of(o, r);
		int ninsn = 1;
		if (!why)
			why = sc_arch_fragment_check(
				fn, insn, r->insn_len,
				(r->flags & SC_FRAG_SEQUENCE) != 0, &ninsn);
		struct sc_inline f;
		memset(&f, 0, sizeof f);
		if (!why) {
			f.fn = fn;
			memcpy(f.bytes, insn, r->insn_len);
			f.len = (uint8_t)r->insn_len;
			f.ninsn = (uint8_t)ninsn;
			f.form = STATIC_CALL_SITE_FRAGMENT;
			int err = sc_inline_register(&f);
			if (err == -ENOSPC)
				why = "too many inline forms";
			else if (err)
				why = "registered before with other bytes";
		}
		if (why) {
			sc_log(SC_LOG_WARN,
			       "%s: fragment %zu (function %p): %s: the "
			       "function is called, never inlined",
			       o->name, i, (const void *)fn, why);
			continue;
		}
		o->nfrags++;
	}
}

void sc_frags_unregister(struct sc_object *o)
{
	size_t n;
	const struct sc_abi_frag *t = o->nfrags ? table(o, &n) : NULL;
	for (size_t i = 0; t && i < n; i++) {
		const struct sc_inline *f = sc_inline_find(fn_of(o, &t[i]));
		if (f && f->form == STATIC_CALL_SITE_FRAGMENT)
			sc_inline_forget(f->fn);
	}
	o->nfrags = 0;
}
