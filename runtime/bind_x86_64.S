/*
 * bind_x86_64.S - __staticcall_bind, the runtime's end of a trampoline's
 * bind block (docs/ABI.md, "Lazy binding"; bind.c does the work).
 *
 * The block ran `leaq DESC(%rip), %r11; pushq %r11; call` here, so:
 *   0(%rsp)   the return address into the block (its `popq %r11`)
 *   8(%rsp)   the key's descriptor
 *   16(%rsp)  the site's return address: the end of the calling site
 * Every register that may carry an argument or that the callee may read
 * is kept: %rdi %rsi %rdx %rcx %r8 %r9, %rax (the vector count of a
 * variadic call), %r10 (a nested function's static chain), and the whole
 * vector state (xmm/ymm/zmm and mask registers) with XSAVE in the size
 * the CPU gives (FXSAVE where the OS enables no XSAVE): the runtime calls
 * libc, whose string functions use AVX and end in vzeroupper. Reached
 * through the PLT's indirect jump: endbr64 first. The runtime adds no
 * indirect branch; the block returns into the trampoline's slow path.
 */
	.text
	.globl __staticcall_bind
	.type __staticcall_bind, @function
	.balign 16
__staticcall_bind:
	endbr64
	pushq %rbp
	movq %rsp, %rbp
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %r8
	pushq %r9
	pushq %r10
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
	movq 16(%rbp), %rdi
	movq 24(%rbp), %rsi
	call sc_bind_entry
	movl $0xe7, %eax
	xorl %edx, %edx
	xrstor (%rsp)
	jmp 2f
1:	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
	movq 16(%rbp), %rdi
	movq 24(%rbp), %rsi
	call sc_bind_entry
	fxrstor (%rsp)
2:	leaq -64(%rbp), %rsp
	popq %r10
	popq %r9
	popq %r8
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rax
	popq %rbp
	ret
	.size __staticcall_bind, .-__staticcall_bind

	.section .note.GNU-stack,"",@progbits
#ifdef __CET__
#include <cet.h>
#endif
