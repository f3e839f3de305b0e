/*
 * Real registration and real patching of the hand-written fixture object
 * (fixture_x86_64.S): sites go direct, protections come back exactly,
 * unexpected bytes and corrupted tables are refused without any change.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static int add1(int x) { return x + 1; }
static int twice(int x) { return x * 2; }
int (*fx_hook)(int) = add1;

int fx_call(int), fx_tail(int), fx_call2(int);
extern uint8_t fx_site0[], fx_site1[], fx_site2[];
extern const struct sc_abi_object __staticcall_object;

static int form_of(uint8_t *site, void **reaches)
{
	struct static_call_site_info si[8];
	int n = static_call_sites(fx_hook, si, 8);
	for (int i = 0; i < n && i < 8; i++)
		if (si[i].address == site) {
			*reaches = si[i].reaches;
			return si[i].form;
		}
	return -1;
}

/* Live bytes, decoded independently of the runtime's bookkeeping. */
static void *live_target(uint8_t *site, uint8_t op)
{
	cr_assert_eq(site[0], op, "site %p holds %#x", (void *)site, site[0]);
	int32_t rel;
	memcpy(&rel, site + 1, 4);
	return site + 5 + rel;
}

/* Protection string of the mapping holding p, from /proc/self/maps. */
static void maps_prot(const void *p, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	unsigned long lo, hi;
	char perms[5];
	strcpy(out, "????");
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &lo, &hi, perms) == 3)
		if ((uintptr_t)p >= lo && (uintptr_t)p < hi)
			strcpy(out, perms);
	fclose(f);
}

Test(live, registered_and_patched_at_startup)
{
	struct static_call_site_info si[8];
	cr_assert_eq(static_call_sites(fx_hook, si, 8), 3);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)add1);
	cr_assert_eq(live_target(fx_site1, 0xe9), (void *)add1);
	cr_assert_eq(live_target(fx_site2, 0xe8), (void *)add1);
	cr_assert_eq(fx_call(4) + fx_tail(4) + fx_call2(4), 15);
}

Test(live, update_retargets_every_site_and_restores_protection)
{
	char before[5], after[5], before2[5], after2[5];
	maps_prot(fx_site0, before);
	maps_prot(fx_site2, before2);
	cr_assert_eq(static_call_update(fx_hook, twice), 0);
	maps_prot(fx_site0, after);
	maps_prot(fx_site2, after2);
	cr_assert_str_eq(before, after);
	cr_assert_str_eq(before2, after2);
	cr_assert_eq(after[1], '-', "text left writable: %s", after);

	void *r;
	cr_assert_eq(form_of(fx_site0, &r), STATIC_CALL_SITE_DIRECT);
	cr_assert_eq(r, (void *)twice);
	cr_assert_eq(form_of(fx_site1, &r), STATIC_CALL_SITE_TAIL_JUMP);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)twice);
	cr_assert_eq(live_target(fx_site1, 0xe9), (void *)twice);
	cr_assert_eq(live_target(fx_site2, 0xe8), (void *)twice);
	cr_assert_eq(fx_call(5), 10);
	cr_assert_eq(fx_tail(6), 12);
	cr_assert_eq(fx_call2(7), 14);
	cr_assert_eq(static_call_query(fx_hook), twice);
}

static void poke(uint8_t *p, uint8_t v)
{
	uintptr_t page = (uintptr_t)p & ~(sc_page_size() - 1);
	cr_assert_eq(mprotect((void *)page, sc_page_size(),
			      PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	*p = v;
	cr_assert_eq(mprotect((void *)page, sc_page_size(), PROT_READ | PROT_EXEC), 0);
}

Test(live, unexpected_bytes_refuse_the_whole_update)
{
	uint8_t saved = fx_site2[2];
	poke(fx_site2 + 2, (uint8_t)(saved ^ 0x40)); /* not a breakpoint */
	cr_assert_eq(static_call_update(fx_hook, twice), -EBUSY);
	/* nothing changed: other sites, the key */
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)add1);
	cr_assert_eq(live_target(fx_site1, 0xe9), (void *)add1);
	cr_assert_eq(static_call_query(fx_hook), add1);
	poke(fx_site2 + 2, saved); /* restored: updates work again */
	cr_assert_eq(static_call_update(fx_hook, twice), 0);
	cr_assert_eq(live_target(fx_site2, 0xe8), (void *)twice);
}

/* A debugger's breakpoint (int3 over the first byte): a change that keeps
 * the opcode is written around it, so the debugger's restore of the byte
 * it saved produces the new instruction; a change of form at that site
 * falls back to one that keeps the opcode. */
