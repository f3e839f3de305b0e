/* fork() while another thread is updating: the child must see consistent
 * code (every call lands on a valid target), must be able to update keys
 * itself (it never inherits the registry lock held), and its updates must
 * not affect the parent. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "livecode.h"
#include "staticcall.h"

static int ta(int x) { return x + 1; }
static int tb(int x) { return x + 2; }
static int tc(int x) { return x + 100; }
int (*STATIC_CALL fk)(int) = ta;

__attribute__((noinline)) int call(int x) { return fk(x); }

static volatile int stop;

static void *updater(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !stop; i++)
		if (static_call_update(fk, (i & 1) ? tb : ta) != 0)
			return (void *)1;
	return NULL;
}

int main(void)
{
	SC_LIVE_KEY(fk);
	pthread_t t;
	pthread_create(&t, NULL, updater, NULL);
	int bad = 0;
	for (int i = 0; i < 40; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int r = call(1);
			if (r != 2 && r != 3)
				_exit(10);
			if (static_call_update(fk, tc) != 0)
				_exit(11);
			if (call(1) != 101)
				_exit(12);
			_exit(sc_check_live() ? 13 : 0);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			bad++;
			fprintf(stderr, "child %d: status %#x\n", i, st);
		}
		int r = call(1);
		if (r != 2 && r != 3)
			bad++;
	}
	stop = 1;
	void *rv;
	pthread_join(t, &rv);
	SC_UPDATE(fk, ta);
	printf("forks done, failures: %d, updater %s, final %d\n", bad,
	       rv ? "failed" : "ok", call(1));
	return sc_live_exit();
}
