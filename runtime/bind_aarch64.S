/*
 * bind_aarch64.S - __staticcall_bind, the runtime's end of a trampoline's
 * bind block on arm64 (docs/ABI.md, "Lazy binding"; bind.c does the work).
 *
 * The block ran `stp x16, x30, [sp, #-16]!; bl` here (x16: the key's
 * descriptor, x30: the site's return address), so on entry
 *   [sp]      the key's descriptor
 *   [sp, #8]  the site's return address: the end of the calling site
 * (passed on the stack: the PLT entry or a linker's veneer that brought
 * the call here may have clobbered x16 and x17). Every register that may
 * carry an argument is kept: x0-x7, x8 (the indirect result address),
 * x18 (GCC's static chain), q0-q7 in full (floating-point and vector
 * arguments, HFAs/HVAs); the rest are the callee's scratch or preserved by
 * C. Not kept: the upper parts of SVE z0-z7 and p0-p3, which only
 * functions of the SVE vector PCS take as arguments (bind such keys
 * beforehand: docs/PATCHING.md). Reached through the PLT's `br x17`:
 * `bti c` first; the return address is signed (a NOP on cores without
 * pointer authentication). Returns into the block, which goes on through
 * the trampoline's slow path: the runtime adds no indirect branch.
 */
#include "call_regs_aarch64.h"

	.text
	.globl __staticcall_bind
	.type __staticcall_bind, %function
	.balign 16
__staticcall_bind:
	hint 34			/* bti c */
	hint 25			/* paciasp */
	stp x29, x30, [sp, #-224]!
	mov x29, sp
	stp x0, x1, [sp, #16]
	stp x2, x3, [sp, #32]
	stp x4, x5, [sp, #48]
	stp x6, x7, [sp, #64]
	stp x8, x18, [sp, #80]
	SC_A64_Q_SAVE 96
	ldp x0, x1, [sp, #224]	/* the descriptor, the site's return address */
	bl sc_bind_entry
	SC_A64_Q_RESTORE 96
	ldp x8, x18, [sp, #80]
	ldp x6, x7, [sp, #64]
	ldp x4, x5, [sp, #48]
	ldp x2, x3, [sp, #32]
	ldp x0, x1, [sp, #16]
	ldp x29, x30, [sp], #224
	hint 29			/* autiasp */
	ret
	.size __staticcall_bind, .-__staticcall_bind

	.section .note.GNU-stack,"",%progbits

	SC_A64_GNU_PROPERTY
