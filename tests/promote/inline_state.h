/*
 * inline_state.h - what an inline site's code says (promote-inline
 * builds, x86-64; docs/ABI.md "promote-inline"), for the tests that
 * report it: from its slow site (the record's address) the jump back
 * gives the site's start; a `jmp` to the slow site there is a site given
 * up on and bypassed.
 */
#ifndef STATICCALL_TESTS_INLINE_STATE_H
#define STATICCALL_TESTS_INLINE_STATE_H

#include <stdint.h>
#include <string.h>
#include <staticcall_abi.h>

/* The site's first byte, from its slow site's jump back to its end. */
static inline const unsigned char *inline_start(const void *slow_site)
{
	const unsigned char *slow = slow_site;
	int32_t back;
	memcpy(&back, slow + 6, 4);
	return slow + 10 + back - SC_X86_INLINE_LEN;
}

/* "bypassed", "open" (inline_target set) or "closed". */
static inline const char *inline_state(const void *slow_site,
				       const void *inline_target)
{
	const unsigned char *slow = slow_site, *start = inline_start(slow);
	int32_t to;
	memcpy(&to, start + 1, 4);
	if (start[0] == 0xe9 && start + 5 + to == slow)
		return "bypassed";
	return inline_target ? "open" : "closed";
}

#endif
