/*
 * staticcall.h - static calls for C programs and shared libraries.
 *
 *   int (*STATIC_CALL hook)(int) = default_impl;
 *   hook(3);                              // a direct call once patched
 *   static_call_update(hook, other_impl); // 0 or -errno, type-checked
 *   static_call_query(hook);              // current target
 *
 * Without a staticcall compiler plugin STATIC_CALL expands to nothing and
 * the same source compiles to ordinary indirect calls.
 */
#ifndef STATICCALL_H
#define STATICCALL_H
/* A public header, aligned by hand for its readers: */
/* clang-format off */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugins predefine __STATICCALL_PLUGIN__. */
#if defined(__STATICCALL_PLUGIN__)
#define STATIC_CALL __attribute__((static_call))
#else
#define STATIC_CALL
#endif

/*
 * STATIC_CALL_BOOT: a key whose sites may hold a multi-instruction
 * fragment (STATIC_CALL_FRAGMENT("pushf; pop %rax")), written only while
 * the process is single-threaded (docs/GUIDE.md, "Multi-instruction
 * fragments"). The plugin refuses plain stores to it: change it with
 * static_call_update, which returns -EAGAIN, changing nothing, once
 * threads run and a site holds such a sequence.
 */
#if defined(__STATICCALL_PLUGIN__)
#define STATIC_CALL_BOOT __attribute__((static_call, static_call_boot))
#else
#define STATIC_CALL_BOOT
#endif

/*
 * STATIC_CALL_FRAGMENT("popcnt %rdi, %rax") on a function definition: with
 * the plugin the function's whole body is that one instruction and `ret`,
 * and a site whose key points to it holds the instruction itself where it
 * fits (x86-64 call sites; docs/GUIDE.md, "CPU dispatch with
 * one-instruction fragments"). The C body is what a build without the
 * plugin compiles: give it the same meaning.
 */
#if defined(__STATICCALL_PLUGIN__)
#define STATIC_CALL_FRAGMENT(insn) __attribute__((static_call_fragment(insn)))
#else
#define STATIC_CALL_FRAGMENT(insn)
#endif

/* Current form of one call site. */
enum static_call_site_form {
	STATIC_CALL_SITE_TRAMPOLINE = 0, /* calls (or jumps to) its trampoline */
	STATIC_CALL_SITE_DIRECT = 1,     /* direct call to the target */
	STATIC_CALL_SITE_TAIL_JUMP = 2,  /* direct tail jump to the target */
	STATIC_CALL_SITE_NOP = 3,        /* no call at all (NULL target) */
	STATIC_CALL_SITE_UNVERIFIED = 4, /* bytes not recognised: never patched */
	STATIC_CALL_SITE_RETURN_ZERO = 5, /* inline `return 0` (no call) */
	/* Added later (values only appended: docs/ABI.md): */
	STATIC_CALL_SITE_RETURN_CONST = 6, /* inline `return constant` */
	STATIC_CALL_SITE_RETURN_ARG = 7,  /* inline `return argument n` */
	STATIC_CALL_SITE_FRAGMENT = 8,    /* the target's own instruction(s) */
};

struct static_call_site_info {
	void *address;       /* the call/jump instruction */
	void *reaches;       /* where it transfers control now */
	void *trampoline;    /* the key's trampoline in the site's object */
	const char *object;  /* file name of the object holding the site */
	const char *reason;  /* NULL when direct; otherwise why it is not */
	int form;            /* enum static_call_site_form */
	int tail;            /* compiled as a tail jump */
};

int __staticcall_update(void *key, void *target);
int __staticcall_update_null(void *key);
int __staticcall_update_ret0(void *key);
long __staticcall_ret0(void);
int __staticcall_update_const(void *key, unsigned long long value, int size);
int __staticcall_update_ret_arg(void *key, int n);
int static_call_verify(void);
int static_call_resync(void);
int __staticcall_list_sites(const void *key, struct static_call_site_info *buf,
		       size_t n);
const char *static_call_form_name(int form);
int static_call_seal(int how);
int __staticcall_bind_now(const void *key);
int static_call_bind_all(void);

