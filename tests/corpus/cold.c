/* Sites in cold code: a __attribute__((cold)) function (.text.unlikely)
 * and the cold partition of a split function (a local `f.cold` symbol). */
#include <stdio.h>

#include "livecode.h"
#include "staticcall.h"

static int c1(int x) { return x + 1; }
static int c2(int x) { return x - 1; }
int (*STATIC_CALL ck)(int) = c1;

__attribute__((cold, noinline)) static void rare(int x)
{
	printf("rare %d\n", x);
}

__attribute__((cold, noinline)) int all_cold(int x) { return ck(x) * 7; }

__attribute__((noinline)) int split(int x)
{
	if (x == 12345) {
		rare(x);
		return ck(x) * 3;
	}
	return x + 7 * x;
}

static void show(const char *when)
{
	printf("%s: %d %d %d\n", when, all_cold(2), split(1), split(12345));
}

int main(void)
{
	SC_LIVE_KEY(ck);
	show("initial");
	SC_UPDATE(ck, c2);
	show("c2");
	SC_UPDATE(ck, c1);
	show("c1");
	return sc_live_exit();
}
