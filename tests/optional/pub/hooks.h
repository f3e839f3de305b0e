/* hooks.h - the public header of a library built with the plugin,
 * installed for consumers that may lack staticcall: it marks its hooks
 * through a copy of staticcall_optional.h (optional_header.sh copies it
 * here). */
#ifndef HOOKS_H
#define HOOKS_H
#include <stddef.h>

#include "staticcall_optional.h"

struct allocator {
	void *(*STATIC_CALL alloc)(void *ctx, size_t n);
	void *ctx;
};
extern struct allocator hooks_alloc;
extern int (*STATIC_CALL hooks_log)(int);

/* Calls through the hooks from the library (sites when it is built with
 * the plugin). */
int hooks_call_log(int x);
void *hooks_call_alloc(size_t n);
/* Targets near the library's sites (a site reaches a target in another
 * object through its trampoline, which may read the key itself). */
int hooks_double(int x);
int hooks_triple(int x);
#endif
