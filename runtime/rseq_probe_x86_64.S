/*
 * rseq_probe_x86_64.S - the restartable sequence of the kernel self-test
 * (promote_inline.c, kernel_restarts): a thread that stays inside it
 * until told to leave, so another can check that the rseq barrier sends
 * it to its abort handler. Called directly from C (no endbr64 needed for
 * a direct call; one is there for IBT's sake all the same).
 *
 *   int sc_rseq_probe(uint64_t *rseq_cs, const void *desc,
 *                     volatile int *inside, volatile int *leave);
 *
 * stores desc into the thread's rseq_cs (enters the sequence), sets
 * *inside, and spins until *leave: 0 when left that way, 1 when the
 * kernel moved it to the abort handler. The descriptor's bounds are
 * sc_rseq_probe_start and _end; sc_rseq_probe_sig is the signature the
 * kernel checks (glibc's RSEQ_SIG: staticcall_abi.h's SC_X86_RSEQ_SIG),
 * the abort handler right after it.
 */
	.text
	.globl sc_rseq_probe, sc_rseq_probe_start, sc_rseq_probe_end
	.globl sc_rseq_probe_sig
	.hidden sc_rseq_probe, sc_rseq_probe_start, sc_rseq_probe_end
	.hidden sc_rseq_probe_sig
	.type sc_rseq_probe, @function
	.balign 16
sc_rseq_probe:
	endbr64
	movq %rsi, (%rdi)
sc_rseq_probe_start:
	movl $1, (%rdx)
1:	pause
	cmpl $0, (%rcx)
	je 1b
sc_rseq_probe_end:
	movq $0, (%rdi)
	xorl %eax, %eax
	ret
sc_rseq_probe_sig:
	.long 0x53053053
	movq $0, (%rdi)
	movl $1, %eax
	ret
	.size sc_rseq_probe, .-sc_rseq_probe

	.section .note.GNU-stack,"",@progbits
#ifdef __CET__
#include <cet.h>
#endif
