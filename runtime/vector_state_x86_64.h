/*
 * vector_state_x86_64.h - for the runtime's assembly entry points that C
 * code is called from in the middle of a program's call (bind_x86_64.S,
 * promote_x86_64.S): keep the whole vector state (xmm/ymm/zmm and mask
 * registers) around the C call, with XSAVE in the size the CPU gives
 * (sc_x86_xsave_size), FXSAVE where the OS enables no XSAVE. The runtime
 * calls libc, whose string functions use AVX and end in vzeroupper.
 *
 * SC_VECTOR_SAVE: on a stack whose general registers are saved; uses
 * %rax and %rdx, leaves %rsp at the save area (restore %rsp from %rbp).
 * SC_VECTOR_RESTORE: after the call, with %rsp still at the save area;
 * uses %rax and %rdx.
 */
	.macro SC_VECTOR_SAVE
	movl sc_x86_xsave_size(%rip), %eax
	testl %eax, %eax
	jz 1f
	subq %rax, %rsp
	andq $-64, %rsp
	/* XRSTOR faults on a header with reserved bits set: zero it */
	xorl %eax, %eax
	movq %rax, 512(%rsp)
	movq %rax, 520(%rsp)
	movq %rax, 528(%rsp)
	movq %rax, 536(%rsp)
	movq %rax, 544(%rsp)
	movq %rax, 552(%rsp)
	movq %rax, 560(%rsp)
	movq %rax, 568(%rsp)
	movl $0xe7, %eax	/* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
	xorl %edx, %edx
	xsave (%rsp)
	jmp 2f
1:	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
2:
	.endm

	.macro SC_VECTOR_RESTORE
	movl sc_x86_xsave_size(%rip), %eax
	testl %eax, %eax
	jz 1f
	movl $0xe7, %eax
	xorl %edx, %edx
	xrstor (%rsp)
	jmp 2f
1:	fxrstor (%rsp)
2:
	.endm
