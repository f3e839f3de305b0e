/* boot_store.sh: the key as a unit that forgot STATIC_CALL_BOOT sees it. */
#include "staticcall.h"

extern unsigned long (*STATIC_CALL save_fl)(void);

static unsigned long other(void) { return 0x202; }

void store_elsewhere(void) { save_fl = other; }