/*
 * static_call_update(name, fn): make every call through key `name` reach
 * `fn`. `fn` must have the key's type: anything else is a compile error.
 * (An initialisation with the diagnostic promoted to an error, rather than
 * __builtin_types_compatible_p, so that functions GCC marks const or pure,
 * like abs, still match their plain pointer type.)
 * Returns 0, or a negative errno with nothing changed.
 *
 * Signal handlers: the runtime blocks a thread's asynchronous signals while
 * that thread holds its lock, so a handler that updates a key never waits
 * for its own thread; a call made from inside the runtime on the same
 * thread (a fault handler, an interposed malloc) returns -EDEADLK, as do
 * every other entry point here (static_call_verify, static_call_resync,
 * static_call_sites) in that case. The runtime is not async-signal-safe:
 * it calls malloc, stdio and dl_iterate_phdr, so a handler that interrupted
 * one of those must not call it (docs/GUIDE.md, "Signals, fork,
 * valgrind").
 */
#if defined(__cplusplus)
/*
 * C++: the same macro, checked by the language's own conversion rules (no
 * pragma tricks): `fn` must convert implicitly to the key's type, so an
 * overloaded function name picks the overload of the key's type and a
 * capture-less lambda converts; anything else is a compile error in
 * __staticcall_cxx::target. A macro still, so that the plugins see `&name`
 * at the call and report a `name` that is no key.
 */
#define static_call_update_key(name, fn)                                      \
	__staticcall_update((void *)&(name),                                  \
			    ::__staticcall_cxx::target<__typeof__(name)>(fn))
#else
#if defined(__clang__)
#define __STATICCALL_TYPE_ERRORS                                              \
	_Pragma("GCC diagnostic error \"-Wincompatible-pointer-types\"")      \
	_Pragma("GCC diagnostic error \"-Wincompatible-function-pointer-types\"") \
	_Pragma("GCC diagnostic error \"-Wint-conversion\"")
#else
#define __STATICCALL_TYPE_ERRORS                                              \
	_Pragma("GCC diagnostic error \"-Wincompatible-pointer-types\"")      \
	_Pragma("GCC diagnostic error \"-Wint-conversion\"")
#endif
#define static_call_update_key(name, fn)                                      \
	__extension__({                                                       \
		_Pragma("GCC diagnostic push") __STATICCALL_TYPE_ERRORS       \
		__typeof__(name) __staticcall_fn = (fn);                      \
		_Pragma("GCC diagnostic pop")                                 \
		__staticcall_update((void *)&(name), (void *)__staticcall_fn); \
	})
#endif
/* <staticcall/kernel.h> redefines these two by static call name; the
 * _key forms take the key variable in either header. */
#define static_call_update(name, fn) static_call_update_key(name, fn)

/*
 * static_call_update_null(name): make the key NULL. Guarded call sites
 * (`if (name) name(args);`, arguments free of side effects) become NOPs;
 * an unguarded call through a NULL key faults, as in plain C.
 */
#define static_call_update_null(name)                                         \
	__staticcall_update_null((void *)&(name))

/*
 * static_call_update_ret0(name): every call through the key returns 0
 * without calling anything (x86-64 call sites hold one `mov $0,%eax`; tail
 * sites and arm64 sites call __staticcall_ret0). Only for
 * keys returning an integer or a pointer (the plugins reject others at
 * compile time); static_call_query then returns __staticcall_ret0.
 */
#define static_call_update_ret0(name)                                         \
	__staticcall_update_ret0((void *)&(name))

/*
 * static_call_update_const(name, value): every call through the key
 * returns `value` (converted to the key's return type) without calling
 * anything where the site allows: on x86-64 a call site holds one
 * `mov $imm32,%eax` (values that zero-extend: any value of a 32-bit or
 * narrower type, 64-bit values below 2^32) or `or $-1,%rax` (-1 in 64
 * bits), padded inside the instruction to the site's five bytes. Other
 * values, tail sites, arm64 and the key's own value (static_call_query,
 * trampolines, plugin-free callers) use a function the runtime generates
 * once per value (`mov $imm,%rax; ret`), in memory that is never writable
 * and executable at once. Only for keys returning an integer or a pointer
 * (checked at compile time: by the plugins in C, by a template in C++,
 * which also converts `value` to the return type; C passes the value as a
 * 64-bit register: give it as the return type holds it, e.g. (long)-1,
 * not 0xffffffff for an int). 0 or -errno:
 * -ENOSPC when the bounded number of generated functions is used up,
 * -ENOSYS from an older serving copy of the runtime.
 *
 * static_call_update_ret_arg(name, n): every call returns its argument n
 * (from 0; n < 6 on x86-64, n < 8 on arm64; the arguments up to n must be
 * integers or pointers, and argument n of the return type's size: checked
 * at compile time; n is an integer constant). x86-64 call sites hold one
 * `mov %<reg>,%rax`
 * padded with prefixes to five bytes; elsewhere a generated function.
 */
