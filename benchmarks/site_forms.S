/*
 * site_forms.S - the candidate shapes of a promoted call site, written
 * by hand (site_forms.c measures them; docs/PATCHING.md "What a stub
 * costs"). Each loop calls sf_target through the pointer sf_fp, the way
 * a compiled indirect call loads it (a memory operand into %rax), the
 * result fed to the next call:
 *
 *   direct       call sf_target (the bound: a direct call, opaque target)
 *   stub         call stub; stub: cmp slot(%rip),%rax; je sf_target; jmp
 *                retpoline (today's promoted site, no hit counter)
 *   stub_counted the same with `jne 1f; incq hits(%rip); jmp sf_target`
 *                (today's default)
 *   inline       lea sf_target(%rip),%r11; cmp %r11,%rax; jne slow;
 *                call sf_target (the compare at the site: relpolines)
 *   inline_rseq  the same, inside a restartable sequence: the site first
 *                stores its descriptor in the thread's rseq area (glibc
 *                registers one per thread), so a thread found between the
 *                compare and the call by preemption, a signal or
 *                membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) is
 *                restarted by the kernel (test_rseq_site.c: the protocol)
 *   retpoline    call a retpoline thunk (-mindirect-branch=thunk's)
 *
 * sf_<form>(n) is one site called n times; sf_spread_<form>(n) is
 * SF_SITES sites in a row. The abort handler counts in sf_aborts (the
 * kernel's restarts). A form's cost moves by a cycle with where its loop
 * sits in the 32-byte blocks the front end fetches: PAD (bytes of NOPs
 * before each loop) places it. The slow paths are the retpoline; no
 * loop here takes them (sf_fp is sf_target throughout), so a wrong form
 * shows as a wrong sum.
 */
#include "site_forms.h"
#ifndef PAD
#define PAD 0
#endif
	.text

/* the retpoline, as GCC's __x86_indirect_thunk_rax */
	.p2align 5
sf_retpoline_rax:
	call	2f
1:	pause
	lfence
	jmp	1b
2:	mov	%rax, (%rsp)
	ret

/* The sites, each a macro whose labels are its own (\@: one number per
 * expansion), so that a loop can hold many: a stub per stub site, in
 * .text.sf_stubs (as the runtime's are in pages of their own); a
 * descriptor per rseq site. */
.macro SITE_direct
	call	sf_target
.endm

.macro SITE_retpoline
	call	sf_retpoline_rax
.endm

/* A stub site's call, and its stub's head: the stub n in its own
 * section, its compare against slot n (emitted by STUB_END). */
.macro STUB_BEGIN n
	call	sf_stub\n
	.pushsection .text.sf_stubs, "ax"
	.p2align 4
sf_stub\n:
	cmp	sf_slot\n(%rip), %rax
.endm

.macro STUB_END n
	.popsection
	.pushsection .data.rel.ro, "aw"
	.p2align 3
sf_slot\n:	.quad	sf_target
	.popsection
.endm

.macro SITE_stub
	STUB_BEGIN \@
	je	sf_target
	jmp	sf_retpoline_rax
	STUB_END \@
.endm

.macro SITE_stub_counted
	STUB_BEGIN \@
	jne	1f
	incq	sf_hits\@(%rip)
	jmp	sf_target
1:	incq	sf_misses(%rip)
	jmp	sf_retpoline_rax
	STUB_END \@
	.pushsection .data, "aw"	/* (the runtime's: a page of their own) */
	.p2align 3
sf_hits\@:	.quad	0
	.popsection
.endm

/* The inline forms' slow paths and abort handlers are out of line
 * (.text.sf_cold), as a compiler puts them: the fast path falls through
 * the call. */
.macro SITE_inline
	lea	sf_target(%rip), %r11
	cmp	%r11, %rax
	jne	9f
	call	sf_target
8:
	.pushsection .text.sf_cold, "ax"
9:	call	sf_retpoline_rax
	jmp	8b
	.popsection
.endm

/* The descriptor's address into the rseq area's rseq_cs (its offset
 * from %fs: sf_rseq_cs_off, set by site_forms.c from glibc's
 * __rseq_offset); the sequence is [3f, 4f): the compare to the call's
 * end. The kernel moves a thread it finds inside to the abort handler,
 * which takes the slow path (correct for any value; retrying could
 * livelock under a debugger's single steps, each a restart). */
.macro SITE_inline_rseq
	lea	sf_cs\@(%rip), %r11
	mov	sf_rseq_cs_off(%rip), %r10
	mov	%r11, %fs:(%r10)
3:	lea	sf_target(%rip), %r11
	cmp	%r11, %rax
	jne	9f
	call	sf_target
4:
	.pushsection .text.sf_cold, "ax"
9:	call	sf_retpoline_rax
	jmp	4b
	.byte	0x0f, 0xb9, 0x3d	/* ud1 RSEQ_SIG(%rip), %edi: */
	.long	0x53053053		/* the signature, x86 */
5:	lock incq sf_aborts(%rip)
	jmp	9b
	.popsection
	.pushsection .data.rel.local, "aw"
	.p2align 5
sf_cs\@:	.long	0, 0		/* version, flags */
	.quad	3b, 4b - 3b, 5b		/* start, post-commit offset, abort */
	.popsection
.endm

/* The loops: `sf_<form>(n)`, one site called n times, and
 * `sf_spread_<form>(n)`, SF_SITES sites in a row (n a multiple): many
 * call sites, stubs and targets' entries for the front end and the
 * branch predictors to hold, as in a large program. n in %rbx, the
 * running value in %r12. */
.macro LOOP name, prefix, sites
	.globl	sf_\prefix\name
	.type	sf_\prefix\name, @function
	.p2align 5
sf_\prefix\name:
	push	%rbx
	push	%r12
	push	%r13
	mov	%rdi, %rbx
	xor	%r12d, %r12d
	.p2align 5
	.nops	PAD		/* where the loop sits: site_forms.sh varies it */
.Lloop_\prefix\name:		/* (named: the sites' stubs have a 1:) */
	.rept	\sites
	mov	%r12, %rdi
	mov	sf_fp(%rip), %rax
	SITE_\name
	mov	%rax, %r12
	.endr
	sub	$\sites, %rbx
	jg	.Lloop_\prefix\name
	mov	%r12, %rax
	pop	%r13
	pop	%r12
	pop	%rbx
	ret
	.size	sf_\prefix\name, . - sf_\prefix\name
.endm

.irp form, direct, retpoline, stub, stub_counted, inline, inline_rseq
	LOOP \form, , 1
	LOOP \form, spread_, SF_SITES
.endr

	.data
	.p2align 6
	.globl	sf_misses, sf_rseq_cs_off, sf_aborts
sf_aborts:	.quad	0
sf_misses:	.quad	0
sf_rseq_cs_off:	.quad	0

	.section .note.GNU-stack, "", @progbits
