/*
 * promote_aarch64.c - promotion has no arm64 sites yet (issue 16: the
 * `bl`-to-thunk shape of -mharden-sls=blr is the next step).
 */
#include "promote.h"

int sc_parch_supported(void)
{
	return 0;
}
const void *sc_parch_sample_fn(void)
{
	return NULL;
}
const uint8_t *sc_parch_site_dest(const uint8_t *insn, int tail)
{
	(void)insn, (void)tail;
	return NULL;
}
int sc_parch_site_encode(const uint8_t *insn, int tail, const void *dest,
			 uint8_t out[SC_PSITE_LEN])
{
	(void)insn, (void)tail, (void)dest, (void)out;
	return 0;
}
int sc_parch_thunk_ok(const uint8_t *thunk, int reg, uintptr_t call_lo,
		      uintptr_t call_hi, const void *sample_fn)
{
	(void)thunk, (void)reg, (void)call_lo, (void)call_hi, (void)sample_fn;
	return 0;
}
const uint8_t *sc_parch_thunk_retpoline(const uint8_t *thunk)
{
	return thunk;
}
uint64_t sc_parch_thunk_slot(int sampling)
{
	(void)sampling;
	return 0;
}
size_t sc_parch_stub_size(int n)
{
	(void)n;
	return 0;
}
int sc_parch_stub_encode(const uint8_t *at, int reg, void *const *targets,
			 int n, const uint8_t *miss, uint8_t *out)
{
	(void)at, (void)reg, (void)targets, (void)n, (void)miss, (void)out;
	return 0;
}
int sc_parch_reach(uintptr_t p, uintptr_t lo, uintptr_t hi)
{
	(void)p, (void)lo, (void)hi;
	return 0;
}
size_t sc_parch_slow_size(void)
{
	return 0;
}
int sc_parch_slow_encode(const uint8_t *at, int reg, const uint8_t *site_end,
			 const uint8_t *thunk, uint8_t *out)
{
	(void)at, (void)reg, (void)site_end, (void)thunk, (void)out;
	return 0;
}
/* no counting stubs yet (promote.h): stubs without counters */
size_t sc_parch_counted_stub_size(int n)
{
	(void)n;
	return 0;
}
int sc_parch_counted_stub_encode(const uint8_t *at, int reg,
				 void *const *targets, int n,
				 const uint8_t *miss, uint64_t *counters,
				 uint8_t *out)
{
	(void)at, (void)reg, (void)targets, (void)n, (void)miss;
	(void)counters, (void)out;
	return 0;
}
