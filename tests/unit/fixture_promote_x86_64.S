/*
 * fixture_promote_x86_64.S - promotable sites for test_promote.c, written
 * as the GCC plugin's promote mode emits them (docs/ABI.md "Promotable
 * sites"): for every register a thunk (slot, retpoline, sample block,
 * byte for byte what plugin-common/promote_text.cc writes) and a site
 * `call thunk` inside pt_via_<reg>(value), which puts value in the
 * register and calls through the site. pt_off<k> are rax sites at byte
 * k (0..3) of an aligned word; pt_tail_site is a tail site (`jmp`) in
 * pt_tail_fn(value). Targets pt_t0..pt_t15 return 10..25,
 * pt_miss 1000, pt_other 2000.
 */
	.text
	.macro thunk r, n, rex, modrm, jback
	.balign 16
	.globl pt_thunk_\r
	.type pt_thunk_\r,@function
pt_thunk_\r:
	.byte 0xeb,0x06,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc
	.byte 0xe8,0x07,0,0,0
	.byte 0xf3,0x90
	.byte 0x0f,0xae,0xe8
	.byte 0xeb,0xf9
	.byte \rex,0x89,\modrm,0x24
	.byte 0xc3
	.byte 0xcc,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc
	pushq %rax
	movq __staticcall_promote_tick@GOTTPOFF(%rip), %rax
	decl %fs:(%rax)
	popq %rax
	.byte 0x75,0xda
	pushq %r10
	pushq %r11
	pushq $\n
	pushq %\r
	call __staticcall_promote_sample@PLT
	popq %\r
	addq $8, %rsp
	popq %r11
	popq %r10
	.byte 0xeb,\jback
	.size pt_thunk_\r, .-pt_thunk_\r
	.endm

	/* value in %rdi; every callee-saved register kept */
	.macro via r, off
	.balign 16
	.globl pt_via_\r\()_\off, pt_site_\r\()_\off
	.type pt_via_\r\()_\off,@function
pt_via_\r\()_\off:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	movq %rdi, %\r
	jmp 1f
	.balign 8
	.fill \off, 1, 0x90
1:
pt_site_\r\()_\off:
	call pt_thunk_\r
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
	.size pt_via_\r\()_\off, .-pt_via_\r\()_\off
	.endm

	thunk rax, 0, 0x48, 0x04, 0xc3
	thunk rcx, 1, 0x48, 0x0c, 0xc3
	thunk rdx, 2, 0x48, 0x14, 0xc3
	thunk rbx, 3, 0x48, 0x1c, 0xc3
	thunk rbp, 5, 0x48, 0x2c, 0xc3
	thunk rsi, 6, 0x48, 0x34, 0xc3
	thunk rdi, 7, 0x48, 0x3c, 0xc3
	thunk r8, 8, 0x4c, 0x04, 0xc1
	thunk r9, 9, 0x4c, 0x0c, 0xc1
	thunk r10, 10, 0x4c, 0x14, 0xc1
	thunk r11, 11, 0x4c, 0x1c, 0xc1
	thunk r12, 12, 0x4c, 0x24, 0xc1
	thunk r13, 13, 0x4c, 0x2c, 0xc1
	thunk r14, 14, 0x4c, 0x34, 0xc1
	thunk r15, 15, 0x4c, 0x3c, 0xc1

	.irp r, rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
	via \r, 0
	.endr
	via rax, 1
	via rax, 2
	via rax, 3

	/* a tail site: pt_tail_fn(value) jumps through the rax thunk */
	.balign 16
	.globl pt_tail_fn, pt_tail_site
	.type pt_tail_fn,@function
pt_tail_fn:
	movq %rdi, %rax
	.balign 8,,4
pt_tail_site:
	jmp pt_thunk_rax
	.size pt_tail_fn, .-pt_tail_fn

	/* an anchored site (Clang, SC_PROMOTE_ANCHOR): the record names
	 * pt_anchor, the site is the first control transfer after it */
	.balign 16
	.type pt_anchored_fn,@function
