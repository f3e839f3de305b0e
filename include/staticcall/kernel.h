/*
 * staticcall/kernel.h - the Linux kernel's static keys (jump labels) and
 * static calls, with the kernel's names and meaning, for ordinary C
 * programs and shared libraries.
 *
 *   DEFINE_STATIC_KEY_FALSE(tracing);
 *   if (static_branch_unlikely(&tracing))   // a 5-byte NOP while disabled
 *           trace(x);
 *   static_branch_enable(&tracing);         // every such site, every object
 *
 *   DEFINE_STATIC_CALL(hook, default_hook);
 *   static_call(hook)(x);                   // a direct call (with a plugin)
 *   static_call_update(hook, other_hook);
 *
 * Static keys need no plugin: each check is an `asm goto` site recorded in
 * the section __staticcall_jump of its object, registered with the runtime
 * by a hidden constructor emitted here. As compiled, a site jumps to an
 * out-of-line load and test of the key, so a program without the runtime
 * (or before its object registered) behaves the same, one load slower; the
 * runtime rewrites each site to a NOP or a direct jump (docs/ABI.md,
 * "Static keys"; docs/PATCHING.md). On an architecture other than x86-64
 * and arm64 every check is that load and test.
 *
 * Static calls are the keys of <staticcall.h> (STATIC_CALL function
 * pointers): direct calls with a staticcall plugin, plain indirect calls
 * without. This header keeps the kernel's meaning of static_call_update and
 * static_call_query (they take the static call's NAME); <staticcall.h>'s
 * forms, which take the key variable, stay available as
 * static_call_update_key and static_call_query_key (docs/GUIDE.md, "Kernel
 * names").
 *
 * C only (not C++).
 */
#ifndef STATICCALL_KERNEL_TYPES_H
#define STATICCALL_KERNEL_TYPES_H
/* A public header, aligned by hand for its readers: */
/* clang-format off */

#include <stddef.h>

#include "../staticcall.h"

#ifdef __cplusplus
#error "<staticcall/kernel.h> is for C; C++ uses <staticcall.h>"
#endif

/* ---- static keys ------------------------------------------------------ */

/* `enabled` is the key's count: the branch is on while it is above zero.
 * Only the calls below may change it. */
struct static_key { int enabled; int __reserved; } __attribute__((aligned(8)));
struct static_key_true { struct static_key key; };
struct static_key_false { struct static_key key; };

#define STATIC_KEY_INIT_TRUE  { 1, 0 }
#define STATIC_KEY_INIT_FALSE { 0, 0 }
#define STATIC_KEY_TRUE_INIT  { STATIC_KEY_INIT_TRUE }
#define STATIC_KEY_FALSE_INIT { STATIC_KEY_INIT_FALSE }

#define DEFINE_STATIC_KEY_TRUE(name)                                          \
	struct static_key_true name = STATIC_KEY_TRUE_INIT
#define DEFINE_STATIC_KEY_FALSE(name)                                         \
	struct static_key_false name = STATIC_KEY_FALSE_INIT
#define DEFINE_STATIC_KEY_TRUE_RO(name)  DEFINE_STATIC_KEY_TRUE(name)
#define DEFINE_STATIC_KEY_FALSE_RO(name) DEFINE_STATIC_KEY_FALSE(name)
#define DECLARE_STATIC_KEY_TRUE(name)  extern struct static_key_true name
#define DECLARE_STATIC_KEY_FALSE(name) extern struct static_key_false name

/* The key of &k for any of the three types (const too: static_key_enabled
 * and static_key_sites read it); anything else is an error. */
#define __sk_key(x)                                                           \
	((struct static_key *)_Generic((x),                                   \
				       struct static_key *: (x),              \
				       struct static_key_true *: (x),         \
				       struct static_key_false *: (x),        \
				       const struct static_key *: (x),        \
				       const struct static_key_true *: (x),   \
				       const struct static_key_false *: (x)))

/* One site as the runtime reports it (static_key_sites). */
enum static_key_site_form {
	STATIC_KEY_SITE_TEST = 0,       /* as compiled: jumps to its load and
					   test of the key (not registered,
					   patching off, or sealed) */
	STATIC_KEY_SITE_NOP = 1,        /* falls through */
	STATIC_KEY_SITE_JUMP = 2,       /* jumps to its branch */
	STATIC_KEY_SITE_UNVERIFIED = 3, /* bytes not recognised: never patched */
};

