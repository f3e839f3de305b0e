/*
 * inline.c - inline forms: a call site holding its target's instruction(s)
 * instead of calling it (docs/PATCHING.md, "Inline forms"; internal.h
 * says how to add one).
 *
 * An inline form belongs to a function, not to a key: whenever a key's
 * value is such a function, the planner (patch.c) gives each call site the
 * arch accepts the form's bytes, and every other piece (trampoline slot,
 * tail site, a site the bytes do not fit) reaches the function itself,
 * which does the same. So the key's value is always callable, and a plain
 * store of that value inlines as an update does.
 *
 * Every form that may change while threads run is one instruction
 * (../shared/DESIGN.md section 2): a thread stopped at the site's first
 * byte resumes in the old or the new instruction, and there is no
 * boundary inside. A form of several instructions is written only while
 * the process is single-threaded, and a site holding one is changed only
 * then (the paravirt rule: patch before SMP bring-up); only at sites of
 * keys declared STATIC_CALL_BOOT (SC_DESC_BOOT), whose plain stores the
 * plugin refuses, so that only static_call_update, which can say no,
 * ever has to change such a site.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* An open-addressed table by fn (planning looks each site's target up). */
#define SLOTS (2 * SC_INLINE_MAX)
static struct sc_inline table[SLOTS];
static size_t count;

static size_t slot_of(const void *fn)
{
	size_t i = sc_addr_bucket(fn, SLOTS);
	while (table[i].fn && table[i].fn != fn)
		i = (i + 1) % SLOTS;
	return i;
}

const struct sc_inline *sc_inline_find(const void *fn)
{
	if (!count || !fn)
		return NULL;
	const struct sc_inline *f = &table[slot_of(fn)];
	return f->fn ? f : NULL;
}

int sc_inline_register(const struct sc_inline *f)
{
	if (!f->fn || f->len > SC_MAX_INSN || (f->len && !f->ninsn) ||
	    (f->form != STATIC_CALL_SITE_RETURN_CONST &&
	     f->form != STATIC_CALL_SITE_RETURN_ARG &&
	     f->form != STATIC_CALL_SITE_FRAGMENT))
		return -EINVAL;
	struct sc_inline *t = &table[slot_of(f->fn)];
	if (t->fn)
		return t->len == f->len && t->ninsn == f->ninsn &&
				       !memcmp(t->bytes, f->bytes, f->len) ?
			       0 :
			       -EINVAL;
	if (count == SC_INLINE_MAX)
		return -ENOSPC;
	*t = *f;
	count++;
	return 0;
}

/* (fragment.c: an object's fragments go with it; its code may be reused
 * at the same addresses.) Backward shift: each entry of the run after the
 * freed slot is placed again, so no probe sequence is cut. */
void sc_inline_forget(const void *fn)
{
	size_t i = slot_of(fn);
	if (!fn || !table[i].fn)
		return;
	table[i].fn = NULL;
	count--;
	for (size_t j = (i + 1) % SLOTS; table[j].fn; j = (j + 1) % SLOTS) {
		struct sc_inline e = table[j];
		table[j].fn = NULL;
		table[slot_of(e.fn)] = e;
	}
}

/* ---- is this the only thread? ------------------------------------------ */

static int forced = -1;
static int cached = -1;

void sc_single_threaded_force(int v)
{
	forced = v;
}

void sc_single_threaded_forget(void)
{
	cached = -1;
}

/* "Threads:\tN" of /proc/self/status, read without allocating or stdio. */
static int threads_now(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *p = strstr(buf, "\nThreads:");
	if (!p)
		return -1;
	/* by hand: the binder may ask, where stdio may not run */
	int t = 0, digits = 0;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
		t = 10 * t + (*p - '0');
	return digits ? t : -1;
}

int sc_single_threaded(void)
{
	if (forced >= 0)
		return forced;
	if (cached < 0)
		cached = threads_now() == 1;
	return cached;
}

/* ---- sites ------------------------------------------------------------ */

int sc_inline_encode_site(const struct sc_code *c, const void *target,
			  int multi_ok, uint8_t out[SC_MAX_INSN], uint8_t *form)
{
	const struct sc_inline *f = sc_inline_find(target);
	if (!f || !f->len)
		return 0;
	if (f->ninsn > 1 && (!multi_ok || !sc_single_threaded()))
		return 0;
	if (!sc_arch_inline_site(c, f->bytes, f->len, f->ninsn, out))
		return 0;
	*form = (uint8_t)(f->form | (f->ninsn > 1 ? SC_INLINE_MULTI : 0));
	return 1;
}

const struct sc_inline *sc_inline_of_site(const struct sc_code *c,
					  const uint8_t *live)
{
	for (size_t i = 0; i < SLOTS && count; i++) {
		uint8_t b[SC_MAX_INSN];
		const struct sc_inline *f = &table[i];
		if (f->fn && f->len &&
		    sc_arch_inline_site(c, f->bytes, f->len, f->ninsn, b) &&
		    !memcmp(b, live, c->len))
			return f;
	}
	return NULL;
}

const char *sc_inline_name(const void *fn, char *buf, size_t n)
{
	const struct sc_inline *f = sc_inline_find(fn);
	if (!f)
		return NULL;
	if (f->form == STATIC_CALL_SITE_RETURN_CONST)
		snprintf(buf, n, "return-const(%#llx)",
			 (unsigned long long)f->arg);
	else if (f->form == STATIC_CALL_SITE_RETURN_ARG)
		snprintf(buf, n, "return-arg(%llu)",
			 (unsigned long long)f->arg);
	else
		return NULL; /* a fragment: its function's own name */
	return buf;
}

/* ---- the runtime's own forms ----------------------------------------- */

static void *generated(const uint8_t *code, int clen, const uint8_t *insn,
		       int ilen, int form, uint64_t arg, const void *near,
		       int *err)
{
	void *fn = sc_genfn_get(code, (size_t)clen, near, err);
	if (!fn)
		return NULL;
	struct sc_inline f = { .fn = fn,
			       .len = (uint8_t)ilen,
			       .ninsn = 1,
			       .form = (uint8_t)form,
			       .arg = arg };
	memcpy(f.bytes, insn, (size_t)ilen);
	if ((*err = sc_inline_register(&f)))
		return NULL;
	return fn;
}

void *sc_inline_const_fn(uint64_t v, int size, const void *near, int *err)
{
	uint8_t code[SC_GEN_MAX], insn[SC_MAX_INSN];
	if (size < 0 || size > 8 || (size & (size - 1))) {
		*err = -EINVAL;
		return NULL;
	}
	if (size && size < 8)
		v &= 0xffffffffu; /* the 32-bit register holds it */
	if (v == 0)
		return (void *)__staticcall_ret0; /* the same, for every type */
	int clen = sc_arch_gen_const(v, size, code);
	int ilen = sc_arch_inline_const(v, size, insn);
	return generated(code, clen, insn, ilen, STATIC_CALL_SITE_RETURN_CONST,
			 v, near, err);
}

void *sc_inline_ret_arg_fn(int n, const void *near, int *err)
{
	uint8_t code[SC_GEN_MAX], insn[SC_MAX_INSN];
	int clen = n >= 0 ? sc_arch_gen_ret_arg(n, code) : 0;
	if (!clen) {
		*err = -EINVAL;
		return NULL;
	}
	int ilen = sc_arch_inline_ret_arg(n, insn);
	return generated(code, clen, insn, ilen, STATIC_CALL_SITE_RETURN_ARG,
			 (uint64_t)n, near, err);
}