#if defined(__cplusplus)
#define static_call_update_const(name, value)                                 \
	::__staticcall_cxx::update_const<__typeof__(name)>((void *)&(name),   \
							   (value))
#define static_call_update_ret_arg(name, n)                                   \
	::__staticcall_cxx::update_ret_arg<__typeof__(name), (n)>(            \
		(void *)&(name))
#else
#define static_call_update_const(name, value)                                 \
	__staticcall_update_const((void *)&(name),                            \
				  (unsigned long long)(value), 0)
/* n must be a constant: the plugins check the arguments up to it only
 * then, and a run-time n past a floating-point argument would name the
 * wrong register. */
#define static_call_update_ret_arg(name, n)                                   \
	__extension__({                                                       \
		_Static_assert(__builtin_constant_p(n),                       \
			       "static_call_update_ret_arg: n must be an "    \
			       "integer constant");                           \
		__staticcall_update_ret_arg((void *)&(name), (n));            \
	})
#endif

/*
 * static_call_verify(): check every registered site against its key's
 * current value; returns the number of stale sites (each reported on
 * stderr), or -EDEADLK when called from inside the runtime. Stale sites come from stores the runtime could not see (code
 * built without the plugin, libc writing into a struct holding keys).
 * STATICCALL_VERIFY=1 runs it at exit. static_call_resync() re-patches
 * every key to its current value; returns 0 or a negative errno.
 */

/*
 * Lazy binding (the default unless STATICCALL_BIND=eager; docs/GUIDE.md):
 * a call site is patched to a direct call when it runs, not when its
 * object loads; until then it calls its trampoline, which reaches the
 * key's current value. static_call_bind(name) patches every site of the
 * key now, static_call_bind_all() every site of every key, in one batch:
 * for programs that want to pay their start-up once (before a sandbox, a
 * latency-critical phase). Return 0 or -errno (-ENOENT: no loaded object
 * uses the key; -EDEADLK: from inside the runtime).
 */
#define static_call_bind(name) __staticcall_bind_now((const void *)&(name))

/* static_call_query(name): the key's current target. */
#define static_call_query_key(name) __atomic_load_n(&(name), __ATOMIC_ACQUIRE)
#define static_call_query(name) static_call_query_key(name)

/*
 * static_call_sites(name, buf, n): the number of registered sites of the
 * key in every loaded object; fills up to n entries of buf. -EDEADLK when
 * called from inside the runtime.
 */
#define static_call_sites(name, buf, n)                                       \
	__staticcall_list_sites((const void *)&(name), (buf), (n))

/*
 * static_call_seal(how): lock the runtime down before a sandbox does
 * (docs/GUIDE.md, "W^X policies and sandboxes"). Returns 0 or -errno.
 *
 *   STATIC_CALL_SEAL_CODE     one batch moves every site to its trampoline
 *                             and every trampoline to its slow path, which
 *                             loads the key on each call; the runtime then
 *                             never writes code again. Updates and plain
 *                             stores write only the key: correct under any
 *                             W^X policy installed afterwards. Promoted
 *                             indirect calls go back on their thunks, as
 *                             compiled, but a promote-plain unit's given-up
 *                             one stays as it is (`call *%reg` in place, its
 *                             equivalent: docs/PATCHING.md).
 *   STATIC_CALL_SEAL_UPDATES  sites keep their current targets; every later
 *                             static_call_update* returns -EPERM and changes
 *                             nothing; a plain store (which C cannot refuse)
 *                             stores the key and reports each site it left
 *                             stale; the text of every registered object is
 *                             sealed with mseal(2) where the kernel has it
 *                             (those objects stay loaded: dlclose leaves
 *                             them mapped). The runtime writes no code again.
 *
 * Both may be given (CODE | UPDATES): code first. Sealing again with a seal
 * already in force is 0; CODE after UPDATES is -EPERM (the code can no
 * longer be written). Objects loaded afterwards stay as compiled (on their
 * trampolines' slow path). -EACCES/-EPERM/-EBUSY: the code could not be
 * written (a W^X policy already in force after patching, a breakpoint):
 * nothing changed. -ENOSYS: the process's registry belongs to an older copy
 * of the runtime. STATICCALL_SEAL=code|updates applies it at start-up.
 */
#define STATIC_CALL_SEAL_CODE 1
#define STATIC_CALL_SEAL_UPDATES 2

#ifdef __cplusplus
} /* extern "C" */
#include <tuple>
#include <type_traits>