struct static_key_site_info {
	void *address;      /* the site's instruction */
	void *target;       /* where it jumps when it jumps */
	const char *object; /* file name of the object holding the site */
	const char *reason; /* why it is on its load and test, or NULL */
	int form;           /* enum static_key_site_form */
	int likely;         /* static_branch_likely (jumps while disabled) */
};

/* __staticcall_key_change's operations */
#define __SK_ENABLE  0
#define __SK_DISABLE 1
#define __SK_INC     2
#define __SK_DEC     3

/* clang-format on */
#endif /* STATICCALL_KERNEL_TYPES_H */

/* The runtime includes the types above alone. */
#if !defined(__STATICCALL_KERNEL_TYPES_ONLY) && !defined(STATICCALL_KERNEL_H)
#define STATICCALL_KERNEL_H
/* clang-format off */

/* The runtime's entry points: weak, so a program without the runtime
 * links and keeps the load and test (__sk_change below). */
int __staticcall_key_change(struct static_key *key, int op)
	__attribute__((weak));
int __staticcall_key_sites(const struct static_key *key,
			   struct static_key_site_info *buf, size_t n)
	__attribute__((weak));
void __staticcall_jump_register(const void *begin, const void *end)
	__attribute__((weak));
void __staticcall_jump_unregister(const void *begin)
	__attribute__((weak));

/* One site record (docs/ABI.md, "Static keys"): 16 bytes, PC-relative. */
#define __SK_LIKELY 0x1 /* jumps while the key is disabled */

#if (defined(__x86_64__) || defined(__aarch64__)) &&                          \
	!defined(STATICCALL_NO_JUMP_LABEL)
#define __SK_ASM 1

#define __SK_RECORD(flags)                                                    \
	".pushsection __staticcall_jump,\"a\"\n\t"                            \
	".balign 4\n\t"                                                       \
	".long 1b - .\n\t"                                                    \
	".long %l[__sk_l] - .\n\t"                                            \
	".long %c[kp] - .\n\t"                                                \
	".long " #flags "\n\t"                                                \
	".popsection\n\t"

#if defined(__x86_64__)
/*
 * The site: `jmp rel32` to its load and test, in one aligned 8-byte word
 * (.balign 8,,4: a 5-byte instruction at offset 4-7 is moved to the next
 * word), so the runtime changes it with one atomic write. The test saves
 * %rax below the red zone and leaves with the flags changed ("cc").
 * jcc: 0x8f `jg` (unlikely: jump while count > 0), 0x8e `jle` (likely).
 */
#define __SK_SITE(jcc, flags)                                                 \
	".balign 8,,4\n"                                                      \
	"1:\t.byte 0xe9\n\t.long 3f - . - 4\n\t"                              \
	".pushsection .text.__staticcall_jump,\"ax\",@progbits\n"             \
	"3:\t.byte 0x48,0x8d,0x64,0x24,0x80\n\t" /* lea -128(%%rsp),%%rsp */  \
	".byte 0x50\n\t"                         /* push %%rax */             \
	".byte 0x48,0x8b,0x05\n\t.long %c[kp] - . - 4\n\t" /* mov kp,%%rax */ \
	".byte 0x83,0x38,0x00\n\t"               /* cmpl $0,(%%rax) */        \
	".byte 0x58\n\t"                         /* pop %%rax */              \
	".byte 0x48,0x8d,0xa4,0x24,0x80,0,0,0\n\t" /* lea 128(%%rsp),%%rsp */ \
	".byte 0x0f," #jcc "\n\t.long %l[__sk_l] - . - 4\n\t"                 \
	".byte 0xe9\n\t.long 1b + 5 - . - 4\n\t"                              \
	".popsection\n\t"                                                     \
	__SK_RECORD(flags)
#define __SK_UNLIKELY_SITE __SK_SITE(0x8f, 0)
#define __SK_LIKELY_SITE   __SK_SITE(0x8e, 1)
#define __SK_SYMBOL "i" /* a symbol's address as an operand */
#else
/*
 * arm64: the site is `b` to its load and test (one aligned word, B <-> NOP
 * may change under running cores). x16/x17 are saved on the stack (no red
 * zone on arm64 Linux); the conditional branch skips over an unconditional
 * one, so the branch reaches its label from any distance B reaches.
 */
