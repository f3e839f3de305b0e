/*
 * bind_corrupt_lib.S - a site record naming the plugin's key descriptor of
 * bc_key whose instruction is a call of bc_thunk, not of the key's
 * trampoline: metadata that does not match its code. bc_thunk jumps to
 * the trampoline, so the call reaches the binder with a return address
 * exactly at the end of the recorded instruction. The runtime must report
 * the record and never write its bytes, at an update of the key and when
 * the call goes through the trampoline (bind_corrupt.c).
 */
	.text
	.globl bc_bad, bc_bad_site
	.protected bc_bad, bc_bad_site
	.type bc_bad,@function
bc_bad:
	subq $8, %rsp
	.balign 8,,4
bc_bad_site:
	.pushsection __staticcall_sites,"a",@progbits
	.balign 4
	.long bc_bad_site - .
	.long __staticcall_key.bc_key - .
	.long 0
	.popsection
	call bc_thunk
	addq $8, %rsp
	ret
	.size bc_bad, .-bc_bad

	.type bc_thunk,@function
bc_thunk:
	jmp __staticcall_tramp.bc_key
	.size bc_thunk, .-bc_thunk

	.section .note.GNU-stack,"",@progbits
