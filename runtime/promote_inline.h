/*
 * promote_inline.h - inline sites (SC_PROMOTE_INLINE; docs/PATCHING.md
 * "Inline sites"): a promotable call whose compare with one learned
 * target is at the site, in a restartable sequence, its slow path the
 * promotable site promote.c learns and stubs as any other. This part
 * verifies such a site and opens, re-targets and closes it by the
 * protocol that keeps every thread's call right.
 */
#ifndef SC_PROMOTE_INLINE_H
#define SC_PROMOTE_INLINE_H

#include <stdint.h>

#include "internal.h"

struct sc_rseq_cs;

struct pinline {
	uint8_t *start;		 /* the site's first byte */
	struct sc_rseq_cs *desc; /* runtime memory; NULL until armed */
	const uint8_t *slow;	 /* its slow path (the abort handler) */
	const uint8_t *thunk;	 /* B as compiled */
	const void *b;		 /* B as last written (the thunk first): a
				    write of B expects it, not what B reads
				    now, which a breakpoint may have changed */
	const void *target;	 /* open on it; NULL: closed */
	int owed; /* closed, but its barrier failed: owed before B moves */
	int bypassed; /* its first instruction a `jmp` to its slow path (as
			 compiled) */
	int armed;    /* its descriptor store's operands written */
};

/* Does the code before the verified slow site `slow` (a call of `thunk`
 * through register reg) hold an inline site as compiled (its first
 * instruction a `jmp` to slow, A closed, B the thunk)? Fills *in; 0 if
 * not. */
int sc_pinline_verify(const struct sc_object *o, uint8_t *slow, int reg,
		     const uint8_t *thunk, struct pinline *in);
/* Open in on target, or (NULL) close it: 0, or -errno with the site
 * closed (-ENOTSUP: no restartable sequences or barrier here, or
 * STATICCALL_PROMOTE_INLINE=off; -ERANGE: out of reach; -ENOMEM: no
 * descriptor; -EBUSY: its code changed behind us, left alone). Opening
 * it the first time writes its descriptor store over its `jmp`. Under
 * the runtime lock. */
int sc_pinline_set(const struct sc_object *o, struct pinline *in,
		  const void *target);
/* Closed for good (its slow site given up on): its first instruction
 * the `jmp` to its slow path again, so its calls skip the descriptor
 * store, the compare and the `jne`. 0, or -errno with nothing written
 * (-EBUSY: open, or its first bytes changed behind us; -ERANGE: out of
 * reach). Opening it (sc_pinline_set) writes the store back. */
int sc_pinline_bypass(const struct sc_object *o, struct pinline *in);
/* Closed, bypassed, B back on the thunk, the store's operands zero:
 * the code as compiled (sealing). */
int sc_pinline_restore(const struct sc_object *o, struct pinline *in);
/* Its object goes (dlclose): its descriptor emptied for good (a thread
 * may still point at it) and reused. */
void sc_pinline_forget(struct pinline *in);

/* Tests: called as the barrier, rseq then taken as working (NULL: the
 * real membarrier). */
extern int (*sc_pinline_test_barrier)(void);
/* The kernel self-test (before any site may open, once): NULL if a
 * thread inside a restartable sequence of the runtime's reached its
 * abort handler by the barrier (or, never beside the caller, when
 * preempted); else why not, or why it could not run (no rseq area, no
 * barrier, no thread, an arch without the sequence). Under the runtime
 * lock, never from a signal handler (it starts a thread). */
const char *sc_pinline_kernel_test(void);
/* Its readiness, asked when an object with inline sites registers (not
 * in a flush, which may run in a signal handler): the self-test runs
 * then. 1: sites may open. */
int sc_pinline_ready(void);
/* Tests: the self-test's sequence described with an empty range, as a
 * kernel that never restarts would treat it. */
extern int sc_pinline_test_probe_outside;

#endif