/* static_call_update's type check in C++ (see above). */
namespace __staticcall_cxx {
template <typename T> struct is_function_pointer {
	static const bool value = false;
};
template <typename R, typename... A>
struct is_function_pointer<R (*)(A...)> { static const bool value = true; };
template <typename R, typename... A>
struct is_function_pointer<R (*)(A..., ...)> {
	static const bool value = true;
};
#if defined(__cpp_noexcept_function_type)
template <typename R, typename... A>
struct is_function_pointer<R (*)(A...) noexcept> {
	static const bool value = true;
};
template <typename R, typename... A>
struct is_function_pointer<R (*)(A..., ...) noexcept> {
	static const bool value = true;
};
#endif
template <typename T>
struct is_function_pointer<volatile T> : is_function_pointer<T> {};
/* Not deduced: `fn` converts to the key's type K or the call fails. */
template <typename T> struct identity { typedef T type; };
template <typename K>
inline void *target(typename identity<K>::type fn) noexcept
{
	static_assert(is_function_pointer<K>::value,
		      "static_call_update: the key must be a pointer to "
		      "function (declared with STATIC_CALL)");
	return reinterpret_cast<void *>(fn);
}

/* static_call_update_const / _ret_arg in C++: the key's return type and
 * argument types, checked at compile time. */
template <typename K> struct fn_sig {
	static const bool ok = false;
};
template <typename R, typename... A> struct fn_sig<R (*)(A...)> {
	static const bool ok = true;
	typedef R ret;
	static const int nargs = sizeof...(A);
	template <int N> struct arg {
		typedef typename std::tuple_element<N, std::tuple<A...> >::type
			type;
	};
};
template <typename R, typename... A>
struct fn_sig<R (*)(A..., ...)> : fn_sig<R (*)(A...)> {};
#if defined(__cpp_noexcept_function_type)
template <typename R, typename... A>
struct fn_sig<R (*)(A...) noexcept> : fn_sig<R (*)(A...)> {};
#endif
template <typename K> struct fn_sig<volatile K> : fn_sig<K> {};
template <typename T> struct int_or_ptr {
	static const bool value = std::is_integral<T>::value ||
				  std::is_enum<T>::value ||
				  std::is_pointer<T>::value;
};
template <typename R, typename V>
inline unsigned long long widen(V v, std::true_type /* pointer */) noexcept
{
	return (unsigned long long)reinterpret_cast<__UINTPTR_TYPE__>(
		static_cast<R>(v));
}
template <typename R, typename V>
inline unsigned long long widen(V v, std::false_type) noexcept
{
	/* sign- or zero-extended from the return type, as it returns */
	return std::is_signed<R>::value ?
		       (unsigned long long)(long long)static_cast<R>(v) :
		       (unsigned long long)static_cast<R>(v);
}
template <typename K, typename V>
inline int update_const(void *key, V v) noexcept
{
	typedef typename fn_sig<K>::ret R;
	static_assert(fn_sig<K>::ok && int_or_ptr<R>::value,
		      "static_call_update_const: the key must return an "
		      "integer or a pointer");
	return __staticcall_update_const(
		key, widen<R>(v, std::is_pointer<R>()), (int)sizeof(R));
}
template <typename K, int N, int I = 0> struct args_int_upto {
	static const bool value =
		int_or_ptr<typename fn_sig<K>::template arg<I>::type>::value &&
		args_int_upto<K, N, I + 1>::value;
};
template <typename K, int N> struct args_int_upto<K, N, N> {
	static const bool value = int_or_ptr<
		typename fn_sig<K>::template arg<N>::type>::value;
};
template <typename K, int N> inline int update_ret_arg(void *key) noexcept
{
	static_assert(fn_sig<K>::ok && N >= 0 && N < fn_sig<K>::nargs,
		      "static_call_update_ret_arg: no such argument");
	typedef typename fn_sig<K>::ret R;
	typedef typename fn_sig<K>::template arg<N < 0 ? 0 : N>::type AN;
	/* a narrow argument comes as its caller extended it, which the
	 * return type's callers rely on only with the same signedness */
	static_assert(int_or_ptr<R>::value &&
			      args_int_upto<K, (N < 0 ? 0 : N)>::value &&
			      sizeof(AN) == sizeof(R) &&
			      (sizeof(R) >= 4 || std::is_signed<AN>::value ==
							 std::is_signed<R>::value),
		      "static_call_update_ret_arg: the arguments up to n must "
		      "be integers or pointers, argument n of the return "
		      "type's size");
	return __staticcall_update_ret_arg(key, N);
}
} /* namespace __staticcall_cxx */
#endif

/* clang-format on */
#endif
