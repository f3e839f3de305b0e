/*
 * site_decode.c - what a site's bytes mean, the same on every arch.
 *
 * The arch reads the bytes (arch.h: sc_arch_read_site, and the first
 * control transfer after an anchor); this file names the form from what it
 * read: the compiled instruction reaching the key's trampoline is the
 * TRAMPOLINE form, reaching anything else a DIRECT call or TAIL_JUMP.
 */
#include <string.h>

#include "internal.h"

struct sc_decoded sc_decode_site(const struct sc_code *c, const uint8_t *live,
				 const void *tramp)
{
	struct sc_decoded d = { STATIC_CALL_SITE_UNVERIFIED, NULL };
	/* an inline form the runtime wrote (inline.c): any bytes */
	if (c->inline_form && !memcmp(live, c->bytes, c->len)) {
		d.form = c->inline_form & ~SC_INLINE_MULTI;
		return d;
	}
	d.form = sc_arch_read_site(c, live, &d.reaches);
	if (d.form != STATIC_CALL_SITE_DIRECT)
		return d;
	if (d.reaches == tramp)
		d.form = STATIC_CALL_SITE_TRAMPOLINE;
	else if (c->kind != SC_INSN_CALL)
		d.form = STATIC_CALL_SITE_TAIL_JUMP;
	return d;
}

int sc_find_site(const uint8_t *anchor, const uint8_t *limit, const void *tramp,
		 uint8_t **insn, int *kind, const char **why)
{
	const uint8_t *p = sc_arch_first_transfer(anchor, limit, why);
	if (!p)
		return 0;
	for (int k = SC_INSN_CALL; k <= SC_INSN_JCC; k++) {
		struct sc_code c = { .insn = (uint8_t *)p,
				     .kind = (uint8_t)k,
				     .len = (uint8_t)sc_arch_insn_len(k) };
		if (!sc_arch_match(p, k) || sc_decode_site(&c, p, tramp).form !=
						    STATIC_CALL_SITE_TRAMPOLINE)
			continue;
		*insn = (uint8_t *)p;
		*kind = k;
		return 1;
	}
	*why = "anchor: another control transfer comes before the "
	       "trampoline call";
	return 0;
}