pt_anchored_fn:
	subq $8, %rsp
pt_anchor:
	movq %rdi, %rax
	.balign 8
	call pt_thunk_rax
	addq $8, %rsp
	ret
	.size pt_anchored_fn, .-pt_anchored_fn

	/* promote-plain (a build without retpolines): a thunk for rax
	 * ending in `jmp *%rax` where the retpoline would be, the same
	 * sample block; a call site (pt_pvia_rax) and a tail site
	 * (pt_ptail_fn) through it, in a table of their own
	 * (pt_promote_plain_table) */
	.balign 16
	.globl pt_pthunk_rax
	.type pt_pthunk_rax,@function
pt_pthunk_rax:
	.byte 0xeb,0x06,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc
	.byte 0xff,0xe0
	.fill 22, 1, 0xcc
	pushq %rax
	movq __staticcall_promote_tick@GOTTPOFF(%rip), %rax
	decl %fs:(%rax)
	popq %rax
	.byte 0x75,0xda
	pushq %r10
	pushq %r11
	pushq $0
	pushq %rax
	call __staticcall_promote_sample@PLT
	popq %rax
	addq $8, %rsp
	popq %r11
	popq %r10
	.byte 0xeb,0xc3
	.size pt_pthunk_rax, .-pt_pthunk_rax

	.balign 16
	.globl pt_pvia_rax, pt_psite_rax
	.type pt_pvia_rax,@function
pt_pvia_rax:
	subq $8, %rsp
	movq %rdi, %rax
	.balign 8
pt_psite_rax:
	call pt_pthunk_rax
	addq $8, %rsp
	ret
	.size pt_pvia_rax, .-pt_pvia_rax

	.balign 16
	.globl pt_ptail_fn, pt_ptail_site
	.type pt_ptail_fn,@function
pt_ptail_fn:
	movq %rdi, %rax
	.balign 8,,4
pt_ptail_site:	/* E9 rel32 (near: the assembler would take EB) */
	.byte 0xe9
	.long pt_pthunk_rax - (. + 4)
	.size pt_ptail_fn, .-pt_ptail_fn

	.irp k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign 16
	.globl pt_t\k
	.type pt_t\k,@function
pt_t\k:
	endbr64
	movl $(10 + \k), %eax
	ret
	.endr
	.balign 16
	.globl pt_miss, pt_other
pt_miss:
	endbr64
	movl $1000, %eax
	ret
	.balign 16
pt_other:
	endbr64
	movl $2000, %eax
	ret

	/* A table for test_promote.c's registration test: four good
	 * records (one anchored), six bad (register of another thunk, not a
	 * call, an unknown flag, two records naming one site, an anchor
	 * whose first control transfer is a jmp to no thunk). */
	.section pt_promote_table,"a",@progbits
	.balign 4
	.long pt_site_rax_0 - .
	.long 0
	.long pt_site_rcx_0 - .
	.long 1
	.long pt_tail_site - .
	.long 0x10
	.long pt_site_rax_1 - .
	.long 1
	.long pt_t0 - .
	.long 0
	.long pt_site_rdx_0 - .
	.long 0x202 /* 0x200: no flag has it */
	.long pt_anchor - .
	.long 0x40
	.long pt_via_rdx_0 - .
	.long 0x42
	.long pt_site_rbx_0 - .
	.long 3
	.long pt_site_rbx_0 - .
	.long 3

	.section pt_promote_plain_table,"a",@progbits
	.balign 4
	.long pt_psite_rax - .
	.long 0
	.long pt_ptail_site - .
	.long 0x10

	/* pt_tail_site as a jump site (SC_PROMOTE_TAIL | SC_PROMOTE_JUMP):
	 * its stubs compare up to 16 targets */
	.section pt_promote_jump_table,"a",@progbits
	.balign 4
	.long pt_tail_site - .
	.long 0x90

	.section .note.GNU-stack,"",@progbits
