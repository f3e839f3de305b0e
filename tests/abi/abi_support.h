/*
 * abi_support.h - the recording and checking half of the generated ABI
 * conformance programs (tests/abi/gen_abi.py).
 *
 * A callee appends every argument's significant bytes to one record; the
 * call through the key and the libffi call of the same callee with the
 * same values must produce identical records (arguments, then result).
 * Each case prints one line with a hash of its records, so the outputs of
 * builds with and without a plugin, and of runs in each state of the sites
 * (argv[1]: plain, disabled, trampoline, direct, lazy), must be identical.
 */
#ifndef ABI_SUPPORT_H
#define ABI_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <staticcall.h>

#if defined(__clang__)
#define ABI_NOINLINE __attribute__((noinline))
#else
#define ABI_NOINLINE __attribute__((noinline, noclone))
#endif

#define ABI_MAX_REC 8192
#define ABI_MAX_SITES 16

static unsigned char abi_buf[ABI_MAX_REC];
static size_t abi_len;
static int abi_failures, abi_case_no, abi_checks;
static const char *abi_case_desc;
static uint64_t abi_case_hash;
static const char *abi_mode = "plain";
static struct static_call_site_info abi_sites[ABI_MAX_SITES];
static long abi_nsites, abi_ndirect, abi_nunverified;

static uint64_t abi_fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

__attribute__((noinline)) static void abi_rec(const void *p, size_t n)
{
	if (abi_len + n > ABI_MAX_REC) {
		fprintf(stderr, "abi: record overflow\n");
		abort();
	}
	memcpy(abi_buf + abi_len, p, n);
	abi_len += n;
}

__attribute__((noinline)) static void abi_callee(int i, int salt)
{
	int v[2] = { i, salt };
	abi_rec(v, sizeof v);
}

__attribute__((noinline)) static uint64_t abi_hash_now(void)
{
	return abi_fnv(abi_buf, abi_len, 0xcbf29ce484222325ull);
}

/* Keeps a call from being a tail call. */
__attribute__((noinline)) void abi_after_call(void) { __asm__ volatile(""); }

static uint64_t abi_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* Results: a value derived from the hash, always finite for floats. */
static void abi_mk_int(void *p, int size, uint64_t h)
{
	h = abi_mix(h);
	memcpy(p, &h, (size_t)size);
}
static void abi_mk_ptr(void *p, int size, uint64_t h) { abi_mk_int(p, size, h); }
static void abi_mk_float(void *p, int size, uint64_t h)
{
	(void)size;
	h = abi_mix(h);
	uint32_t u = (uint32_t)(h & 0x807fffffu) | (uint32_t)(1 + (h >> 40) % 254) << 23;
	memcpy(p, &u, 4);
}
static void abi_mk_double(void *p, int size, uint64_t h)
{
	(void)size;
	h = abi_mix(h);
	uint64_t e = 1 + (abi_mix(h + 1) % 2046);
	uint64_t u = (h & 0x800fffffffffffffull) | e << 52;
	memcpy(p, &u, 8);
}
static void abi_mk_ld(void *p, int size, uint64_t h)
{
	unsigned char b[16] = { 0 };
#if __LDBL_MANT_DIG__ == 113
	/* IEEE binary128 (aarch64): 112 bits of fraction, a normal exponent */
	uint64_t lo = abi_mix(h), hi = abi_mix(h + 3) & 0x0000ffffffffffffull;
	uint64_t e = 1 + abi_mix(h + 7) % 0x7ffe;
	hi |= e << 48 | (abi_mix(h + 11) & 1ull) << 63;
	memcpy(b, &lo, 8);
	memcpy(b + 8, &hi, 8);
#else
	/* x87 80-bit: explicit integer bit, a normal exponent */
	uint64_t m = abi_mix(h) | 1ull << 63;
	uint16_t e = (uint16_t)(1 + abi_mix(h + 7) % 0x7ffe);
	memcpy(b, &m, 8);
	memcpy(b + 8, &e, 2);
#endif
	memcpy(p, b, (size_t)size);
}

static void abi_fail(int i, const char *what)
{
	printf("FAIL case %d: %s: %s\n", i, what, abi_case_desc);
	abi_failures++;
}