Test(live, breakpoint_on_a_site_is_written_around)
{
	uint8_t saved = fx_site2[0];
	poke(fx_site2, 0xcc);
	cr_assert_eq(static_call_update(fx_hook, twice), 0);
	cr_assert_eq(fx_site2[0], 0xcc, "the breakpoint was overwritten");
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)twice);
	poke(fx_site2, saved); /* the debugger removes its breakpoint */
	cr_assert_eq(live_target(fx_site2, 0xe8), (void *)twice);
	cr_assert_eq(fx_call2(7), 14);

	/* return-zero: inline at the other call site, a call of
	 * __staticcall_ret0 under the breakpoint */
	poke(fx_site2, 0xcc);
	cr_assert_eq(static_call_update_ret0(fx_hook), 0);
	cr_assert_eq(fx_site2[0], 0xcc);
	cr_assert_eq(fx_site0[0], 0xb8, "inline return-zero expected");
	poke(fx_site2, saved);
	cr_assert_eq(live_target(fx_site2, 0xe8), (void *)__staticcall_ret0);
	cr_assert_eq(fx_call(5) + fx_call2(5) + fx_tail(5), 0);

	/* and back, breakpoint on the inline form's site: its first byte
	 * must change (B8 -> E8), so the update is refused, nothing changed */
	saved = fx_site0[0];
	poke(fx_site0, 0xcc);
	cr_assert_eq(static_call_update(fx_hook, add1), -EBUSY);
	cr_assert_eq(static_call_query(fx_hook), (void *)__staticcall_ret0);
	poke(fx_site0, saved);
	cr_assert_eq(static_call_update(fx_hook, add1), 0);
	cr_assert_eq(fx_call(1) + fx_call2(1) + fx_tail(1), 6);
}

/* Out of rel32 range: a copy of `twice` mapped far away. */
Test(live, far_target_stays_on_trampoline_and_says_why)
{
	static const uint8_t code[] = { 0x8d, 0x04, 0x3f, 0xc3 }; /* lea (%rdi,%rdi),%eax; ret */
	uintptr_t here = (uintptr_t)fx_site0;
	uintptr_t hint = (here > (8ull << 32) ? here - (6ull << 32) : here + (6ull << 32)) &
			~(uintptr_t)0xfff;
	void *far = mmap((void *)hint, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	cr_assert_neq(far, MAP_FAILED);
	memcpy(far, code, sizeof code);
	cr_assert_eq(mprotect(far, 4096, PROT_READ | PROT_EXEC), 0);

	int (*far_fn)(int) = (int (*)(int))far;
	cr_assert_eq(static_call_update(fx_hook, far_fn), 0);
	cr_assert_eq(fx_call(21), 42);
	cr_assert_eq(fx_tail(4), 8);
	struct static_call_site_info si[8];
	int n = static_call_sites(fx_hook, si, 8);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(si[i].form, STATIC_CALL_SITE_TRAMPOLINE);
		cr_assert_not_null(si[i].reason);
		cr_assert(strstr(si[i].reason, "range"), "reason: %s", si[i].reason);
		cr_assert_eq(si[i].reaches, far);
		cr_assert_eq(live_target(si[i].address, si[i].tail ? 0xe9 : 0xe8),
			     si[i].trampoline);
	}
	/* and back in range: direct again */
	cr_assert_eq(static_call_update(fx_hook, twice), 0);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)twice);
}

Test(live, null_target_goes_through_trampoline)
{
	cr_assert_eq(__staticcall_update((void *)&fx_hook, NULL), 0);
	void *r;
	cr_assert_eq(form_of(fx_site0, &r), STATIC_CALL_SITE_TRAMPOLINE);
	cr_assert_eq(static_call_update(fx_hook, add1), 0);
	cr_assert_eq(fx_call(1), 2);
}

/* Corrupted copies of the real header: every one refused, nothing patched. */
static struct sc_abi_object bad;

static void expect_refused(const char *what)
{
	const struct sc_registry_ops *r = sc_registry();
	cr_assert_neq(r->reg(&bad), 0, "%s was accepted", what);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)add1, "%s: code changed", what);
}

Test(live, corrupted_headers_are_refused)
{
	bad = __staticcall_object; bad.magic ^= 1; expect_refused("bad magic");
	bad = __staticcall_object; bad.version = 99; expect_refused("future version");
	bad = __staticcall_object; bad.arch = 7; expect_refused("other arch");
	bad = __staticcall_object; bad.site_size = 16; expect_refused("record size");
	bad = __staticcall_object; bad.sites_end = bad.sites_begin - 1;
	expect_refused("inverted bounds");
	bad = __staticcall_object;
	bad.sites_begin = (const void *)((const char *)bad.sites_begin + 2);
	expect_refused("misaligned sites");
	bad = __staticcall_object;
	bad.sites_end = bad.sites_begin + (1ull << 36); /* whole records, far away */
	expect_refused("table beyond the object");
	bad = __staticcall_object;
	bad.descs_begin = (const void *)&bad; /* writable data, not a key table */
	bad.descs_end = bad.descs_begin + 1;
	/* the header itself parses, but its descriptor's trampoline is junk:
	 * the object may register, yet nothing may be patched */
	const struct sc_registry_ops *r = sc_registry();
	r->reg(&bad);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)add1);
	cr_assert_eq(static_call_update(fx_hook, twice), 0);
	cr_assert_eq(live_target(fx_site0, 0xe8), (void *)twice);
}

