#ifndef DEMO_IMPL_H
#define DEMO_IMPL_H
#include <stdint.h>
uint64_t mix_portable(uint64_t acc, uint64_t x);
uint64_t mix_fast(uint64_t acc, uint64_t x);
#endif
