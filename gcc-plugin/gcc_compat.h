// gcc_compat.h - the GCC internal headers the plugin needs, in the order GCC
// requires (gcc-plugin.h first: it pulls config.h/system.h; the rest assume it).
#ifndef STATICCALL_GCC_COMPAT_H
#define STATICCALL_GCC_COMPAT_H

// system.h (via gcc-plugin.h) poisons identifiers that the C++ library
// headers use, so it must include them itself.
#define INCLUDE_STRING
#define INCLUDE_MAP
#define INCLUDE_VECTOR
#include "gcc-plugin.h"
#include "tree.h"
// c-common.h must precede diagnostic-core.h (format checking).
#include "c-family/c-common.h"
#include "c-family/c-pragma.h"
#include "memmodel.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-ssa.h"
#include "ssa.h"
#include "tree-ssa-operands.h"
#include "cgraph.h"
#include "tree-cfg.h"
#include "rtl.h"
#include "emit-rtl.h"
#include "rtl-iter.h"
#include "stringpool.h"
#include "attribs.h"
#include "diagnostic.h"
#include "diagnostic-core.h"
#include "output.h"
#include "options.h"
#include "flags.h"
#include "cpplib.h"
#include "langhooks.h"
#include "ggc.h"

#endif
