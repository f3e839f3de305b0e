/*
 * fixture_rseq_site_x86_64.S - a hand-written call site with the compare
 * inline and a restartable sequence around it, for test_rseq_site.c: the
 * prototype of the inline form docs/PATCHING.md "What a stub costs"
 * describes (no plugin emits it yet).
 *
 * rs_call(fp, x) calls fp(x): fp in %rax as a compiled indirect call has
 * it. The site stores its descriptor in the thread's rseq area (its
 * offset from %fs in rs_rseq_cs_off), then, inside the sequence
 * [rs_start, rs_end):
 *
 *	lea  A(%rip), %r11     # rs_start: field A, disp32 at +3
 *	cmp  %r11, %rax        # rs_closed: A's value when no target is set
 *	jne  rs_slow
 *	(held: wait)           # one thread held there, for the tests
 *	call B                 # rs_callsite (8-aligned): field B, rel32
 *
 * A compiled site would not wait: the thread whose thread pointer is in
 * rs_hold, if it matched A, sets rs_inside and waits between the
 * compare and the call until rs_hold changes, so that the tests can put
 * a thread there at each step of the protocol, not by luck.
 *
 * Each field lies inside one aligned word (the test checks). A is
 * rs_closed (the site's own `cmp`, which no function pointer can be)
 * until a target is set: every value then takes the slow path, `call
 * *%rax`, correct for any value. A thread the kernel finds inside the
 * sequence (preemption, a signal, the writer's
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ)) resumes at
 * rs_abort, which counts it and takes the slow path.
 */
	.text
	.globl	rs_call, rs_start, rs_closed, rs_callsite, rs_end
	.globl	rs_rseq_cs_off, rs_aborts, rs_hold, rs_inside, rs_t0
	.type	rs_call, @function
	.p2align 4
rs_call:
	mov	%rdi, %rax			/* 3 bytes */
	mov	%rsi, %rdi			/* 3 */
	lea	rs_cs(%rip), %r11		/* 7 */
	mov	rs_rseq_cs_off(%rip), %r10	/* 7 */
	mov	%r11, %fs:(%r10)		/* 4: the sequence starts here */
rs_start:
	lea	rs_closed(%rip), %r11
rs_closed:
	cmp	%r11, %rax
	jne	rs_slow
	mov	%fs:0, %rcx			/* this thread's pointer */
	cmp	rs_hold(%rip), %rcx
	jne	2f
	movl	$1, rs_inside(%rip)
1:	pause
	cmp	rs_hold(%rip), %rcx
	je	1b
2:	.p2align 3, 0x90
rs_callsite:
	call	rs_t0
rs_end:
	ret
rs_slow:
	call	*%rax
	ret
	.byte	0x0f, 0xb9, 0x3d		/* ud1 RSEQ_SIG(%rip), %edi: */
	.long	0x53053053			/* the signature, x86 */
rs_abort:
	lock incq rs_aborts(%rip)
	jmp	rs_slow
	.size	rs_call, . - rs_call

	.type	rs_t0, @function
rs_t0:
	lea	1000(%rdi), %rax
	ret
	.size	rs_t0, . - rs_t0

	.data
	.p2align 5
rs_cs:	.long	0, 0			/* version, flags */
	.quad	rs_start, rs_end - rs_start, rs_abort
rs_rseq_cs_off:	.quad	0
rs_aborts:	.quad	0
rs_hold:	.quad	0
rs_inside:	.long	0

	.section .note.GNU-stack, "", @progbits
