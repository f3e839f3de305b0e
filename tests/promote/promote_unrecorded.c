/* promote_unrecorded.c - a unit whose thunk calls and jumps are none of
 * them recorded: a computed goto (an indirect jump, not a call) and an
 * indirect call, each in a function opted out of promotion. The unit
 * must still define the thunks they go through (run.sh links it alone;
 * GCC: the opted-out jump is the retpoline inline). */
int (*volatile unrecorded_fp)(int);

__attribute__((staticcall_no_promote)) int unrecorded_call(int x)
{
	return unrecorded_fp(x) + 1;
}

int twice(int x)
{
	return 2 * x;
}

__attribute__((staticcall_no_promote)) int
unrecorded_goto(const unsigned char *code, int n)
{
	static void *const t[] = { &&add, &&sub };
	int acc = 0, i = 0;
	goto *t[code[0] & 1];
add:
	acc += 3;
	if (++i >= n)
		return acc;
	goto *t[code[i] & 1];
sub:
	acc -= 1;
	if (++i >= n)
		return acc;
	goto *t[code[i] & 1];
}

int main(void)
{
	static const unsigned char code[] = { 0, 1, 1, 0, 0, 1 };
	unrecorded_fp = twice;
	return unrecorded_goto(code, 6) == 6 && unrecorded_call(4) == 9 ? 0 : 1;
}