#define __SK_SITE(cond, flags)                                                \
	"1:\tb 3f\n\t"                                                        \
	".pushsection .text.__staticcall_jump,\"ax\",@progbits\n"             \
	"3:\tstp x16, x17, [sp, #-16]!\n\t"                                   \
	"adrp x16, %c[kp]\n\t"                                                \
	"ldr x16, [x16, #:lo12:%c[kp]]\n\t"                                   \
	"ldr w16, [x16]\n\t"                                                  \
	"cmp w16, #0\n\t"                                                     \
	"ldp x16, x17, [sp], #16\n\t"                                         \
	"b." #cond " 4f\n\t"                                                  \
	"b %l[__sk_l]\n"                                                      \
	"4:\tb 1b + 4\n\t"                                                    \
	".popsection\n\t"                                                     \
	__SK_RECORD(flags)
#define __SK_UNLIKELY_SITE __SK_SITE(le, 0) /* jump while count > 0 */
#define __SK_LIKELY_SITE   __SK_SITE(gt, 1) /* jump while count <= 0 */
#define __SK_SYMBOL "S" /* "i" is refused under -fPIC/-fPIE by GCC */
#endif

/*
 * A statement expression, not an inline function, so that the key is an
 * asm operand at -O0 too: a pointer to it in read-only data after
 * relocation (__sk_kp), named PC-relatively by the record and the test,
 * whatever the key's visibility and -fPIC/-fPIE. The key must be an
 * address constant (&k of a static-storage key), as in the kernel.
 */
#define __sk_branch(x, site, taken, fallthrough)                              \
	__extension__({                                                       \
		__label__ __sk_l;                                             \
		static struct static_key *const __sk_kp = __sk_key(x);        \
		_Bool __sk_r = fallthrough;                                   \
		__asm__ goto(site : : [kp] __SK_SYMBOL(&__sk_kp) : "cc" : __sk_l);    \
		if (0) {                                                      \
		__sk_l:                                                       \
			__sk_r = taken;                                       \
		}                                                             \
		__sk_r;                                                       \
	})
#define static_branch_unlikely(x)                                             \
	__builtin_expect(__sk_branch(x, __SK_UNLIKELY_SITE, 1, 0), 0)
#define static_branch_likely(x)                                               \
	__builtin_expect(__sk_branch(x, __SK_LIKELY_SITE, 0, 1), 1)

/*
 * Registration: one hidden weak constructor per linked object (every unit
 * including this header emits it; the linker keeps one definition, which
 * runs once), passing the object's records to the runtime if it is there.
 */
extern const char __start___staticcall_jump[]
	__attribute__((weak, visibility("hidden")));
extern const char __stop___staticcall_jump[]
	__attribute__((weak, visibility("hidden")));

__attribute__((weak, visibility("hidden"), constructor, used)) void
__staticcall_jump_ctor(void)
{
	static int done;
	if (done || !__start___staticcall_jump || !__staticcall_jump_register)
		return;
	done = 1;
	__staticcall_jump_register(__start___staticcall_jump,
				   __stop___staticcall_jump);
}

__attribute__((weak, visibility("hidden"), destructor, used)) void
__staticcall_jump_dtor(void)
{
	static int done;
	if (done || !__start___staticcall_jump ||
	    !__staticcall_jump_unregister)
		return;
	done = 1;
	__staticcall_jump_unregister(__start___staticcall_jump);
}

#else /* another architecture: a load and test */
#define __SK_ASM 0
#define static_branch_unlikely(x)                                             \
	__builtin_expect(__atomic_load_n(&__sk_key(x)->enabled,               \
					 __ATOMIC_RELAXED) > 0, 0)
#define static_branch_likely(x)                                               \
	__builtin_expect(__atomic_load_n(&__sk_key(x)->enabled,               \
					 __ATOMIC_RELAXED) > 0, 1)
#endif

#define static_key_enabled(x)                                                 \
	(__atomic_load_n(&__sk_key(x)->enabled, __ATOMIC_ACQUIRE) > 0)
#define static_key_count(x)                                                   \
	__atomic_load_n(&__sk_key(x)->enabled, __ATOMIC_ACQUIRE)

/* Without the runtime: the count alone (every site is its load and test).
 * Returns 0, -ERANGE (34) on a count that would leave 0..INT_MAX. */
