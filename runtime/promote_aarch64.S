/*
 * promote_aarch64.S - __staticcall_promote_sample, the runtime's end of a
 * promotable thunk's sample block on arm64 (docs/ABI.md "Promotable
 * sites"; promote.c does the work). The block ran `stp x29, x30, [sp,
 * #-32]!; mov x16, #reg; stp xN, x16, [sp, #16]; bl` here:
 *   [sp]      x29
 *   [sp, #8]  the site's return address: the end of its `bl`
 *   [sp, #16] the call's target (the register's value)
 *   [sp, #24] the register's number
 * (on the stack: the PLT entry that brought the call here clobbers x16
 * and x17). Every register the call's target may read is kept: x0-x15
 * (the arguments, x8, and the target's own register when it is one of
 * them), x18, q0-q7 in full; x19-x29 are preserved by C. As
 * __staticcall_bind (bind_aarch64.S): not the upper parts of SVE z0-z7
 * and p0-p3. Reached through the PLT's `br x17`: `bti c` first; the
 * return address is signed. Returns into the block, which goes on
 * through the thunk's body.
 */
#include "call_regs_aarch64.h"

	.text
	.globl __staticcall_promote_sample
	.type __staticcall_promote_sample, %function
	.balign 16
__staticcall_promote_sample:
	hint 34			/* bti c */
	hint 25			/* paciasp */
	stp x29, x30, [sp, #-288]!
	mov x29, sp
	stp x0, x1, [sp, #16]
	stp x2, x3, [sp, #32]
	stp x4, x5, [sp, #48]
	stp x6, x7, [sp, #64]
	stp x8, x9, [sp, #80]
	stp x10, x11, [sp, #96]
	stp x12, x13, [sp, #112]
	stp x14, x15, [sp, #128]
	str x18, [sp, #144]
	SC_A64_Q_SAVE 160
	ldr x0, [sp, #296]	/* the site's return address */
	ldp x1, x2, [sp, #304]	/* the target, the register's number */
	bl sc_promote_sample_entry
	SC_A64_Q_RESTORE 160
	ldr x18, [sp, #144]
	ldp x14, x15, [sp, #128]
	ldp x12, x13, [sp, #112]
	ldp x10, x11, [sp, #96]
	ldp x8, x9, [sp, #80]
	ldp x6, x7, [sp, #64]
	ldp x4, x5, [sp, #48]
	ldp x2, x3, [sp, #32]
	ldp x0, x1, [sp, #16]
	ldp x29, x30, [sp], #288
	hint 29			/* autiasp */
	ret
	.size __staticcall_promote_sample, .-__staticcall_promote_sample

	.section .note.GNU-stack,"",%progbits

	SC_A64_GNU_PROPERTY
