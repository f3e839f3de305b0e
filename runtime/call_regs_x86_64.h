/*
 * call_regs_x86_64.h - for the runtime's assembly entry points that C
 * code is called from in the middle of a program's call (bind_x86_64.S,
 * promote_x86_64.S): a frame, and the general registers the callee may
 * read that a C call may clobber: %rax (a variadic call's vector count),
 * the argument registers, %r10 (the static chain), and %r11 when the
 * entry's caller does not use it as scratch (r11=1).
 *
 * SC_CALL_REGS_SAVE r11: pushes %rbp and sets it to %rsp, then the
 * registers, at -8(%rbp) down to -64(%rbp) (-72 with r11). Both macros
 * say so in unwind rows (inside the entry's .cfi_startproc): a debugger
 * stopped in the C code walks out through the entry.
 * SC_CALL_REGS_RESTORE r11: from %rbp (%rsp anywhere below), the same
 * registers and %rbp back; the next instruction is the entry's ret.
 */
	.macro SC_CALL_REGS_SAVE r11=0
	pushq %rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq %rax
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %r8
	pushq %r9
	pushq %r10
	.if \r11
	pushq %r11
	.endif
	.endm

	.macro SC_CALL_REGS_RESTORE r11=0
	.if \r11
	leaq -72(%rbp), %rsp
	popq %r11
	.else
	leaq -64(%rbp), %rsp
	.endif
	popq %r10
	popq %r9
	popq %r8
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rax
	popq %rbp
	.cfi_def_cfa_register %rsp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	.endm
