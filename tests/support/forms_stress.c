/*
 * forms_stress.c - every form change at sites at every offset, under load.
 *
 *   forms_stress [SECONDS [MAX_UPDATES]]      (default 8 s, 10,000,000)
 *
 * Four keys, each cycled through every form its type allows, in an order
 * that contains every ordered pair of forms (a random walk over the forms,
 * fixed at start-up, that is checked to cover them all):
 *
 *   kc      int(int), plain call and tail sites: 4 targets, return-zero,
 *           return-constant (inline), return-argument 0 (inline)
 *   kg      int(int), guarded sites `if (kg) kg(x);`, call and tail:
 *           3 targets, NULL, return-zero, return-constant
 *   ops.fn  int(int) struct-field key, call and tail sites: 3 targets,
 *           return-zero, return-constant -2 (a generated function),
 *           return-argument 0
 *   ops.ev  void(int) struct-field key, guarded call and tail sites:
 *           3 targets, NULL
 *
 * Each update takes one of the ways the program can change a key, chosen
 * per generation: static_call_update / _null / _ret0 / _const / _ret_arg,
 * a plain store
 * `kc = f;` or `kg = NULL;` (routed by the plugin), a member store
 * `ops.fn = f;`. One updater thread owns kc and kg, a second owns the field
 * keys (the two contend for the runtime's lock). Each key's generation is
 * published after each completed update; generation g holds form
 * walk[g % WALK].
 *
 * Every site kind is compiled at eight different paddings (`.skip N` of
 * NOPs before the call), so the sites land at every offset within an
 * aligned 8-byte word that the compiler can produce: 0-7 for Clang's
 * anchored sites, 0-3 for GCC's (`.balign 8,,4`). The program checks this
 * at start-up with static_call_sites and fails, naming what is missing.
 *
 * Eight caller threads call every site in a loop. A target returns (and a
 * guarded target records, in a thread-local variable) its own value,
 * which encodes the key, the target and the caller's argument; return-zero
 * returns 0, a NULL guarded site records nothing. A result must be the form
 * of a generation in [g0 - 1, g1 + 1], g0 and g1 the generation read
 * before and after the call (as in stress.c): anything else is "invalid"
 * (no form of that key) or "stale". Each caller has a timer that sends it
 * SIGUSR1 every 250 us; the handler sleeps 50 us, so a caller is stopped at
 * any instruction of a site across updates, as preemption does, even on a
 * machine with more cores than threads. Callers run at nice +10 so that the
 * updaters get the CPU on a loaded machine. A wrong instruction stream
 * usually kills the program (SIGILL, SIGSEGV, SIGFPE, SIGTRAP): that is a
 * failure too, and a handler first names the site the fault is in.
 *
 * STATICCALL_SITES set in the environment: the live code is not checked
 * (the checker fails sites left on their trampolines deliberately).
 *
 * At the end every key is settled: each site must give the final form and
 * the live code must match what the runtime reports (livecode.c).
 * One summary line on stdout; exit 0 on success.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "livecode.h"
#include "staticcall.h"

#define NCALLERS 8
#define NPAD 8
#define WALK 1024
#define MAXFORMS 7
#define CALLER_NICE 10
#define KICK_NS (50 * 1000)       /* a caller stopped this long */
#define KICK_EVERY_NS (250 * 1000) /* a caller stopped this often */
#define NONE (-1) /* a guarded call that called nothing */

#define NOINLINE __attribute__((noinline))

/* What a guarded target saw; NONE before each guarded call. */
static _Thread_local volatile int seen;

