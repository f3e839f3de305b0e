/* text_ops_log.c - the pass-through text operations (text_ops_log.h). */
#include "text_ops_log.h"

#include "internal.h"

struct text_ops_cas text_ops_log[TEXT_OPS_LOG_MAX];
int text_ops_ncas, text_ops_refuse_cas, text_ops_refuse_open;
static const struct sc_text_ops *real;

static int w_open(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	if (text_ops_refuse_open)
		return text_ops_refuse_open;
	return real->make_writable(real->ctx, p, l, prot);
}
static int w_restore(void *c, uintptr_t p, size_t l, int prot)
{
	(void)c;
	return real->restore(real->ctx, p, l, prot);
}
static int w_cas(void *c, uint64_t *w, uint64_t e, uint64_t v)
{
	(void)c;
	if (text_ops_refuse_cas)
		return 0;
	if (text_ops_ncas < TEXT_OPS_LOG_MAX)
		text_ops_log[text_ops_ncas++] =
			(struct text_ops_cas){ w, e, v };
	return real->cas(real->ctx, w, e, v);
}
static void w_sync(void *c)
{
	(void)c;
	real->sync_cores(real->ctx);
}
static const struct sc_text_ops watch = { w_open, w_restore, w_cas, w_sync,
					  NULL };

void text_ops_log_on(void)
{
	sc_set_text_ops(NULL);
	real = sc_text_ops();
	sc_set_text_ops(&watch);
	text_ops_ncas = 0;
}

void text_ops_log_off(void)
{
	sc_set_text_ops(NULL);
}
