/*
 * promote_x86_64.S - __staticcall_promote_sample, the runtime's end of a
 * promotable thunk's sample block (docs/ABI.md "Promotable sites";
 * promote.c does the work). The block ran `push $reg; push %reg; call`:
 *   0(%rsp)   the return address into the block
 *   8(%rsp)   the call's target (the register's value)
 *   16(%rsp)  the register's number
 *   24(%rsp)  the site's return address (a call site: the end of it)
 * Everything the callee may read is kept, as __staticcall_bind does
 * (bind_x86_64.S: argument registers, %rax, %r10, the vector state with
 * XSAVE or FXSAVE). Reached through the PLT: endbr64 first.
 */
	.text
	.globl __staticcall_promote_sample
	.type __staticcall_promote_sample, @function
	.balign 16
__staticcall_promote_sample:
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
	pushq %r11
	movl sc_x86_xsave_size(%rip), %eax
	testl %eax, %eax
	jz 1f
	subq %rax, %rsp
	andq $-64, %rsp
	xorl %eax, %eax
	movq %rax, 512(%rsp)
	movq %rax, 520(%rsp)
	movq %rax, 528(%rsp)
	movq %rax, 536(%rsp)
	movq %rax, 544(%rsp)
	movq %rax, 552(%rsp)
	movq %rax, 560(%rsp)
	movq %rax, 568(%rsp)
	movl $0xe7, %eax
	xorl %edx, %edx
	xsave (%rsp)
	movq 32(%rbp), %rdi
	movq 16(%rbp), %rsi
	movq 24(%rbp), %rdx
	call sc_promote_sample_entry
	movl $0xe7, %eax
	xorl %edx, %edx
	xrstor (%rsp)
	jmp 2f
1:	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
	movq 32(%rbp), %rdi
	movq 16(%rbp), %rsi
	movq 24(%rbp), %rdx
	call sc_promote_sample_entry
	fxrstor (%rsp)
2:	leaq -72(%rbp), %rsp
	popq %r11
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
	.size __staticcall_promote_sample, .-__staticcall_promote_sample

	.section .note.GNU-stack,"",@progbits
#ifdef __CET__
#include <cet.h>
#endif
