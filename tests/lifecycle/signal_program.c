/*
 * signal_program - a signal handler updates a key while the thread it
 * interrupted may be inside the runtime (an update, a verify, a listing
 * of sites): the handler's update must succeed or fail with -EDEADLK,
 * never wait for the lock its own thread holds. signal.sh runs it under
 * `timeout`: a hang is the failure.
 *
 * The key has 1024 sites so that the main thread spends most of its time
 * inside the runtime; SIGALRM arrives every millisecond. The handler
 * updates at most once per round of the main loop (an update can take
 * longer than the timer's period on a loaded machine: a handler updating at
 * every signal would starve the main thread), until 50 handler updates
 * or 3 seconds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "staticcall.h"

static int a(int x) { return x + 1; }
static int b(int x) { return x + 2; }
int (*STATIC_CALL hook)(int) = a;

#define S1 acc += hook(acc & 1);
#define S8 S1 S1 S1 S1 S1 S1 S1 S1
#define S64 S8 S8 S8 S8 S8 S8 S8 S8
#define S512 S64 S64 S64 S64 S64 S64 S64 S64

/* 1024 sites; each call adds 1 or 2 (a or b) plus acc's low bit. */
__attribute__((noinline)) static long many(void)
{
	long acc = 0;
	S512 S512
	return acc;
}

static volatile sig_atomic_t handled, ok, deadlk, other, progress;

static void on_alarm(int sig)
{
	(void)sig;
	if (!progress)
		return;
	progress = 0;
	int e = static_call_update(hook, (handled & 1) ? a : b);
	handled++;
	if (e == 0)
		ok++;
	else if (e == -EDEADLK)
		deadlk++;
	else
		other++;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);

	struct static_call_site_info si[4];
	long rounds = 0, bad = 0;
	double end = now() + 3.0;
	while (handled < 50 && now() < end) {
		if (static_call_update(hook, (rounds & 1) ? b : a) != 0)
			bad++;
		if (static_call_sites(hook, si, 4) != 1024)
			bad++;
		if (static_call_verify() < 0)
			bad++;
		rounds++;
		progress = 1;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);

	/* Everything still consistent: one last update reaches every site. */
	if (static_call_update(hook, b) != 0 || static_call_verify() != 0)
		bad++;
	long r = many(); /* every call: b(acc & 1) = (acc & 1) + 2 */
	long want = 0;
	for (int i = 0; i < 1024; i++)
		want += (want & 1) + 2;
	if (r != want)
		bad++;
	printf("signal: %ld rounds, %d handler updates (%d ok, %d EDEADLK, "
	       "%d other), %ld problems\n", rounds, (int)handled, (int)ok,
	       (int)deadlk, (int)other, bad);
	return bad || other || handled < 10;
}