static void abi_dump(const char *name, const unsigned char *b, size_t n)
{
	fprintf(stderr, "  %s (%zu bytes):", name, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", b[i]);
	fputc('\n', stderr);
}

static unsigned char abi_key_rec[ABI_MAX_REC];

/* Call through the key, then through libffi: the records must match. */
#define ABI_CHECK(i, what, keycall, fficall)                                  \
	do {                                                                  \
		size_t key_len;                                               \
		abi_len = 0;                                                  \
		keycall;                                                      \
		key_len = abi_len;                                            \
		memcpy(abi_key_rec, abi_buf, abi_len);                        \
		abi_len = 0;                                                  \
		fficall;                                                      \
		abi_checks++;                                                 \
		if (key_len != abi_len || memcmp(abi_key_rec, abi_buf, key_len)) { \
			abi_fail(i, what ": call through the key differs from libffi"); \
			abi_dump("through the key", abi_key_rec, key_len);    \
			abi_dump("through libffi", abi_buf, abi_len);         \
		}                                                             \
		abi_case_hash = abi_fnv(abi_key_rec, key_len, abi_case_hash); \
	} while (0)

#define ABI_UPDATE(i, expr)                                                   \
	do {                                                                  \
		int rc_ = (expr);                                             \
		if (rc_)                                                      \
			abi_fail(i, "static_call_update failed");             \
	} while (0)

/* With a plugin: every site of the key is in the form the mode asks for. */
static void abi_check_sites(int i, long n)
{
#ifdef __STATICCALL_PLUGIN__
	if (!strcmp(abi_mode, "plain"))
		return;
	if (n <= 0) {
		abi_fail(i, "the key has no registered site");
		return;
	}
	for (long k = 0; k < n && k < ABI_MAX_SITES; k++) {
		int f = abi_sites[k].form;
		int direct = f == STATIC_CALL_SITE_DIRECT || f == STATIC_CALL_SITE_TAIL_JUMP;
		abi_nsites++;
		abi_ndirect += direct;
		/* A site the runtime could not verify (a Clang anchor it could
		 * not decode, say) stays as compiled, on its trampoline: calls
		 * are still correct. A note unless ABI_STRICT_SITES=1. */
		if (f == STATIC_CALL_SITE_UNVERIFIED && !getenv("ABI_STRICT_SITES")) {
			fprintf(stderr, "abi: unverified site: case %d site %ld at %p: %s\n",
				i, k, abi_sites[k].address,
				abi_sites[k].reason ? abi_sites[k].reason : "");
			abi_nunverified++;
			continue;
		}
		/* lazy: bound (direct) or not yet (its trampoline) */
		if (!strcmp(abi_mode, "lazy") ? !direct && f != STATIC_CALL_SITE_TRAMPOLINE
		    : !strcmp(abi_mode, "direct") ? !direct
						 : f != STATIC_CALL_SITE_TRAMPOLINE) {
			char m[160];
			snprintf(m, sizeof m, "site %ld is %s in mode %s (%s)", k,
				 static_call_form_name(f), abi_mode,
				 abi_sites[k].reason ? abi_sites[k].reason : "");
			abi_fail(i, m);
		}
	}
#else
	(void)i;
	(void)n;
#endif
}
#define ABI_SITES(i, expr) abi_check_sites(i, (expr))

static void abi_case_begin(int i, const char *desc)
{
	abi_case_no = i;
	abi_case_desc = desc;
	abi_case_hash = 0xcbf29ce484222325ull;
}

static void abi_case_end(int i)
{
	printf("case %d %016llx\n", i, (unsigned long long)abi_case_hash);
}

static void abi_init(int argc, char **argv)
{
	if (argc > 1)
		abi_mode = argv[1];
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

static int abi_finish(void)
{
	fprintf(stderr, "abi: mode %s: %d checks, %d failures, %ld sites seen, "
		"%ld direct, %ld unverified\n", abi_mode, abi_checks, abi_failures,
		abi_nsites, abi_ndirect, abi_nunverified);
	printf("failures %d\n", abi_failures);
	return abi_failures ? 1 : 0;
}

#endif
