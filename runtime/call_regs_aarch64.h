/*
 * call_regs_aarch64.h - for the runtime's assembly entry points that C
 * code is called from in the middle of a program's call (bind_aarch64.S,
 * promote_aarch64.S; as call_regs_x86_64.h on x86-64).
 *
 * SC_A64_Q_SAVE off / SC_A64_Q_RESTORE off: q0-q7 in full (floating-point
 * and vector arguments, HFAs/HVAs) at [sp, #off] up to [sp, #off + 128].
 * SC_A64_GNU_PROPERTY: the note that says the file keeps BTI and PAC,
 * emitted where the unit is built with them, so the linked object keeps
 * its GNU property (docs/ABI.md); nothing otherwise.
 */
	.macro SC_A64_Q_SAVE off
	stp q0, q1, [sp, #\off]
	stp q2, q3, [sp, #(\off + 32)]
	stp q4, q5, [sp, #(\off + 64)]
	stp q6, q7, [sp, #(\off + 96)]
	.endm

	.macro SC_A64_Q_RESTORE off
	ldp q6, q7, [sp, #(\off + 96)]
	ldp q4, q5, [sp, #(\off + 64)]
	ldp q2, q3, [sp, #(\off + 32)]
	ldp q0, q1, [sp, #\off]
	.endm

#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
	.macro SC_A64_GNU_PROPERTY
	.section .note.gnu.property,"a"
	.balign 8
	.long 4			/* name size */
	.long 16		/* descriptor size */
	.long 5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz "GNU"
	.long 0xc0000000	/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long 4
	.long 3			/* BTI | PAC */
	.long 0
	.endm
#else
	.macro SC_A64_GNU_PROPERTY
	.endm
#endif