/* Target T of key K returns (and records) K*1000 + T*10 + x, x = 0..7. */
#define VAL(k, t, x) ((k) * 1000 + (t) * 10 + ((x) & 7))
#define TARGET(k, t)                                                          \
	NOINLINE static int k##_t##t(int x)                                   \
	{                                                                     \
		seen = VAL(K_##k, t, x);                                      \
		return VAL(K_##k, t, x);                                      \
	}
#define VTARGET(k, t)                                                         \
	NOINLINE static void k##_t##t(int x) { seen = VAL(K_##k, t, x); }

enum { K_kc = 1, K_kg, K_fn, K_ev, NKEYS = 4 };
TARGET(kc, 0) TARGET(kc, 1) TARGET(kc, 2) TARGET(kc, 3)
TARGET(kg, 0) TARGET(kg, 1) TARGET(kg, 2)
TARGET(fn, 0) TARGET(fn, 1) TARGET(fn, 2)
VTARGET(ev, 0) VTARGET(ev, 1) VTARGET(ev, 2)

int (*STATIC_CALL kc)(int) = kc_t0;
int (*STATIC_CALL kg)(int) = kg_t0;
struct ops {
	int (*STATIC_CALL fn)(int);
	long pad; /* the two keys are not adjacent */
	void (*STATIC_CALL ev)(int);
};
struct ops ops = { fn_t0, 0, ev_t0 };

/* ---- the sites ---------------------------------------------------------- */

#define PAD(n) __asm__ volatile(".rept " #n "\n\tnop\n\t.endr")
#define SITES(n)                                                              \
	NOINLINE static int kc_call_##n(int x) { PAD(n); return kc(x) + 1; }  \
	NOINLINE static int kc_tail_##n(int x) { PAD(n); return kc(x); }      \
	NOINLINE static int kg_call_##n(int x)                                \
	{                                                                     \
		PAD(n);                                                       \
		if (kg)                                                       \
			kg(x);                                                \
		return x;                                                     \
	}                                                                     \
	NOINLINE static void kg_tail_##n(int x) { PAD(n); if (kg) kg(x); }    \
	NOINLINE static int fn_call_##n(int x) { PAD(n); return ops.fn(x) + 1; } \
	NOINLINE static int fn_tail_##n(int x) { PAD(n); return ops.fn(x); } \
	NOINLINE static int ev_call_##n(int x)                                \
	{                                                                     \
		PAD(n);                                                       \
		if (ops.ev)                                                   \
			ops.ev(x);                                            \
		return x;                                                     \
	}                                                                     \
	NOINLINE static void ev_tail_##n(int x)                               \
	{                                                                     \
		PAD(n);                                                       \
		if (ops.ev)                                                   \
			ops.ev(x);                                            \
	}
SITES(0) SITES(1) SITES(2) SITES(3) SITES(4) SITES(5) SITES(6) SITES(7)

/* How a site reports: its result minus 1, its result, or `seen`. */
enum kind { RESULT_PLUS1, RESULT, GUARDED };
struct site {
	int key;
	enum kind kind;
	int (*fn)(int);
	void (*vfn)(int);
	const char *name;
};
#define SITE_ROW(n)                                                           \
	{ K_kc, RESULT_PLUS1, kc_call_##n, 0, "kc_call_" #n },                \
	{ K_kc, RESULT, kc_tail_##n, 0, "kc_tail_" #n },                      \
	{ K_kg, GUARDED, kg_call_##n, 0, "kg_call_" #n },                     \
	{ K_kg, GUARDED, 0, kg_tail_##n, "kg_tail_" #n },                     \
	{ K_fn, RESULT_PLUS1, fn_call_##n, 0, "fn_call_" #n },                \
	{ K_fn, RESULT, fn_tail_##n, 0, "fn_tail_" #n },                      \
	{ K_ev, GUARDED, ev_call_##n, 0, "ev_call_" #n },                     \
	{ K_ev, GUARDED, 0, ev_tail_##n, "ev_tail_" #n },
static const struct site sites[] = {
	SITE_ROW(0) SITE_ROW(1) SITE_ROW(2) SITE_ROW(3)
	SITE_ROW(4) SITE_ROW(5) SITE_ROW(6) SITE_ROW(7)
};
#define NSITES (int)(sizeof sites / sizeof sites[0])

/* Call a site; what it observed, normalised to a form's value. */
static int call_site(const struct site *s, int x)
{
	switch (s->kind) {
	case RESULT_PLUS1:
		return s->fn(x) - 1;
	case RESULT:
		return s->fn(x);
	case GUARDED:
		seen = NONE;
		if (s->fn)
			s->fn(x);
		else
			s->vfn(x);
		return seen;
	}
	return -2;
}

/* ---- forms of each key ---------------------------------------------------- */

enum form_kind { F_TARGET, F_NULL, F_RET0, F_CONST, F_ARG };
struct form {
	enum form_kind kind;
	int target; /* F_TARGET: the target's number */
	long value; /* F_CONST: the constant; F_ARG: the argument */
	void *fn;   /* F_CONST, F_ARG: the key's value once updated */
};
/* ways of updating, counted per key (updates_by) */
enum { HOW_RET0, HOW_NULL, HOW_NULL_STORE, HOW_UPDATE, HOW_STORE, HOW_CONST,
       HOW_ARG, NHOW };
struct key {
	const char *name;
	void *addr;
	int guarded;
	int nforms;
	struct form forms[MAXFORMS];
	void *targets[4];
	unsigned char walk[WALK];       /* generation g holds walk[g % WALK] */
	_Atomic unsigned long gen;      /* completed updates */
	unsigned long updates_by[NHOW]; /* per way of updating */
};

#define FT(t) { F_TARGET, (t) }
#define FNULL { F_NULL, 0 }
#define FRET0 { F_RET0, 0 }
#define FCONST(v) { F_CONST, 0, (v) }
#define FARG(n) { F_ARG, 0, (n) }
static struct key keys[NKEYS + 1] = {
	[K_kc] = { .name = "kc", .addr = &kc, .nforms = 7,
		   .forms = { FT(0), FT(1), FT(2), FT(3), FRET0, FCONST(9999),
			      FARG(0) },
		   .targets = { kc_t0, kc_t1, kc_t2, kc_t3 } },
	[K_kg] = { .name = "kg", .addr = &kg, .guarded = 1, .nforms = 6,
		   .forms = { FT(0), FT(1), FT(2), FNULL, FRET0, FCONST(9999) },
		   .targets = { kg_t0, kg_t1, kg_t2 } },
	/* -2 in 64 bits has no 5-byte form: a generated function */
	[K_fn] = { .name = "ops.fn", .addr = &ops.fn, .nforms = 6,
		   .forms = { FT(0), FT(1), FT(2), FRET0, FCONST(-2), FARG(0) },
		   .targets = { fn_t0, fn_t1, fn_t2 } },
	[K_ev] = { .name = "ops.ev", .addr = &ops.ev, .guarded = 1,
		   .nforms = 4, .forms = { FT(0), FT(1), FT(2), FNULL },
		   .targets = { ev_t0, ev_t1, ev_t2 } },
};

/* What a caller with argument x observes from form f of key k. */
static int form_value(int k, int f, int x)
{
	const struct form *fm = &keys[k].forms[f];
	switch (fm->kind) {
	case F_TARGET:
		return VAL(k, fm->target, x);
	case F_NULL:
		return NONE;
	case F_RET0:
		return keys[k].guarded ? NONE : 0;
	case F_CONST:
		return keys[k].guarded ? NONE : (int)fm->value;
	case F_ARG:
		return keys[k].guarded ? NONE : x;
	}
	return -2;
}

static void *form_pointer(int k, int f)
{
	const struct form *fm = &keys[k].forms[f];
	return fm->kind == F_TARGET ? keys[k].targets[fm->target] :
	       fm->kind == F_RET0   ? (void *)__staticcall_ret0 :
	       fm->kind == F_NULL   ? NULL : fm->fn;
}

/* A random walk over the forms, starting at form 0 (the initial value),
 * never staying on a form; it must contain every ordered pair. */
static int make_walk(struct key *k, unsigned seed)
{
	int pairs[MAXFORMS][MAXFORMS] = { { 0 } }, n = k->nforms, missing = 0;
	k->walk[0] = 0;
	for (int i = 1; i < WALK; i++) {
		seed = seed * 1103515245u + 12345u;
		int next = (k->walk[i - 1] + 1 + (int)((seed >> 16) % (n - 1))) % n;
		/* the walk wraps round: walk[WALK - 1] -> walk[0] too */
		while (i == WALK - 1 && (next == 0 || next == k->walk[i - 1]))
			next = (next + 1) % n;
		k->walk[i] = (unsigned char)next;
	}
	for (int i = 0; i < WALK; i++)
		pairs[k->walk[i]][k->walk[(i + 1) % WALK]]++;
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++)
			if (a != b && !pairs[a][b])
				missing++;
	return missing;
}

/* ---- updating ---------------------------------------------------------- */

static atomic_int done;
static atomic_ulong update_errors, total_updates;
static pthread_t callers[NCALLERS];
static unsigned long max_updates;

/* Move key k to form f, the `how`-th way that form can be reached. */
static int apply(int k, int f, unsigned how)
{
	struct key *key = &keys[k];
	const struct form *fm = &key->forms[f];
	void *p = form_pointer(k, f);
	int rc = 0;
	if (fm->kind == F_CONST || fm->kind == F_ARG) {
		int c = fm->kind == F_CONST;
		how = c ? HOW_CONST : HOW_ARG;
		switch (k) {
		/* (int(int) keys: FARG(0), their only argument; n is a
		 * constant) */
		case K_kc: rc = c ? static_call_update_const(kc, fm->value) :
				    static_call_update_ret_arg(kc, 0);
			break;
		case K_kg: rc = static_call_update_const(kg, fm->value); break;
		case K_fn: rc = c ? static_call_update_const(ops.fn, fm->value) :
				    static_call_update_ret_arg(ops.fn, 0);
			break;
		}
		/* the generated function, for the final live-code check */
		((struct form *)fm)->fn = *(void **)key->addr;
	} else if (fm->kind == F_RET0) {
		how = 0;
		switch (k) {
		case K_kc: rc = static_call_update_ret0(kc); break;
		case K_kg: rc = static_call_update_ret0(kg); break;
		case K_fn: rc = static_call_update_ret0(ops.fn); break;
		}
	} else if (fm->kind == F_NULL) {
		how = 1 + how % 2;
		if (k == K_kg) {
			if (how == 1)
				rc = static_call_update_null(kg);
			else
				kg = NULL;
		} else {
			if (how == 1)
				rc = static_call_update_null(ops.ev);
			else
				ops.ev = NULL;
		}
	} else {
		how = 3 + how % 2;
		switch (k * 2 + (how == 4)) {
		case K_kc * 2: rc = static_call_update(kc, (int (*)(int))p); break;
		case K_kc * 2 + 1: kc = (int (*)(int))p; break;
		case K_kg * 2: rc = static_call_update(kg, (int (*)(int))p); break;
		case K_kg * 2 + 1: kg = (int (*)(int))p; break;
		case K_fn * 2: rc = static_call_update(ops.fn, (int (*)(int))p); break;
		case K_fn * 2 + 1: ops.fn = (int (*)(int))p; break;
		case K_ev * 2: rc = static_call_update(ops.ev, (void (*)(int))p); break;
		case K_ev * 2 + 1: ops.ev = (void (*)(int))p; break;
		}
	}
	key->updates_by[how]++;
	return rc;
}

/* One updater owns keys[first] and keys[first + 1]. */
static void *updater(void *arg)
{
	int first = (int)(long)arg;
	unsigned mix = 0x9e3779b9u * (unsigned)first;
	for (unsigned long g = 1; !atomic_load(&done); g++) {
		for (int k = first; k < first + 2; k++) {
			if (atomic_fetch_add(&total_updates, 1) >= max_updates) {
				atomic_fetch_sub(&total_updates, 1);
				return NULL;
			}
			mix = mix * 1664525u + 1013904223u;
			if (apply(k, keys[k].walk[g % WALK], mix >> 20))
				atomic_fetch_add(&update_errors, 1);
			atomic_store(&keys[k].gen, g);
		}
	}
	return NULL;
}

/* ---- calling ----------------------------------------------------------- */

static atomic_ulong calls, invalid, stale, kicks;

/* 0: r is the form of key k at a generation in [g0 - 1, g1 + 1];
 * 1: r is another form of k (stale); 2: no form of k (invalid). */
static int check(int k, int x, int r, unsigned long g0, unsigned long g1)
{
	struct key *key = &keys[k];
	unsigned long lo = g0 ? g0 - 1 : 0, hi = g1 + 1;
	if (form_value(k, key->walk[g1 % WALK], x) == r)
		return 0; /* the usual case first: callers spend their time in
			   * the sites, not here */
	int any = 0;
	for (int f = 0; f < key->nforms; f++)
		any |= form_value(k, f, x) == r;
	if (!any)
		return 2;
	if (hi - lo >= 4 * WALK)
		return 0;
	for (unsigned long g = lo; g <= hi; g++)
		if (form_value(k, key->walk[g % WALK], x) == r)
			return 0;
	return 1;
}

static void *caller(void *arg)
{
	int x = (int)(long)arg;
	unsigned long n = 0;
	/* Updaters first: on a loaded machine they would otherwise get a
	 * tenth of the CPU, and form changes are what this test is about. */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	setpriority(PRIO_PROCESS, (id_t)tid, CALLER_NICE);
	/* Stop this thread every KICK_EVERY_NS wherever it is, across
	 * updates, as preemption does (a timer interrupt, so also on a
	 * machine with more cores than threads). */
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGUSR1 };
	sev._sigev_un._tid = tid; /* sigev_notify_thread_id: glibc 2.36 lacks
				    * the name */
	struct itimerspec every = { { 0, KICK_EVERY_NS },
				    { 0, KICK_EVERY_NS + 7919 * x } };
	timer_t timer;
	int timed = timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0 &&
		    timer_settime(timer, 0, &every, NULL) == 0;
	while (!atomic_load_explicit(&done, memory_order_acquire)) {
		for (int i = 0; i < NSITES; i++) {
			const struct site *s = &sites[i];
			struct key *key = &keys[s->key];
			unsigned long g0 = atomic_load(&key->gen);
			int r = call_site(s, x);
			unsigned long g1 = atomic_load(&key->gen);
			int bad = check(s->key, x, r, g0, g1);
			if (!bad)
				continue;
			unsigned long before =
				atomic_fetch_add(bad == 1 ? &stale : &invalid, 1);
			if (before < 5)
				fprintf(stderr, "forms_stress: %s %s returned %d "
					"between generations %lu and %lu "
					"(forms %d..%d)\n", s->name,
					bad == 1 ? "stale:" : "invalid:", r,
					g0, g1, key->walk[(g0 ? g0 - 1 : 0) % WALK],
					key->walk[(g1 + 1) % WALK]);
		}
		n += NSITES;
	}
	if (timed)
		timer_delete(timer);
	atomic_fetch_add(&calls, n);
	return NULL;
}

/* Stops the interrupted caller for a while, wherever it is. */
static void on_kick(int sig)
{
	(void)sig;
	struct timespec ts = { 0, KICK_NS };
	nanosleep(&ts, NULL);
	atomic_fetch_add(&kicks, 1);
}

/* ---- a fault: say which site, then die of the signal -------------------- */

static struct static_call_site_info all_sites[NKEYS * 2 * NPAD];
static const char *all_site_keys[NKEYS * 2 * NPAD];
static int nall_sites;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
#if defined(__x86_64__)
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
#else
	uintptr_t pc = 0;
#endif
	char msg[256];
	int n = snprintf(msg, sizeof msg, "forms_stress: signal %d at pc %#lx "
			 "(fault address %p)", sig, (unsigned long)pc,
			 si->si_addr);
	const struct static_call_site_info *at = NULL; /* the site of pc */
	const char *key = NULL;
	for (int i = 0; i < nall_sites; i++) {
		const struct static_call_site_info *si_ = &all_sites[i];
		uintptr_t a = (uintptr_t)si_->address;
		if (pc >= a && pc < a + 16 &&
		    (!at || a > (uintptr_t)at->address)) {
			at = si_;
			key = all_site_keys[i];
		}
	}
	if (at) {
		uintptr_t a = (uintptr_t)at->address;
		n += snprintf(msg + n, sizeof msg - n, ": %s %s site %p "
			      "(offset %lu in its word) + %lu", key,
			      at->tail ? "tail" : "call", at->address,
			      (unsigned long)(a % 8), (unsigned long)(pc - a));
	}
	msg[n++] = '\n';
	if (write(2, msg, n) < 0)
		_exit(128 + sig);
	signal(sig, SIG_DFL);
	raise(sig); /* delivered when this handler returns */
}

/* ---- start-up: where the sites are ------------------------------------ */

#ifdef __clang__
#define OFFSETS 8 /* anchored sites land anywhere */
#else
#define OFFSETS 4 /* .balign 8,,4: offsets 0-3 */
#endif

/* Every key must have call and tail sites at every offset 0..OFFSETS-1.
 * Returns the number of missing (key, kind, offset) triples. */
static int check_offsets(void)
{
	struct static_call_site_info buf[64];
	int missing = 0;
	for (int k = 1; k <= NKEYS; k++) {
		unsigned seen_at[2] = { 0, 0 };
		int n = __staticcall_list_sites(keys[k].addr, buf, 64);
		for (int i = 0; i < n && i < 64; i++) {
			uintptr_t a = (uintptr_t)buf[i].address;
			if (nall_sites < NKEYS * 2 * NPAD) {
				all_site_keys[nall_sites] = keys[k].name;
				all_sites[nall_sites++] = buf[i];
			}
			seen_at[buf[i].tail ? 1 : 0] |= 1u << (a % 8);
			if (buf[i].form == STATIC_CALL_SITE_UNVERIFIED) {
				fprintf(stderr, "forms_stress: %s: site %p "
					"unverified: %s\n", keys[k].name,
					buf[i].address, buf[i].reason);
				missing++;
			}
		}
		for (int t = 0; t < 2; t++) {
			char have[40] = "", miss[40] = "";
			for (int o = 0; o < 8; o++) {
				char *s = seen_at[t] & (1u << o) ? have :
					  o < OFFSETS ? miss : NULL;
				if (s)
					sprintf(s + strlen(s), " %d", o);
				if (!(seen_at[t] & (1u << o)) && o < OFFSETS)
					missing++;
			}
			fprintf(stderr, "forms_stress: %s %s sites at offsets"
				"%s%s%s\n", keys[k].name, t ? "tail" : "call",
				have, *miss ? "; MISSING" : "", miss);
		}
	}
	return missing;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 8;
	max_updates = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000000;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	int walk_missing = 0;
	for (int k = 1; k <= NKEYS; k++)
		walk_missing += make_walk(&keys[k], 7919u * (unsigned)k);
	if (walk_missing) {
		printf("forms_stress: FAILED: the update order misses %d "
		       "form pairs\n", walk_missing);
		return 1;
	}
	SC_LIVE_KEY(kc);
	SC_LIVE_KEY(kg);
	SC_LIVE_KEY(ops.fn);
	SC_LIVE_KEY(ops.ev);
#ifdef __STATICCALL_PLUGIN__
	int offsets_missing = check_offsets();
	if (offsets_missing) {
		printf("forms_stress: FAILED: %d site offsets missing (this "
		       "compiler produces 0-%d)\n", offsets_missing, OFFSETS - 1);
		return 1;
	}
#endif
	/* The live-code checker fails a site left on its trampoline while
	 * its target is in range: that is the point of this switch. */
	int check_code = !getenv("STATICCALL_SITES");
	if (check_code)
		SC_CHECK();
	else
		fprintf(stderr, "forms_stress: STATICCALL_SITES set: live code "
			"not checked\n");

	struct sigaction sa = { 0 };
	sa.sa_handler = on_kick;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	pthread_t u[2];
	for (long i = 0; i < NCALLERS; i++)
		if (pthread_create(&callers[i], NULL, caller, (void *)i)) {
			perror("pthread_create");
			return 2;
		}
	if (pthread_create(&u[0], NULL, updater, (void *)(long)K_kc) ||
	    pthread_create(&u[1], NULL, updater, (void *)(long)K_fn)) {
		perror("pthread_create");
		return 2;
	}
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	do {
		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 <
		 seconds && atomic_load(&total_updates) < max_updates);
	atomic_store(&done, 1);
	pthread_join(u[0], NULL);
	pthread_join(u[1], NULL);
	for (int i = 0; i < NCALLERS; i++)
		pthread_join(callers[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Settled: every site gives the final form, the code matches. */
	int unsettled = 0, live = 0;
	for (int k = 1; k <= NKEYS; k++) {
		int f = keys[k].walk[atomic_load(&keys[k].gen) % WALK];
		if (check_code)
			live += sc_check_key(keys[k].addr, form_pointer(k, f));
		for (int i = 0; i < NSITES; i++)
			if (sites[i].key == k &&
			    call_site(&sites[i], 5) != form_value(k, f, 5)) {
				fprintf(stderr, "forms_stress: %s unsettled\n",
					sites[i].name);
				unsettled++;
			}
	}
	if (check_code)
		live += sc_check_live();

	unsigned long ups = atomic_load(&total_updates);
	int ok = !invalid && !stale && !update_errors && !unsettled && !live &&
		 !sc_live_failures();
	printf("forms_stress: %s: %lu updates, %lu calls by %d threads at %d "
	       "sites, %.1f seconds; %lu invalid, %lu stale, %lu update errors, "
	       "%d unsettled sites, %d live-code failures, %lu kicks\n",
	       ok ? "ok" : "FAILED", ups, (unsigned long)calls, NCALLERS,
	       NSITES, t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long)invalid, (unsigned long)stale,
	       (unsigned long)update_errors, unsettled,
	       live + sc_live_failures(), (unsigned long)kicks);
	for (int k = 1; k <= NKEYS; k++)
		fprintf(stderr, "forms_stress: %s: %lu updates: ret0 %lu, "
			"update_null %lu, NULL store %lu, update %lu, "
			"store %lu, update_const %lu, update_ret_arg %lu\n",
			keys[k].name, atomic_load(&keys[k].gen),
			keys[k].updates_by[0], keys[k].updates_by[1],
			keys[k].updates_by[2], keys[k].updates_by[3],
			keys[k].updates_by[4], keys[k].updates_by[5],
			keys[k].updates_by[6]);
	return ok ? 0 : 1;
}
