/*
 * staticcall_optional.h - STATIC_CALL in a header you install, for
 * consumers that may lack staticcall (docs/GUIDE.md, "Hooks in installed
 * headers"). Copy this file next to your public header and include it
 * from there instead of <staticcall.h>:
 *
 *   #include "staticcall_optional.h"
 *   struct allocator {
 *           void *(*STATIC_CALL alloc)(void *ctx, size_t n);
 *           void *ctx;
 *   };
 *
 * Where <staticcall.h> is on the include path, this is <staticcall.h>.
 * Elsewhere STATIC_CALL is empty (plain function pointers, plain indirect
 * calls) and the update macros keep their meaning: they call the runtime
 * when the program has one (a weak reference: a library built with the
 * plugin brought it in), else they store the pointer. Plain stores
 * (`hook = f;`) in a unit built without the plugin are never routed: the
 * plugin-built sites keep their old target until static_call_resync()
 * (docs/FIELD_KEYS.md, "Not covered").
 */
#ifndef STATICCALL_OPTIONAL_H
#define STATICCALL_OPTIONAL_H
/* A public header, aligned by hand for its readers: */
/* clang-format off */

#if defined(__has_include)
#if __has_include(<staticcall.h>)
#include <staticcall.h>
#endif
#endif

#ifndef STATICCALL_H /* no staticcall headers: plain pointers */
#ifdef __cplusplus
extern "C" {
#endif

#define STATIC_CALL
#define STATIC_CALL_SEAL_CODE 1
#define STATIC_CALL_SEAL_UPDATES 2

/* The runtime's entry points, when the process has them. */
int __staticcall_update(void *key, void *target) __attribute__((weak));
int __staticcall_update_null(void *key) __attribute__((weak));
int __staticcall_update_ret0(void *key) __attribute__((weak));
int static_call_verify(void) __attribute__((weak));
int static_call_resync(void) __attribute__((weak));
int static_call_seal(int how) __attribute__((weak));

/* What static_call_update_ret0 stores without a runtime: a function
 * returning 0 in the whole return register, as the runtime's. */
static inline long __staticcall_optional_ret0(void)
{
	return 0;
}

#define static_call_update(name, fn)                                          \
	__extension__({                                                       \
		__typeof__(name) __staticcall_fn = (fn);                      \
		__staticcall_update                                           \
			? __staticcall_update((void *)&(name),                \
					      (void *)__staticcall_fn)        \
			: (__atomic_store_n(&(name), __staticcall_fn,         \
					    __ATOMIC_RELEASE),                \
			   0);                                                \
	})
#define static_call_update_null(name)                                         \
	(__staticcall_update_null                                             \
		 ? __staticcall_update_null((void *)&(name))                  \
		 : (__atomic_store_n(&(name), (__typeof__(name))0,            \
				     __ATOMIC_RELEASE),                       \
		    0))
#define static_call_update_ret0(name)                                         \
	(__staticcall_update_ret0                                             \
		 ? __staticcall_update_ret0((void *)&(name))                  \
		 : (__atomic_store_n(&(name),                                 \
				     (__typeof__(name))(void (*)(void))       \
					     __staticcall_optional_ret0,      \
				     __ATOMIC_RELEASE),                       \
		    0))
#define static_call_query(name) __atomic_load_n(&(name), __ATOMIC_ACQUIRE)
#define static_call_verify() (static_call_verify ? static_call_verify() : 0)
#define static_call_resync() (static_call_resync ? static_call_resync() : 0)
#define static_call_seal(how) (static_call_seal ? static_call_seal(how) : 0)

#ifdef __cplusplus
}
#endif
#endif /* !STATICCALL_H */

/* clang-format on */
#endif
