/*
 * bind_corrupt_lib.c - with bind_corrupt_lib.S, a shared object compiled
 * with the plugin (lazy binding) whose table also holds one record that
 * does not match its code (bind_corrupt.sh).
 */
#include "staticcall.h"

static long add1(long x) { return x + 1; }
long (*STATIC_CALL bc_key)(long) = add1;

__attribute__((noinline)) long bc_good(long x) { return bc_key(x) * 2; }
