/*
 * site_code.h - what a promotable site's code says, for the tests that
 * check where it leads: its direct call's destination (x86-64 `call
 * rel32`, arm64 `bl`).
 */
#ifndef STATICCALL_TESTS_SITE_CODE_H
#define STATICCALL_TESTS_SITE_CODE_H

#include <stdint.h>
#include <string.h>

/* Where the direct call at `at` leads; NULL if it is none. */
static inline const void *call_dest(const void *at)
{
	const unsigned char *p = at;
#if defined(__x86_64__)
	int32_t rel;
	memcpy(&rel, p + 1, 4);
	return p[0] == 0xe8 ? p + 5 + rel : NULL;
#else
	uint32_t w;
	memcpy(&w, p, 4);
	int32_t imm = (int32_t)(w << 6) >> 6;
	return (w & 0xfc000000u) == 0x94000000u ? p + 4 * (intptr_t)imm : NULL;
#endif
}

#endif
