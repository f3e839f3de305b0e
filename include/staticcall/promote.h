/*
 * staticcall/promote.h - promotion of ordinary indirect calls (optpolines;
 * docs/GUIDE.md "Promoted indirect calls"): what the runtime learned.
 * A unit compiled with `pkg-config --variable=gcc_promote_cflags
 * staticcall` needs nothing from this header; it is for reports and tests.
 */
#ifndef STATICCALL_PROMOTE_H
#define STATICCALL_PROMOTE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct static_call_promote_stats {
	size_t objects;	       /* linked objects with a table of sites */
	size_t sites;	       /* sites recorded and verified */
	size_t tail_sites;     /* ... of which tail calls and jump sites */
	size_t tail_unlearned; /* tail calls without a slow stub (no stub
				  memory left): not learned */
	size_t rejected;    /* records whose code did not match: left alone */
	size_t promoted;    /* sites on a stub now */
	size_t megamorphic; /* sites given up on (too many targets, or
			       re-promoted too often): on the thunk for good
			       (promote-plain: `call *%reg` in place) */
	size_t far;	    /* sites whose targets lie beyond a stub's reach
			       (x86-64: +-2 GiB, e.g. a library calling back
			       into the program): on the thunk for good */
	unsigned long promotions, demotions;
	unsigned long samples;	  /* samples taken (all threads, all flushes) */
	size_t stubs, stub_bytes; /* stubs written, executable bytes used
				     (with the gaps that start counting
				     stubs on a cache line) */
	/* hit counters (STATICCALL_PROMOTE_COUNT, default on): calls the
	 * stubs sent to a learned target (each target's count stopping at
	 * STATIC_CALL_PROMOTE_HITS_MAX), and to the slow path, since each
	 * stub's counts last started; counted without atomics, so
	 * concurrent calls may lose a few */
	unsigned long long hits, misses;
	size_t counter_bytes; /* read-write memory holding the counters */
	/* the memory the runtime made, process-wide (its stubs, counters
	 * and generated functions; docs/PATCHING.md "Executable memory"),
	 * bytes: address space reserved, executable (each page sealed
	 * read-only), being written (read-write, not executable yet),
	 * read-write data; and its regions */
	size_t exec_reserved, exec_bytes, exec_open, exec_data;
	size_t exec_regions;
	/* inline sites (promote-inline): recorded, and open on a target */
	size_t inline_sites, inline_open;
	size_t no_room; /* sites given up on because their object's stub
			   memory was used up: on the thunk for good */
	size_t plain;	/* promote-plain sites that learned their targets:
			   their own `call *%reg` in place for good */
	size_t unwritable; /* sites whose object's code refused to be made
			      writable (mseal, a security policy): left
			      where they were, for good */
};

/* Fill *s; 0, or -ENOSYS when the runtime has no promotion, -EINVAL
 * for a NULL s. */
int static_call_promote_stats(struct static_call_promote_stats *s);

enum static_call_promote_state {
	STATIC_CALL_PROMOTE_REJECTED = 0,   /* its code did not verify */
	STATIC_CALL_PROMOTE_UNLEARNED = 1,  /* a tail call without a slow
					       stub: on its thunk */
	STATIC_CALL_PROMOTE_LEARNING = 2,   /* on its slow path, sampled */
	STATIC_CALL_PROMOTE_PROMOTED = 3,   /* on a stub of `ntargets` */
	/* given up on (4, 5, 7): on the retpoline; a promote-plain unit's
	 * site `call *%reg` in place, for good (sealing leaves it so, in
	 * this state) */
	STATIC_CALL_PROMOTE_MEGAMORPHIC = 4, /* given up: on the retpoline */
	STATIC_CALL_PROMOTE_FAR = 5, /* targets out of reach: retpoline */
	STATIC_CALL_PROMOTE_SEALED = 6, /* static_call_seal(CODE): on its
					   thunk, as compiled */
	STATIC_CALL_PROMOTE_NO_ROOM = 7, /* its object's stub memory used
					    up: given up, on the retpoline */
	/* a promote-plain unit's site that learned its targets
	 * (targets[0..ntargets)): its own `call *%reg` in place for good,
	 * the cheapest form without retpolines */
	STATIC_CALL_PROMOTE_PLAIN = 8,
	/* its object's code refused to be made writable (mprotect: sealed
	 * with mseal, a security policy): left where it was (its slow path,
	 * or its stub), for good; the runtime says so once per object */
	STATIC_CALL_PROMOTE_UNWRITABLE = 9,
};

/* The state's name ("learning", "promoted", "megamorphic", "no-room",
 * "plain", ...), "?" for a value that is none. */
const char *static_call_promote_state_name(int state);

/* A stub's hit counter stops here (2^24): its line is then only read,
 * so a site called on many cores at once does not bounce it between
 * them. The runtime starts the counts again when it needs them
 * (docs/PATCHING.md "Hit counters"). */
#define STATIC_CALL_PROMOTE_HITS_MAX (1ul << 24)

struct static_call_promote_site_info {
	const void *address; /* the call (or tail jump) instruction */
	int reg;	     /* x86: 0 rax ... 15 r15; arm64: N of xN */
	int tail;	     /* 1: a tail call; 2: a jump site, an
				indirect jump that is no call (a computed
				goto, a jump table), learned as a tail
				call */
	int state;	     /* enum static_call_promote_state */
	int ntargets;	     /* PROMOTED (or UNWRITABLE, left on its
				stub): targets[0..ntargets) */
	const void *targets[16];  /* a call site 8 at most, a jump site 16 */
	unsigned long samples;	  /* samples tallied to it, in all */
	unsigned long promotions; /* times pointed at a stub */
	unsigned long demotions;  /* times moved back to its slow path */
	/* on a stub with hit counters (counted = 1): calls its current stub
	 * sent to targets[i] (at most STATIC_CALL_PROMOTE_HITS_MAX: at that
	 * count a target's counter stops, "at least"), and to its slow path
	 * (misses), since the runtime last started its counts (they may go
	 * down: docs/PATCHING.md "Hit counters") */
	int counted;
	unsigned long hits[16], misses;
	unsigned long kept; /* times its misses reached the demotion limit
			       but stayed rare next to its hits: kept */
	/* 1: the slow path of an inline site (promote-inline), which
	 * compares inline_target at the call itself (NULL: closed, every
	 * call comes here) */
	int inline_site;
	const void *inline_target;
};

/* Every registered promotable site, all objects: fills buf[0..n) and
 * returns how many there are (call with n = 0, or buf NULL, to size
 * buf); -ENOSYS when the runtime has no promotion. Objects are
 * registered only while promotion is on: under STATICCALL_PROMOTE=off,
 * STATICCALL_DISABLE=1 or STATICCALL_SEAL (from the start) there are
 * none (the inspector still reads their sites from the files). */
int static_call_promote_sites(struct static_call_promote_site_info *buf,
			      size_t n);

#ifdef __cplusplus
}
#endif

#endif