/* Inline forms on the fixture: the call sites hold the instruction, the
 * tail site jumps to the generated function, which is the key's value
 * and lives in a read-execute page; the same value gives the same
 * function; a multi-instruction fragment only while single-threaded. */
static int one(int x)
{
	(void)x;
	return 1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	usleep(200 * 1000);
	return NULL;
}

Test(live, inline_forms_at_real_sites)
{
	cr_assert_eq(static_call_update_const(fx_hook, 42), 0);
	static const uint8_t mov42[5] = { 0xb8, 42, 0, 0, 0 };
	cr_assert(!memcmp(fx_site0, mov42, 5), "call site not `mov $42,%%eax`");
	void *fn = (void *)static_call_query(fx_hook);
	cr_assert_eq(live_target(fx_site1, 0xe9), fn, "tail site not on the "
		     "generated function");
	char prot[5];
	maps_prot(fn, prot);
	cr_assert_str_eq(prot, "r-xp");
	cr_assert_eq(fx_call(1) + fx_call2(1) + fx_tail(1) + fx_hook(1), 4 * 42);
	void *reaches;
	cr_assert_eq(form_of(fx_site0, &reaches), STATIC_CALL_SITE_RETURN_CONST);
	cr_assert_eq(reaches, fn);
	cr_assert_eq(static_call_update(fx_hook, add1), 0);
	cr_assert_eq(static_call_update_const(fx_hook, 42), 0);
	cr_assert_eq((void *)static_call_query(fx_hook), fn, "not shared");

	cr_assert_eq(static_call_update_ret_arg(fx_hook, 0), 0);
	static const uint8_t mov_rdi[5] = { 0x2e, 0x2e, 0x48, 0x89, 0xf8 };
	cr_assert(!memcmp(fx_site0, mov_rdi, 5));
	cr_assert_eq(form_of(fx_site0, &reaches), STATIC_CALL_SITE_RETURN_ARG);
	cr_assert_eq(fx_call(7) + fx_call2(8) + fx_tail(9), 24);
	cr_assert_eq(static_call_update_ret_arg(fx_hook, 6), -EINVAL);

	/* xor %eax,%eax; inc %eax: two instructions, the body of one() */
	struct sc_inline m = { .fn = (void *)one, .len = 4, .ninsn = 2,
			       .form = STATIC_CALL_SITE_FRAGMENT };
	static const uint8_t two[4] = { 0x31, 0xc0, 0xff, 0xc0 };
	memcpy(m.bytes, two, 4);
	cr_assert_eq(sc_inline_register(&m), 0);
	/* threads run: the sites call one() (a call is always right) */
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, sleeper, NULL), 0);
	cr_assert_eq(static_call_update(fx_hook, one), 0);
	cr_assert_eq(form_of(fx_site0, &reaches), STATIC_CALL_SITE_DIRECT);
	cr_assert_eq(reaches, (void *)one);
	cr_assert_eq(fx_call(7), 1);
	pthread_join(t, NULL);
	/* Criterion keeps a thread of its own in the test process: say the
	 * process is single-threaded (the real answer is checked above and
	 * below, with a thread of ours running) */
	sc_single_threaded_force(1);
	cr_assert_eq(static_call_update(fx_hook, add1), 0);
	cr_assert_eq(static_call_update(fx_hook, one), 0);
	cr_assert(!memcmp(fx_site0, two, 4) && fx_site0[4] == 0x90);
	cr_assert_eq(form_of(fx_site0, &reaches), STATIC_CALL_SITE_FRAGMENT);
	cr_assert_eq(fx_call(7) + fx_call2(8) + fx_tail(9), 3);
	sc_single_threaded_force(-1);
	cr_assert_eq(pthread_create(&t, NULL, sleeper, NULL), 0);
	cr_assert_eq(static_call_update(fx_hook, add1), -EAGAIN,
		     "a multi-instruction fragment left while threads run");
	cr_assert(!memcmp(fx_site0, two, 4), "the refused update changed it");
	cr_assert_eq(fx_call(7), 1, "the refused update changed the key");
	pthread_join(t, NULL);
	sc_single_threaded_force(1);
	cr_assert_eq(static_call_update(fx_hook, add1), 0);
	sc_single_threaded_force(-1);
	cr_assert_eq(fx_call(1) + fx_call2(1) + fx_tail(1), 6);
}

/* The real answer: one thread in a child of ours, two once it starts
 * another. */
Test(live, single_threaded_is_the_thread_count)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (!pid) {
		sc_single_threaded_forget();
		int alone = sc_single_threaded();
		pthread_t t;
		pthread_create(&t, NULL, sleeper, NULL);
		sc_single_threaded_forget();
		int with = sc_single_threaded();
		_exit(alone == 1 && with == 0 ? 0 : 1);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "single-threaded: wrong answer in a child");
}
