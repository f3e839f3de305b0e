/* NULL keys: guarded calls `if (k) k(args);` are one site, a NOP while the
 * key is NULL and a direct call otherwise; guards whose arguments could
 * trap keep their test; an unguarded call is never made through NULL. */
#include <stdio.h>
#include <string.h>

#include "livecode.h"
#include "staticcall.h"

static int total;
static void add(int x) { total += x; }
static void sub(int x) { total -= x; }
static int twice(int x) { total += 2 * x; return x; }

void (*STATIC_CALL on_event)(int);
int (*STATIC_CALL on_value)(int);

__attribute__((noinline)) void fire(int x) { if (on_event) on_event(x + 1); }
__attribute__((noinline)) void fire_tail(int x) { if (on_event) on_event(x); }
__attribute__((noinline)) int fire_more(int x)
{
	if (on_value)
		on_value(x * 3); /* result unused */
	return x;
}
__attribute__((noinline)) void fire_ptr(const int *p)
{
	if (on_event)
		on_event(*p); /* *p could trap: keeps its test */
}
__attribute__((noinline)) void fire_neg(int x)
{
	if (!on_event)
		return;
	on_event(-x);
}

/*
 * While NULL, the guarded sites must be NOPs in the live code (the live-code
 * checker verifies each reported form against the code): every site of
 * on_value, which only fire_more calls, guarded and never as a tail call,
 * and on x86-64 the guarded sites of on_event in fire and fire_tail. An
 * arm64 tail site stays on its NULL-safe trampoline (`b` cannot become
 * `ret` while another core runs it), as does fire_ptr's. On x86-64 a
 * site whose 5 bytes do not fit one aligned quadword (Clang places sites
 * anywhere) cannot change form with one atomic write: it stays on its
 * NULL-safe trampoline and says so (docs/PATCHING.md). Diagnostics go to
 * stderr only: the output stays the same without the plugin.
 */
#ifdef __STATICCALL_PLUGIN__
static int kept_whole(const struct static_call_site_info *s)
{
#ifdef __x86_64__
	return ((unsigned long)s->address & 7) > 3 &&
	       s->form == STATIC_CALL_SITE_TRAMPOLINE && s->reason &&
	       strstr(s->reason, "straddles");
#else
	(void)s;
	return 0;
#endif
}
#endif
static void check_nops(const char *what)
{
#ifdef __STATICCALL_PLUGIN__
	struct static_call_site_info buf[16];
	int n = static_call_sites(on_value, buf, 16), nops = 0;
	for (int i = 0; i < n && i < 16; i++) {
		if (buf[i].form == STATIC_CALL_SITE_NOP || kept_whole(&buf[i])) {
			nops++;
			continue;
		}
#ifdef __aarch64__
		if (buf[i].tail && buf[i].form == STATIC_CALL_SITE_TRAMPOLINE)
			continue;
#endif
		fprintf(stderr, "null_guard: %s: on_value site %p has form "
			"%s, not NOP\n", what, buf[i].address,
			static_call_form_name(buf[i].form));
		sc_live_fail(__FILE__, __LINE__, "on_value: a site not a NOP");
	}
	if (nops < 1)
		sc_live_fail(__FILE__, __LINE__, "on_value: no NOP site");
	n = static_call_sites(on_event, buf, 16);
	nops = 0;
	for (int i = 0; i < n && i < 16; i++)
		if (buf[i].form == STATIC_CALL_SITE_NOP || kept_whole(&buf[i]))
			nops++;
		else if (buf[i].form != STATIC_CALL_SITE_TRAMPOLINE)
			sc_live_fail(__FILE__, __LINE__,
				     "on_event: a site neither NOP nor trampoline");
#ifdef __x86_64__
	if (nops < 2)
		sc_live_fail(__FILE__, __LINE__,
			     "on_event: fewer than 2 guarded NOP sites");
#endif
#else
	(void)what;
#endif
}

static void round_(const char *what)
{
	int v = 4;
	fire(1);
	fire_tail(2);
	fire_more(3);
	fire_ptr(&v);
	fire_neg(5);
	printf("%s: total %d\n", what, total);
}

int main(void)
{
	SC_LIVE_KEY(on_event);
	SC_LIVE_KEY(on_value);
#ifdef __STATICCALL_PLUGIN__
	/* every site in its key's form, as eager binding leaves it at load
	 * (lazy binding would leave the sites that never ran on their
	 * trampolines) */
	if (static_call_bind_all() != 0)
		return 1;
#endif
	SC_CHECK();
	check_nops("initially");
	round_("initially NULL");
	SC_UPDATE(on_event, add);
	SC_UPDATE(on_value, twice);
	round_("add, twice");
	SC_UPDATE(on_event, sub);
	round_("sub");
	if (static_call_update_null(on_event) != 0 ||
	    static_call_update_null(on_value) != 0)
		return 1;
	SC_CHECK();
	check_nops("after update_null");
	round_("NULL again");
	if (static_call_query(on_event) != NULL)
		return 1;
	SC_UPDATE(on_event, add);
	round_("add again");
	return sc_live_exit();
}
