/*
 * fixture_promote_aarch64.S - promotable sites and thunks in the GCC
 * plugin's arm64 shape (plugin-common/promote_text.cc, docs/ABI.md), for
 * test_promote_aarch64.c: for each register a thunk may take,
 *   pt_thunk_xN  the thunk (slot word, body, sample block)
 *   pt_via_xN    long pt_via_xN(long (*value)(void)): calls value through
 *                pt_site_xN, `bl pt_thunk_xN`, with xN holding it
 * and a table of records for all of them (pt_table .. pt_table_end), plus
 * one bad record (a site that is no `bl`).
 */
	.macro THUNK n
	.text
	.balign 16
	.globl pt_thunk_x\n
	.type pt_thunk_x\n, %function
pt_thunk_x\n:
	.inst 0x14000002	/* slot: b .+8 */
	.inst 0xd4200b80	/* brk #0x5c */
	mov x16, x\n
	br x16
	dsb sy
	isb
	mrs x16, tpidr_el0
	adrp x17, :gottprel:__staticcall_promote_tick
	ldr x17, [x17, #:gottprel_lo12:__staticcall_promote_tick]
	add x16, x16, x17
	ldr w17, [x16]
	subs w17, w17, #1
	str w17, [x16]
	b.ne .-44
	stp x29, x30, [sp, #-32]!
	mov x16, #\n
	stp x\n, x16, [sp, #16]
	bl __staticcall_promote_sample
	ldp x29, x30, [sp], #32
	b .-68
	.size pt_thunk_x\n, .-pt_thunk_x\n
	.endm

	.macro VIA n
	.text
	.balign 16
	.globl pt_via_x\n
	.type pt_via_x\n, %function
pt_via_x\n:
	stp x29, x30, [sp, #-32]!
	mov x29, sp
	str x\n, [sp, #16]
	mov x\n, x0
	.globl pt_site_x\n
pt_site_x\n:
	bl pt_thunk_x\n
	.if \n >= 19
	ldr x\n, [sp, #16]	/* callee-saved: restored */
	.endif
	ldp x29, x30, [sp], #32
	ret
	.size pt_via_x\n, .-pt_via_x\n
	.endm

	.macro RECORD n
	.long pt_site_x\n - .
	.if \n >= 16
	.long (\n - 16) | 0x20	/* SC_PROMOTE_REG_HIGH */
	.else
	.long \n
	.endif
	.endm

	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29
	THUNK \n
	VIA \n
	.endr

/* long pt_pair(long (*f)(void), long (*g)(void)): calls f then g, returns
 * g's result, through two sites sharing one aligned quadword (x19's, then
 * x20's thunk). */
	.text
	.balign 16
	.globl pt_pair, pt_pair_site0, pt_pair_site1
	.type pt_pair, %function
pt_pair:
	stp x29, x30, [sp, #-48]!
	mov x29, sp
	stp x19, x20, [sp, #16]
	str x21, [sp, #32]
	mov x19, x0
	mov x20, x1
pt_pair_site0:			/* offset 24: 8-aligned */
	bl pt_thunk_x19
pt_pair_site1:
	bl pt_thunk_x20
	ldp x19, x20, [sp, #16]
	ldr x21, [sp, #32]
	ldp x29, x30, [sp], #48
	ret
	.size pt_pair, .-pt_pair

	.section .rodata
	.balign 8
	.globl pt_table, pt_table_end, pt_bad_table, pt_bad_table_end
pt_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29
	RECORD \n
	.endr
	.long pt_pair_site0 - .
	.long 3 | 0x20
	.long pt_pair_site1 - .
	.long 4 | 0x20
pt_table_end:
pt_bad_table:
	.long pt_via_x1 - .	/* stp, not bl */
	.long 1
	.long pt_site_x2 - .	/* x2's site, recorded as x3's */
	.long 3
pt_bad_table_end:

	.section .note.GNU-stack,"",%progbits
