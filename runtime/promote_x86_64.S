/*
 * promote_x86_64.S - __staticcall_promote_sample, the runtime's end of a
 * promotable thunk's sample block (docs/ABI.md "Promotable sites";
 * promote.c does the work). The block ran `push %r10; push %r11; push
 * $reg; push %reg; call` (a tail site's slow stub the same):
 *   0(%rsp)   the return address into the block
 *   8(%rsp)   the call's target (the register's value)
 *   16(%rsp)  the register's number
 *   24(%rsp)  %r11, 32(%rsp) %r10 (kept from the PLT's lazy resolver)
 *   40(%rsp)  the site's return address (a call site: the end of it)
 * Everything the callee may read is kept, as __staticcall_bind does
 * (bind_x86_64.S: argument registers, %rax, %r10, the vector state with
 * vector_state_x86_64.h). Reached through the PLT: endbr64 first.
 */
#include "call_regs_x86_64.h"
#include "vector_state_x86_64.h"

	.text
	.globl __staticcall_promote_sample
	.type __staticcall_promote_sample, @function
	.balign 16
__staticcall_promote_sample:
	.cfi_startproc
	endbr64
	SC_CALL_REGS_SAVE r11=1
	SC_VECTOR_SAVE
	movq 48(%rbp), %rdi
	movq 16(%rbp), %rsi
	movq 24(%rbp), %rdx
	call sc_promote_sample_entry
	SC_VECTOR_RESTORE
	SC_CALL_REGS_RESTORE r11=1
	ret
	.cfi_endproc
	.size __staticcall_promote_sample, .-__staticcall_promote_sample

	.section .note.GNU-stack,"",@progbits
#ifdef __CET__
#include <cet.h>
#endif
