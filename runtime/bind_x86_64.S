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
 * vector state (vector_state_x86_64.h). Reached
 * through the PLT's indirect jump: endbr64 first. The runtime adds no
 * indirect branch; the block returns into the trampoline's slow path.
 */
#include "call_regs_x86_64.h"
#include "vector_state_x86_64.h"

	.text
	.globl __staticcall_bind
	.type __staticcall_bind, @function
	.balign 16
__staticcall_bind:
	.cfi_startproc
	endbr64
	SC_CALL_REGS_SAVE r11=0
	SC_VECTOR_SAVE
	movq 16(%rbp), %rdi
	movq 24(%rbp), %rsi
	call sc_bind_entry
	SC_VECTOR_RESTORE
	SC_CALL_REGS_RESTORE r11=0
	ret
	.cfi_endproc
	.size __staticcall_bind, .-__staticcall_bind

	.section .note.GNU-stack,"",@progbits
#ifdef __CET__
#include <cet.h>
#endif
