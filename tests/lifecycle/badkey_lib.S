/*
 * badkey_lib.S - a shared object whose site table names, for one of its
 * two keys, an address that is no variable: BAD_KEY (a -D on the command
 * line: unmapped, or this object's own code). Hand-written as the plugins
 * emit tables (docs/ABI.md, tests/unit/fixture_x86_64.S). dlopen must not
 * crash; the bad key's trampoline and site stay as compiled; the good key
 * (bk_good, called by bk_call_good) is patched as usual.
 */
#define SITE(label, key)                                     \
	.balign 8,,4;                                        \
label:                                                       \
	.pushsection __staticcall_sites,"a",@progbits;       \
	.balign 4;                                           \
	.long label - .;                                     \
	.long key - .;                                       \
	.long 0;                                             \
	.popsection

#define TRAMP(name, var)                                     \
	.balign 16;                                          \
name:                                                        \
	.byte 0xeb,0x06,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc;       \
	movq var(%rip), %r11;                                \
	jmp *%r11

	.text
	.globl bk_call_good, bk_call_bad, bk_site_good, bk_site_bad
	.protected bk_call_good, bk_call_bad, bk_site_good, bk_site_bad
	.type bk_call_good,@function
bk_call_good:
	subq $8, %rsp
	SITE(bk_site_good, desc_good)
	call tramp_good
	addq $8, %rsp
	ret
	.size bk_call_good, .-bk_call_good

	.type bk_call_bad,@function
bk_call_bad:
	subq $8, %rsp
	SITE(bk_site_bad, desc_bad)
	call tramp_bad
	addq $8, %rsp
	ret
	.size bk_call_bad, .-bk_call_bad

	.balign 8
	.globl bk_add1
	.protected bk_add1
	.type bk_add1,@function
bk_add1:
	leal 1(%rdi), %eax
	ret

	TRAMP(tramp_good, bk_good)
	TRAMP(tramp_bad, bk_good)

	.data
	.balign 8
	.globl bk_good
	.protected bk_good
bk_good:
	.quad bk_add1

	.section __staticcall_keys,"aw",@progbits
	.balign 8
desc_bad:
	.quad BAD_KEY
	.long tramp_bad - .
	.long 0
desc_good:
	.quad bk_good
	.long tramp_good - .
	.long 0

	.data
	.balign 8
	.hidden __start___staticcall_sites, __stop___staticcall_sites
	.hidden __start___staticcall_keys, __stop___staticcall_keys
bk_object:
	.long 0x4c414353
	.short 1, 1, 12, 16
	.long 0
	.quad __start___staticcall_sites, __stop___staticcall_sites
	.quad __start___staticcall_keys, __stop___staticcall_keys

	.text
bk_ctor:
	leaq bk_object(%rip), %rdi
	jmp __staticcall_register@PLT
bk_dtor:
	leaq bk_object(%rip), %rdi
	jmp __staticcall_unregister@PLT
	.section .init_array,"aw",@init_array
	.quad bk_ctor
	.section .fini_array,"aw",@fini_array
	.quad bk_dtor

	.section .note.GNU-stack,"",@progbits
