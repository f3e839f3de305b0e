/*
 * seal.c - static_call_seal: its state, moving the code, pinning, mseal(2).
 *
 * A sandbox that forbids writable code (W^X) after start-up would leave
 * later updates failing and plain stores stale. Sealing first takes the
 * runtime out of the code-writing business for good: with
 * STATIC_CALL_SEAL_CODE every call reads its key (sc_own_seal below moves
 * the code, patch.c writes the batch), with STATIC_CALL_SEAL_UPDATES the code
 * is frozen and its pages sealed. docs/GUIDE.md, "W^X policies and
 * sandboxes", tells the whole story.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_mseal
#define SYS_mseal 462 /* the same on x86-64 and arm64 (Linux 6.10) */
#endif

static int sealed;

int sc_sealed(void)
{
	int s = __atomic_load_n(&sealed, __ATOMIC_ACQUIRE);
	if (sc_env()->seal == 1)
		s |= STATIC_CALL_SEAL_CODE;
	else if (sc_env()->seal == 2)
		s |= STATIC_CALL_SEAL_UPDATES;
	return s;
}

void sc_seal_set(int bits)
{
	__atomic_or_fetch(&sealed, bits, __ATOMIC_RELEASE);
}

/* Weak, as in process.c: a -static program has only its main program. */
#pragma weak dlopen

/* dl_iterate_phdr's first object is the main program: is addr in it? */
static int in_main_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t a = *(uintptr_t *)arg;
	*(uintptr_t *)arg = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz)
			*(uintptr_t *)arg = 1;
	}
	return 1; /* the first only */
}

