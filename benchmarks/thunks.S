/* Retpoline thunks for -mindirect-branch=thunk-extern builds: the program
 * must provide __x86_indirect_thunk_<reg> (the kernel does the same). Weak:
 * -mindirect-branch=thunk units bring identical comdat copies. */
#define THUNK(reg)                              \
	.weak __x86_indirect_thunk_##reg;       \
	.hidden __x86_indirect_thunk_##reg;     \
	.type __x86_indirect_thunk_##reg,@function; \
__x86_indirect_thunk_##reg:                     \
	call 1f;                                \
2:	pause;                                  \
	lfence;                                 \
	jmp 2b;                                 \
1:	mov %reg, (%rsp);                       \
	ret

	.text
	THUNK(rax)
	THUNK(rbx)
	THUNK(rcx)
	THUNK(rdx)
	THUNK(rsi)
	THUNK(rdi)
	THUNK(rbp)
	THUNK(r8)
	THUNK(r9)
	THUNK(r10)
	THUNK(r11)
	THUNK(r12)
	THUNK(r13)
	THUNK(r14)
	THUNK(r15)
	.section .note.GNU-stack,"",@progbits
