/*
 * text_ops_log.h - a pass-through test double of the text writer's
 * operations (runtime/text_writer.c, struct sc_text_ops): every call goes
 * to the real operations, each CAS is logged (the first TEXT_OPS_LOG_MAX)
 * and can be refused, and so can making a page writable. Used by the unit tests that check which words a
 * change writes (test_promote.c, test_static_keys.c).
 */
#ifndef TEXT_OPS_LOG_H
#define TEXT_OPS_LOG_H

#include <stdint.h>

#define TEXT_OPS_LOG_MAX 64
struct text_ops_cas {
	uint64_t *word;
	uint64_t expect, value;
};
extern struct text_ops_cas text_ops_log[TEXT_OPS_LOG_MAX];
extern int text_ops_ncas;	/* CAS calls logged since text_ops_log_on */
extern int text_ops_refuse_cas; /* nonzero: every CAS fails, unlogged */
/* nonzero (-errno): making a page writable fails so, as mprotect does on
 * mseal'd code (-EPERM) or under an LSM's execmod rule (-EACCES) */
extern int text_ops_refuse_open;

/* Install the double (the log emptied); text_ops_log_off: the real ones. */
void text_ops_log_on(void);
void text_ops_log_off(void);

#endif
