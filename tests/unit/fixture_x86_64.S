/*
 * fixture_x86_64.S - a hand-written object exactly as the plugins emit it
 * (docs/ABI.md), so the runtime's unit tests exercise real registration
 * and real code patching without depending on a compiler plugin.
 *
 * Key fx_hook (defined in test_live.c): int (*)(int).
 *   fx_call(x)  calls through the key (site 0)
 *   fx_tail(x)  tail-jumps through the key (site 1)
 *   fx_call2(x) a second call site on another page (site 2)
 */
#define SITE(label, flags)                                   \
	.balign 8,,4;                                        \
label:                                                       \
	.pushsection __staticcall_sites,"a",@progbits;       \
	.balign 4;                                           \
	.long label - .;                                     \
	.long __staticcall_key.fx_hook - .;                  \
	.long flags;                                         \
	.popsection

	.text
	.globl fx_call, fx_tail, fx_call2, fx_site0, fx_site1, fx_site2
	.type fx_call,@function
fx_call:
	subq $8, %rsp
	SITE(fx_site0, 0)
	call __staticcall_tramp.fx_hook
	addq $8, %rsp
	ret
	.size fx_call, .-fx_call

	.type fx_tail,@function
fx_tail:
	SITE(fx_site1, 1)
	jmp __staticcall_tramp.fx_hook
	.size fx_tail, .-fx_tail

	.balign 4096
	.type fx_call2,@function
fx_call2:
	subq $8, %rsp
	nop
	nop
	SITE(fx_site2, 0)
	call __staticcall_tramp.fx_hook
	addq $8, %rsp
	ret
	.size fx_call2, .-fx_call2

	.section .text.__staticcall_tramp,"axG",@progbits,__staticcall_tramp.fx_hook,comdat
	.balign 16
	.weak __staticcall_tramp.fx_hook
	.hidden __staticcall_tramp.fx_hook
	.type __staticcall_tramp.fx_hook,@function
__staticcall_tramp.fx_hook:
	.byte 0xeb,0x06,0xcc,0xcc,0xcc,0xcc,0xcc,0xcc
	movq fx_hook@GOTPCREL(%rip), %r11
	movq (%r11), %r11
	jmp *%r11
	.size __staticcall_tramp.fx_hook, .-__staticcall_tramp.fx_hook

	.section __staticcall_keys,"awG",@progbits,__staticcall_key.fx_hook,comdat
	.balign 8
	.weak __staticcall_key.fx_hook
	.hidden __staticcall_key.fx_hook
__staticcall_key.fx_hook:
	.quad fx_hook
	.long __staticcall_tramp.fx_hook - .
	.long 0x10	/* SC_DESC_BOOT: test_live's multi-instruction form */

	.section .data.rel.local.__staticcall_object,"awG",@progbits,__staticcall_object,comdat
	.balign 8
	.weak __staticcall_object
	.hidden __staticcall_object
	.hidden __start___staticcall_sites, __stop___staticcall_sites
	.hidden __start___staticcall_keys, __stop___staticcall_keys
__staticcall_object:
	.long 0x4c414353
	.short 1, 1, 12, 16
	.long 0
	.quad __start___staticcall_sites, __stop___staticcall_sites
	.quad __start___staticcall_keys, __stop___staticcall_keys

	.section .text.__staticcall_object,"axG",@progbits,__staticcall_object,comdat
__staticcall_object_ctor:
	endbr64
	leaq __staticcall_object(%rip), %rdi
	jmp __staticcall_register@PLT
__staticcall_object_dtor:
	endbr64
	leaq __staticcall_object(%rip), %rdi
	jmp __staticcall_unregister@PLT
	.section .init_array,"awG",@init_array,__staticcall_object,comdat
	.quad __staticcall_object_ctor
	.section .fini_array,"awG",@fini_array,__staticcall_object,comdat
	.quad __staticcall_object_dtor

	.section .note.GNU-stack,"",@progbits