static inline int __sk_change_count(struct static_key *k, int op)
{
	int c = __atomic_load_n(&k->enabled, __ATOMIC_RELAXED), n;
	do {
		if (op == __SK_ENABLE)
			n = c > 0 ? c : 1;
		else if (op == __SK_DISABLE)
			n = 0;
		else if (op == __SK_INC ? c == 0x7fffffff : c <= 0)
			return -34;
		else
			n = op == __SK_INC ? c + 1 : c - 1;
	} while (!__atomic_compare_exchange_n(&k->enabled, &c, n, 0,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return 0;
}

static inline int __sk_change(struct static_key *k, int op)
{
	if (__staticcall_key_change)
		return __staticcall_key_change(k, op);
	return __sk_change_count(k, op);
}

/*
 * 0, or a negative errno with nothing changed: -ERANGE when dec would take
 * the count below 0 (or inc above INT_MAX), -EPERM when updates are
 * sealed, -EBUSY/-EACCES when a site could not be written. Every site of
 * the key in every loaded object changes in one batch, while other threads
 * run them. (The kernel's return void; ignoring the value is fine.)
 */
#define static_branch_enable(x)  __sk_change(__sk_key(x), __SK_ENABLE)
#define static_branch_disable(x) __sk_change(__sk_key(x), __SK_DISABLE)
#define static_branch_inc(x)     __sk_change(__sk_key(x), __SK_INC)
#define static_branch_dec(x)     __sk_change(__sk_key(x), __SK_DEC)
#define static_key_enable(x)     static_branch_enable(x)
#define static_key_disable(x)    static_branch_disable(x)
#define static_key_slow_inc(x)   static_branch_inc(x)
#define static_key_slow_dec(x)   static_branch_dec(x)

/*
 * static_key_sites(&k, buf, n): the number of registered sites of the key
 * in every loaded object, up to n of them described in buf; -ENOSYS (38)
 * without the runtime.
 */
#define static_key_sites(x, buf, n)                                           \
	(__staticcall_key_sites ?                                             \
		 __staticcall_key_sites(__sk_key(x), (buf), (n)) : -38)

/* ---- static calls ----------------------------------------------------- */

#define STATIC_CALL_KEY(name) __SCK__##name

#define DECLARE_STATIC_CALL(name, func)                                       \
	extern __typeof__(func) *STATIC_CALL STATIC_CALL_KEY(name)
#define DEFINE_STATIC_CALL(name, func)                                        \
	__typeof__(func) *STATIC_CALL STATIC_CALL_KEY(name) = (func)
#define DEFINE_STATIC_CALL_NULL(name, func)                                   \
	__typeof__(func) *STATIC_CALL STATIC_CALL_KEY(name) = NULL

/*
 * Return-zero: with a plugin (whose objects need the runtime) the
 * runtime's __staticcall_ret0, which sites inline; without one a local
 * function returning 0.
 */
#if defined(__STATICCALL_PLUGIN__)
#define __static_call_return0 __staticcall_ret0
#else
static long __attribute__((unused)) __sk_return0(void) { return 0; }
#define __static_call_return0 __sk_return0
#endif
#define DEFINE_STATIC_CALL_RET0(name, func)                                   \
	__typeof__(func) *STATIC_CALL STATIC_CALL_KEY(name) =                 \
		(__typeof__(func) *)(void (*)(void))__static_call_return0

#define static_call(name) (STATIC_CALL_KEY(name))

/*
 * static_call_cond(name)(args); calls unless the key is NULL: a statement
 * (as in the kernel, for functions returning void). It expands to
 * `if (!key) {} else key(args);`, the guarded call the plugins turn into
 * one site that is a NOP while the key is NULL; the empty branch keeps a
 * following `else` bound to the caller's `if`.
 */
#define static_call_cond(name)                                                \
	if (!STATIC_CALL_KEY(name)) {                                         \
	} else                                                                \
		STATIC_CALL_KEY(name)

/* The kernel's meaning: by name (see the top of this file). */
#undef static_call_update
#undef static_call_query
#if defined(__STATICCALL_PLUGIN__)
#define static_call_update(name, func)                                        \
	static_call_update_key(STATIC_CALL_KEY(name), func)
#else
/* Without a plugin: through the runtime when it is linked (so sites in
 * plugin-built objects follow), else a plain store (there are no sites). */
int __staticcall_update(void *key, void *target) __attribute__((weak));
#define static_call_update(name, func)                                        \
	__extension__({                                                       \
		_Pragma("GCC diagnostic push") __STATICCALL_TYPE_ERRORS       \
		__typeof__(STATIC_CALL_KEY(name)) __sk_fn = (func);           \
		_Pragma("GCC diagnostic pop")                                 \
		__staticcall_update ?                                         \
			__staticcall_update((void *)&STATIC_CALL_KEY(name),   \
					    (void *)__sk_fn) :                \
			(__atomic_store_n(&STATIC_CALL_KEY(name), __sk_fn,    \
					  __ATOMIC_RELEASE), 0);              \
	})
#endif
#define static_call_query(name) static_call_query_key(STATIC_CALL_KEY(name))

/* clang-format on */
#endif /* STATICCALL_KERNEL_H */
