/* Sites in a dlopen'ed object: patched to the current target when the
 * object registers, followed by later updates, dropped on dlclose (updates
 * after dlclose must not touch the unmapped code), and again on reload.
 * argv[1] is the directory holding dlplug.so. The executable is linked
 * with -rdynamic so the plugin can reach exe_key. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "livecode.h"
#include "staticcall.h"

static int t1(int x) { return x + 1; }
static int t2(int x) { return x + 2; }
static int t3(int x) { return x + 3; }
int (*STATIC_CALL exe_key)(int) = t1;

__attribute__((noinline)) int exe_call(int x) { return exe_key(x); }

static void *handle;
static int (*plug_call)(int), (*plug_tail)(int), (*plug_own)(int);
static int (*plug_flip)(int);
static const void *(*plug_key_addr)(void);

static void load(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/dlplug.so", dir);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(2);
	}
	plug_call = (int (*)(int))dlsym(handle, "plug_call");
	plug_tail = (int (*)(int))dlsym(handle, "plug_tail");
	plug_own = (int (*)(int))dlsym(handle, "plug_own");
	plug_flip = (int (*)(int))dlsym(handle, "plug_flip");
	plug_key_addr = (const void *(*)(void))dlsym(handle, "plug_key_addr");
	if (!plug_call || !plug_tail || !plug_own || !plug_flip ||
	    !plug_key_addr) {
		fprintf(stderr, "dlsym failed\n");
		exit(2);
	}
	sc_live_key(plug_key_addr(), "plug_key");
}

static void unload(void)
{
	sc_live_unkey(plug_key_addr());
	if (dlclose(handle) != 0)
		fprintf(stderr, "dlclose: %s\n", dlerror());
	handle = NULL;
}

static void show(const char *when)
{
	if (handle)
		printf("%s: exe=%d plug=%d tail=%d own=%d\n", when, exe_call(10),
		       plug_call(10), plug_tail(10), plug_own(3));
	else
		printf("%s: exe=%d (unloaded)\n", when, exe_call(10));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR-WITH-dlplug.so\n", argv[0]);
		return 2;
	}
	SC_LIVE_KEY(exe_key);
	SC_UPDATE(exe_key, t2);
	load(argv[1]);
	SC_CHECK();
	show("loaded after t2");
	SC_UPDATE(exe_key, t3);
	plug_flip(1);
	SC_CHECK();
	show("t3");
	unload();
	SC_UPDATE(exe_key, t1);
	show("after dlclose");
	SC_UPDATE(exe_key, t2);
	load(argv[1]);
	SC_CHECK();
	show("reloaded");
	plug_flip(0);
	SC_UPDATE(exe_key, t3);
	show("reloaded t3");
	unload();
	return sc_live_exit();
}