int sc_pin_object_of(const void *addr)
{
	Dl_info di;
	struct link_map *lm = NULL;
	if (!dladdr1(addr, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm) {
		/* a -static program: no link maps, and nothing unloads its
		 * main program (a reviewer's static build sealed nothing) */
		uintptr_t a = (uintptr_t)addr;
		dl_iterate_phdr(in_main_cb, &a);
		return a == 1;
	}
	if (!lm->l_name || !lm->l_name[0])
		return 1; /* the main program is never unloaded */
	/* RTLD_NOLOAD on a loaded object runs no constructor; the handle is
	 * kept: the object stays loaded anyway. */
	return dlopen && dlopen(lm->l_name, RTLD_LAZY | RTLD_NOLOAD |
						    RTLD_NODELETE) != NULL;
}

int sc_mseal_range(const void *p, size_t n)
{
	return syscall(SYS_mseal, p, n, 0UL) ? -errno : 0;
}

int sc_mseal_object(const struct sc_object *o)
{
	uintptr_t ps = sc_page_size();
	for (int i = 0; i < o->nsegs; i++) {
		const struct sc_segment *g = &o->segs[i];
		if (!(g->prot & PROT_EXEC))
			continue;
		uintptr_t lo = g->lo & ~(ps - 1);
		uintptr_t hi = (g->hi + ps - 1) & ~(ps - 1);
		int err = sc_mseal_range((const void *)lo, hi - lo);
		if (err)
			return err;
	}
	return 0;
}

/* ---- static_call_seal, over every key and object --------------------- */

/* STATIC_CALL_SEAL_CODE: every site of every key onto its trampoline's
 * slow path, in one batch; then patching is off for good. Caller holds
 * the lock. */
static int seal_code(void)
{
	/* Off already (STATICCALL_DISABLE, a W^X policy refused the first
	 * write): nothing was ever written, every site is as compiled. */
	if (sc_patching_off_reason()) {
		sc_seal_set(STATIC_CALL_SEAL_CODE);
		return 0;
	}
	size_t n = 0, i = 0;
	sc_for_each_key(k) n++;
	struct sc_key **keys = sc_mem_alloc((n ? n : 1) * sizeof *keys);
	if (!keys)
		return -ENOMEM;
	sc_for_each_key(k) keys[i++] = k;
	/* promoted indirect calls back onto their thunks first (all or
	 * nothing: a failure leaves everything as it was) */
	int err = sc_promote_seal_code();
	/* static keys' sites back to their load and test (a key then
	 * changes its count alone); they stay correct if the rest fails */
	if (!err)
		err = sc_keys_seal_code();
	if (!err)
		err = sc_patch_seal_code(keys, n);
	sc_mem_free(keys);
	if (err) {
		sc_log(SC_LOG_ERROR,
		       "static_call_seal(CODE): the code could not "
		       "be moved to the trampolines (%s): not sealed",
		       strerrorname_np(-err));
		return err;
	}
	sc_patching_turn_off(SC_REASON_SEALED);
	sc_seal_set(STATIC_CALL_SEAL_CODE);
	return 0;
}

/* Pin the object holding each of at[0..n) (an mseal'ed mapping cannot
 * be unmapped: dlclose leaves it loaded), then, under the lock, mseal
 * what `seal` seals of it (0 or -errno; -ENOENT: it went meanwhile).
 * How many were sealed. A kernel without mseal is said once and ends
 * it. Called without the lock: pinning takes the dynamic linker's. */
static size_t pin_and_seal(const void *const *at, size_t n,
			   int (*seal)(const void *at))
{
	static int no_mseal;
	size_t sealed = 0;
	sigset_t saved;
	for (size_t i = 0; i < n && !no_mseal; i++) {
		if (!sc_pin_object_of(at[i]))
			continue;
		if (sc_lock_sites(&saved))
			break;
		int err = seal(at[i]);
		sc_unlock(&saved);
		if (err == -ENOSYS || err == -EINVAL) {
			no_mseal = 1;
			sc_log(SC_LOG_INFO,
			       "static_call_seal: no mseal in this "
			       "kernel (%s): text pages not sealed",
			       strerrorname_np(-err));
		}
		sealed += !err;
	}
	return sealed;
}

/* An object with static calls, by its table: its text. */
static int seal_registered(const void *abi)
{
	struct sc_object *o = sc_registered_object(abi);
	int err = o ? sc_mseal_object(o) : -ENOENT;
	if (o && err && err != -ENOSYS && err != -EINVAL)
		sc_log(SC_LOG_WARN, "static_call_seal: mseal of %s failed (%s)",
		       o->name, strerrorname_np(-err));
	return err;
}

/* An object with promotable sites, by its table: its text, and its
 * stub and counter memory (a promoted site's stub is code it reaches). */
static int seal_promoted(const void *begin)
{
	int err = sc_promote_mseal(begin);
	if (err && err != -ENOENT && err != -ENOSYS && err != -EINVAL)
		sc_log(SC_LOG_WARN,
		       "static_call_seal: mseal of the promoted code at %p "
		       "failed (%s)",
		       begin, strerrorname_np(-err));
	return err;
}

/* mseal the text of every object registered now, with static calls or
 * promotable sites. */
static void seal_text(void)
{
	size_t n = 0, i = 0;
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return;
	for (struct sc_object *o = sc_registered_objects(); o; o = o->next)
		n++;
	const size_t np = sc_promote_objects(NULL, 0);
	const void **at = sc_mem_alloc((n + np ? n + np : 1) * sizeof *at);
	for (struct sc_object *o = sc_registered_objects(); o && at;
	     o = o->next)
		at[i++] = o->abi;
	if (at)
		sc_promote_objects(at + n, np);
	sc_unlock(&saved);
	if (!at)
		return;
	sc_log(SC_LOG_INFO, "static_call_seal: text of %zu of %zu objects sealed",
	       pin_and_seal(at, n, seal_registered), n);
	if (np)
		sc_log(SC_LOG_INFO,
		       "static_call_seal: code and stubs of %zu of %zu "
		       "promotion objects sealed",
		       pin_and_seal(at + n, np, seal_promoted), np);
	sc_mem_free(at);
}

int sc_own_seal(int how)
{
	const int all = STATIC_CALL_SEAL_CODE | STATIC_CALL_SEAL_UPDATES;
	if (!how || (how & ~all))
		return -EINVAL;
	int err = 0, text = 0;
	sigset_t saved;
	if (sc_lock_sites(&saved))
		return -EDEADLK;
	int cur = sc_sealed();
	if ((how & STATIC_CALL_SEAL_CODE) && !(cur & STATIC_CALL_SEAL_CODE))
		err = (cur & STATIC_CALL_SEAL_UPDATES) ? -EPERM : seal_code();
	/* Sites keep their targets: the lazily bound ones too (bind.c), or
	 * their calls would pass through a binder that may no longer write. */
	if (!err && (how & STATIC_CALL_SEAL_UPDATES) &&
	    !(cur & STATIC_CALL_SEAL_UPDATES) && !(how & STATIC_CALL_SEAL_CODE))
		err = sc_bind_all_locked();
	/* the text sealed once, by the first call asking for it: also
	 * after STATICCALL_SEAL=updates (whose freeze is in cur from the
	 * start: the guide tells such programs to call this for the mseal,
	 * and a review found it sealed nothing) */
	if (!err && (how & STATIC_CALL_SEAL_UPDATES) &&
	    !(__atomic_load_n(&sealed, __ATOMIC_ACQUIRE) &
	      STATIC_CALL_SEAL_UPDATES)) {
		sc_seal_set(STATIC_CALL_SEAL_UPDATES);
		text = 1;
	}
	sc_unlock(&saved);
	if (text)
		seal_text();
	if (!err)
		sc_log(SC_LOG_INFO, "static_call_seal(%s%s%s): sealed",
		       how & STATIC_CALL_SEAL_CODE ? "CODE" : "",
		       how == all ? "|" : "",
		       how & STATIC_CALL_SEAL_UPDATES ? "UPDATES" : "");
	return err;
}
