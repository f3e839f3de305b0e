/* docs/GUIDE.md, "Kernel names": the kernel-style snippet, copied
 * unchanged; run.sh compiles it (keep the two equal). */
#include <stdio.h>
#include <staticcall/kernel.h>

struct packet { int len; };
static int default_filter(struct packet *p) { return p->len > 0; }
static int strict_filter(struct packet *p)  { return p->len > 64; }
static void count(struct packet *p) { (void)p; }

DEFINE_STATIC_KEY_FALSE(tracing_enabled);
DEFINE_STATIC_CALL(packet_filter, default_filter);
DEFINE_STATIC_CALL_NULL(packet_observer, count);

int receive(struct packet *p)
{
	if (static_branch_unlikely(&tracing_enabled))
		printf("packet %d\n", p->len);
	static_call_cond(packet_observer)(p);
	return static_call(packet_filter)(p);
}

void set_strict(int on)
{
	static_call_update(packet_filter, on ? strict_filter : default_filter);
	if (on)
		static_branch_enable(&tracing_enabled);
	else
		static_branch_disable(&tracing_enabled);
}
