/* Fragment records that do not check out (docs/ABI.md, "One-instruction
 * fragments"): hand-written functions whose record in __staticcall_frags
 * gives a wrong length, names an instruction with a memory operand, or one
 * not followed by `ret`. The runtime must refuse each (a warning), and the
 * sites of a key pointing to one call the function, which stays right.
 * x86-64 only (the records are hand-written x86-64). */
#include <stdio.h>

#include "staticcall.h"

#if defined(__x86_64__)
/* (used: only the asm below refers to it, which -flto does not see) */
__attribute__((used, visibility("hidden"))) unsigned long table_value = 42;
__asm__(".text\n"
	".globl frag_bad_len\n.type frag_bad_len,@function\n"
	"frag_bad_len:\n1:\tpopcnt %rdi, %rax\n\tret\n"
	".size frag_bad_len, .-frag_bad_len\n"
	".globl frag_memory\n.type frag_memory,@function\n"
	"frag_memory:\n2:\tmovq table_value(%rip), %rax\n\tret\n"
	".size frag_memory, .-frag_memory\n"
	".globl frag_no_ret\n.type frag_no_ret,@function\n"
	"frag_no_ret:\n3:\tpopcnt %rdi, %rax\n4:\tnop\n\tret\n"
	".size frag_no_ret, .-frag_no_ret\n"
	".pushsection __staticcall_frags,\"a\",@progbits\n.balign 4\n"
	".long 1b - .\n.long 4\n.long 0\n"	  /* popcnt is 5 bytes */
	".long 2b - .\n.long 7\n.long 0\n"	  /* a RIP-relative load */
	".long 3b - .\n.long 4b - 3b\n.long 0\n" /* nop, not ret, after */
	".popsection\n");
unsigned long frag_bad_len(unsigned long);
unsigned long frag_memory(unsigned long);
unsigned long frag_no_ret(unsigned long);
#endif

static unsigned long soft(unsigned long x)
{
	return (unsigned long)__builtin_popcountl(x);
}
unsigned long (*STATIC_CALL k)(unsigned long) = soft;

__attribute__((noinline)) static unsigned long call(unsigned long x)
{
	return k(x) + 1;
}

int main(void)
{
#if defined(__x86_64__)
	unsigned long (*const fns[])(unsigned long) = {
		frag_bad_len, frag_memory, frag_no_ret
	};
	for (int i = 0; i < 3; i++) {
		if (static_call_update(k, fns[i]))
			return 1;
		printf("%d: %lu\n", i, call(0xff));
#if defined(__STATICCALL_PLUGIN__)
		struct static_call_site_info info[4];
		int n = static_call_sites(k, info, 4);
		for (int j = 0; j < n && j < 4; j++)
			if (info[j].form == STATIC_CALL_SITE_FRAGMENT) {
				printf("an unchecked record was inlined\n");
				return 1;
			}
#endif
	}
	if (static_call_verify())
		return 1;
#endif
	printf("%lu\n", call(7));
	return 0;
}
