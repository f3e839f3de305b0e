/*
 * Promotable indirect-call sites (docs/GUIDE.md "Promoted indirect
 * calls", docs/ABI.md "Promotable sites"): each record of
 * __staticcall_promote, its site (function+offset), register and thunk.
 * With --pid, each site's live state is read from the process's code, as
 * the runtime left it (docs/PATCHING.md "Promoted sites"): on its thunk
 * (learning when the thunk samples), on the thunk's retpoline (given up:
 * megamorphic or out of reach; a promote-plain unit's given-up site on a
 * `jmp *%reg` stub of its own, or `call *%reg` in place), or on a stub, whose compare chain names
 * the targets and whose counters (STATICCALL_PROMOTE_COUNT) hold the hits
 * and misses. What the code cannot tell (far or megamorphic, sealed or
 * off) the runtime's view says (staticcall_abi.h, sc_abi_promote_view:
 * each site's state); samples and demotions are the in-process API's
 * (static_call_promote_sites). x86-64 and arm64: GCC's `bl` to the
 * object's thunks, Clang's anchored `bl` to LLVM's own SLS thunks
 * (SC_PROMOTE_SLS: the register read from the thunk; live, such a site
 * is on LLVM's thunk as compiled, given up or sealed, which the runtime's
 * view tells apart, on the runtime's sampling entry, or on a stub).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "staticcall_abi.h"
#include "staticcall/promote.h"

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

static int32_t rd32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static int is_a64(const struct table *t)
{
	return t->e->eh->e_machine == EM_AARCH64;
}

static const char *reg_name(const struct table *t, int reg)
{
	static char a64[32][4];
	if (!is_a64(t))
		return reg >= 0 && reg < 16 ? reg_names[reg] : "?";
	if (reg < 0 || reg > 31)
		return "?";
	snprintf(a64[reg], sizeof a64[reg], "x%d", reg);
	return a64[reg];
}

/* The instruction of a site as source: `call *%rax`, `blr x8`. */
static const char *call_text(const struct table *t,
			     const struct promote_site *p, char *buf, size_t n)
{
	if (is_a64(t))
		snprintf(buf, n, "blr %s", reg_name(t, p->reg));
	else
		snprintf(buf, n, "%s *%%%s%s", p->tail ? "jmp" : "call",
			 reg_name(t, p->reg), p->jump ? " (jump)" : "");
	return buf;
}

/* arm64: the destination of the `bl` (tail: `b`) at b, address at. */
static int a64_branch(const uint8_t *b, uint64_t at, int tail, uint64_t *dest)
{
	uint32_t w = (uint32_t)rd32(b);
	if ((w & 0xfc000000u) != (tail ? 0x14000000u : 0x94000000u))
		return 0;
	*dest = at + (uint64_t)(int64_t)((int32_t)(w << 6) >> 6) * 4;
	return 1;
}

/* arm64: the register of LLVM's SLS thunk at b ([bti c;] mov x16, xN;
 * br x16; dsb sy; isb), -1 if it is not one (as the runtime checks). */
static int a64_sls_reg(const uint8_t *b, size_t avail)
{
	if (avail >= 4 && (uint32_t)rd32(b) == 0xd503245fu)
		b += 4, avail -= 4;
	if (avail < 16)
		return -1;
	uint32_t mov = (uint32_t)rd32(b);
	int reg = (int)(mov >> 16 & 31);
	if ((mov & 0xffe0ffffu) != 0xaa0003f0u || reg == 16 || reg == 17 ||
	    reg > 29 || (uint32_t)rd32(b + 4) != 0xd61f0200u ||
	    (uint32_t)rd32(b + 8) != 0xd5033f9fu ||
	    (uint32_t)rd32(b + 12) != 0xd5033fdfu)
		return -1;
	return reg;
}

static void read_a64_site(const struct elf *e, struct promote_site *p,
			  uint32_t flags)
{
	size_t avail;
	const uint8_t *b = elf_bytes_at(e, p->site, &avail);
	p->reg = (flags & SC_PROMOTE_REG_MASK) |
		 (flags & SC_PROMOTE_REG_HIGH ? 16 : 0);
	p->tail = 0;
	p->compiled = "unexpected";
	if (b && (flags & SC_PROMOTE_ANCHOR)) {
		const char *why = NULL;
		const uint8_t *at = e->arch->first_transfer(b, b + avail, &why);
		if (at) {
			p->site += (uint64_t)(at - b);
			avail -= (size_t)(at - b);
			b = at;
		} else {
			b = NULL;
		}
	}
	p->func = sym_at(e, p->site, 1, 0);
	uint64_t thunk;
	if (!b || avail < 4 || !a64_branch(b, p->site, 0, &thunk))
		return;
	if (flags & SC_PROMOTE_SLS) {
		const uint8_t *tb = elf_bytes_at(e, thunk, &avail);
		int reg = tb ? a64_sls_reg(tb, avail) : -1;
		if (reg < 0)
			return;
		p->reg = reg;
		p->sls = 1;
		p->compiled = "sls-thunk";
	} else {
		p->compiled = "thunk";
	}
	p->thunk = thunk;
}

void read_promote_sites(struct table *t)
{
	const struct elf *e = t->e;
	if (!e->promote ||
	    (e->eh->e_machine != EM_X86_64 && e->eh->e_machine != EM_AARCH64))
		return;
	size_t n = e->promote->sh_size / sizeof(struct sc_abi_promote);
	t->promote = xcalloc(n, sizeof *t->promote);
	for (size_t i = 0; i < n; i++) {
		uint64_t r =
			e->promote->sh_addr + i * sizeof(struct sc_abi_promote);
		size_t avail;
		const uint8_t *rec = elf_bytes_at(e, r, &avail);
		if (!rec || avail < sizeof(struct sc_abi_promote))
			continue;
		struct promote_site *p = &t->promote[t->npromote++];
		uint32_t flags;
		memcpy(&flags, rec + 4, 4);
		p->site = r + rd32(rec);
		if (e->eh->e_machine == EM_AARCH64) {
			read_a64_site(e, p, flags);
			continue;
		}
		p->reg = flags & SC_PROMOTE_REG_MASK;
		p->tail = !!(flags & SC_PROMOTE_TAIL);
		p->jump = !!(flags & SC_PROMOTE_JUMP);
		const uint8_t *b = elf_bytes_at(e, p->site, &avail);
		if (b && (flags & SC_PROMOTE_ANCHOR)) {
			/* Clang: the site is the first control transfer
			 * after the anchor, found as the runtime does. */
			const char *why = NULL;
			const uint8_t *at =
				flags & SC_PROMOTE_TAIL ?
					NULL :
					e->arch->first_transfer(b, b + avail,
								&why);
			if (at) {
				p->site += (uint64_t)(at - b);
				avail -= (size_t)(at - b);
				b = at;
				p->tail = b[0] == 0xe9;
			} else {
				b = NULL;
			}
		}
		/* an inline site's slow path: `call thunk; jmp back` to
		 * the end of the inline site (docs/ABI.md) */
		if (b && (flags & SC_PROMOTE_INLINE) && avail >= 10 &&
		    b[5] == 0xe9)
			p->inline_seq = p->site + 10 + rd32(b + 6) -
					SC_X86_INLINE_LEN + SC_X86_INLINE_SEQ;
		p->func = sym_at(e, p->site, 1, 0);
		if (b && avail >= 5 && b[0] == (p->tail ? 0xe9 : 0xe8)) {
			p->thunk = p->site + 5 + rd32(b + 1);
			p->compiled = "thunk";
		} else {
			p->compiled = "unexpected";
		}
	}
}

/* The length of the counting pair at b (avail bytes) past its cmp, or 0:
 * `jne; testb $1, hits+3(%rip); jnz target; incq hits(%rip); jmp
 * target` (34 bytes: the counter stops at STATIC_CALL_PROMOTE_HITS_MAX),
 * or `jne; incq; jmp` (21: a runtime before counters stopped). */
static size_t counted_pair(const uint8_t *b, size_t avail)
{
	if (avail >= 34 && b[7] == 0x75 && b[8] == 0x19 && b[9] == 0xf6 &&
	    b[10] == 0x05 && b[16] == 0x0f && b[17] == 0x85 &&
	    b[22] == 0x48 && b[23] == 0xff && b[24] == 0x05 && b[29] == 0xe9)
		return 34;
	if (b[7] == 0x75 && b[8] == 0x0c && b[9] == 0x48 && b[10] == 0xff &&
	    b[11] == 0x05 && b[16] == 0xe9)
		return 21;
	return 0;
}

/* A stub of the runtime's (promote_x86_64.c) for register reg at `at`,
 * its bytes in b[0..n): targets, and counters when it counts. */
static int decode_stub(struct promote_site *p, uint64_t at, const uint8_t *b,
		       size_t n, int (*read)(uint64_t, void *, size_t))
{
	size_t o = 0, len;
	uint64_t miss_counter = 0;
	p->ntargets = p->counted = 0;
	while (p->ntargets < PROMOTE_MAX_TARGETS && o + 21 <= n &&
	       (b[o] & 0xfb) == 0x48 && b[o + 1] == 0x3b &&
	       (b[o + 2] & 0xc7) == 0x05 &&
	       ((b[o + 2] >> 3 & 7) | (b[o] & 4 ? 8 : 0)) == p->reg) {
		int k = p->ntargets;
		if (b[o + 7] == 0x0f && b[o + 8] == 0x84) {
			p->targets[k] = at + o + 13 + rd32(b + o + 9);
			o += 13;
		} else if ((len = counted_pair(b + o, n - o)) != 0) {
			/* `incq hits(%rip); jmp target` end either form */
			const size_t inc = o + len - 12;
			uint64_t c = at + inc + 7 + rd32(b + inc + 3);
			if (read(c, &p->hits[k], 8))
				return 0;
			p->targets[k] = at + o + len + rd32(b + o + len - 4);
			p->counted = 1;
			o += len;
		} else {
			return 0;
		}
		p->ntargets++;
	}
	if (!p->ntargets)
		return 0;
	if (p->counted) {
		if (o + 12 > n || b[o] != 0x48 || b[o + 1] != 0xff ||
		    b[o + 2] != 0x05)
			return 0;
		miss_counter = at + o + 7 + rd32(b + o + 3);
		o += 7;
		if (read(miss_counter, &p->misses, 8))
			return 0;
	}
	return o + 5 <= n && b[o] == 0xe9;
}

/* A given-up site's own stub in a promote-plain unit
 * (promote_x86_64.c): `jmp *%reg` (notrack or not), then int3. */
static int jump_stub(const uint8_t *b, size_t n, int reg)
{
	if (n && b[0] == 0x3e)
		b++, n--;
	size_t o = reg >= 8;
	if (n < o + 3 || (o && b[0] != 0x41))
		return 0;
	return b[o] == 0xff && b[o + 1] == (0xe0 | (reg & 7)) &&
	       b[o + 2] == 0xcc;
}

/* A promote-plain unit's site in place (promote_x86_64.c,
 * sc_parch_in_place_encode): a NOP, then `call *%reg` (tail: `jmp
 * *%reg`), notrack or not, ending at the site's fifth byte. */
static int in_place(const uint8_t *b, int reg, int tail)
{
	size_t o = b[0] == 0x90				     ? 1 :
		   b[0] == 0x66 && b[1] == 0x90		     ? 2 :
		   b[0] == 0x0f && b[1] == 0x1f && b[2] == 0 ? 3 :
							       0;
	if (!o)
		return 0;
	if (b[o] == 0x3e)
		o++;
	if (reg >= 8 && b[o++] != 0x41)
		return 0;
	return o == 3 && b[3] == 0xff &&
	       b[4] == ((tail ? 0xe0 : 0xd0) | (reg & 7));
}

/* arm64: the counter that `adrp x16; ldr x17, [x16, lo]; add x17, x17,
 * #1; str x17, [x16, lo]` at b (address at) counts into, or 0; `upto`:
 * a `tbnz x17, #24` between the ldr and the add (skipped here). */
static uint64_t a64_counter(const uint8_t *b, uint64_t at, int upto)
{
	uint32_t adrp = (uint32_t)rd32(b), ldr = (uint32_t)rd32(b + 4);
	const uint8_t *add = b + (upto ? 12 : 8);
	if ((adrp & 0x9f00001fu) != 0x90000010u ||
	    (ldr & 0xffc003ffu) != 0xf9400211u ||
	    (uint32_t)rd32(add) != 0x91000631u ||
	    (uint32_t)rd32(add + 4) != (0xf9000211u | (ldr & 0x3ffc00u)))
		return 0;
	int64_t page = (int64_t)((adrp >> 29 & 3) | (adrp >> 5 & 0x7ffff) << 2);
	if (page & (1ll << 20))
		page -= 1ll << 21;
	return (at & ~(uint64_t)0xfff) + (uint64_t)(page << 12) +
	       (ldr >> 10 & 0xfff) * 8;
}

/* An arm64 stub of the runtime's (promote_aarch64.c) for register reg at
 * `at`, its bytes in b[0..n): `ldr x16, lit; cmp xN, x16; b.ne .+8; b
 * target` per target, then `b miss`; or, counting, `b.ne .+28` over the
 * target's counter (adrp, ldr, tbnz, add, str) before its `b`, and the
 * misses' counter before `b miss`. */
static int decode_a64_stub(struct promote_site *p, uint64_t at,
			   const uint8_t *b, size_t n,
			   int (*read)(uint64_t, void *, size_t))
{
	size_t o = 0;
	p->ntargets = p->counted = 0;
	while (p->ntargets < PROMOTE_MAX_TARGETS && o + 16 <= n &&
	       ((uint32_t)rd32(b + o) & 0xff00001fu) == 0x58000010u &&
	       (uint32_t)rd32(b + o + 4) ==
		       (0xeb10001fu | (uint32_t)p->reg << 5)) {
		int k = p->ntargets;
		uint32_t bne = (uint32_t)rd32(b + o + 8);
		if (bne == 0x54000041u &&
		    a64_branch(b + o + 12, at + o + 12, 1, &p->targets[k])) {
			o += 16;
		} else if (bne == 0x540000e1u || bne == 0x540000c1u) {
			/* counting: `b.ne .+28` with `tbnz x17, #24` after
			 * the ldr (the counter stops at
			 * STATIC_CALL_PROMOTE_HITS_MAX), or `.+24` without
			 * (a runtime before counters stopped) */
			const int upto = bne == 0x540000e1u;
			const size_t len = upto ? 36 : 32;
			uint64_t c = 0;
			if (o + len > n ||
			    (upto && (uint32_t)rd32(b + o + 20) != 0x37c00071u) ||
			    !a64_branch(b + o + len - 4, at + o + len - 4, 1,
					&p->targets[k]) ||
			    !(c = a64_counter(b + o + 12, at + o + 12, upto)) ||
			    read(c, &p->hits[k], 8))
				return 0;
			p->counted = 1;
			o += len;
		} else {
			return 0;
		}
		p->ntargets++;
	}
	if (p->counted) {
		uint64_t c = o + 16 <= n ? a64_counter(b + o, at + o, 0) : 0;
		if (!c || read(c, &p->misses, 8))
			return 0;
		o += 16;
	}
	uint64_t miss;
	return p->ntargets && o + 4 <= n && a64_branch(b + o, at + o, 1, &miss);
}

/* p's site calls the stub at `at`, decoded (its targets in p) or not. */
static void on_stub(struct promote_site *p, uint64_t at, int decoded,
		    char *(*describe)(uint64_t addr))
{
	if (!decoded) {
		p->live = "unexpected";
		p->ntargets = 0;
		return;
	}
	p->live = "promoted";
	p->stub = at;
	for (int k = 0; k < p->ntargets; k++)
		p->target_sym[k] = describe(p->targets[k]);
}

static const char *runtime_says(int given_up, int state, int mode);

/* A site on its thunk, which samples: learning, unless its object's
 * code refused to be written (then it stays there: "unwritable") or the
 * runtime refused its record (its samples name no site: "rejected"). */
static const char *sampled_says(int state)
{
	return state == STATIC_CALL_PROMOTE_UNWRITABLE ? "unwritable" :
	       state == STATIC_CALL_PROMOTE_REJECTED   ? "rejected" :
							 "learning";
}

/* A Clang site on LLVM's SLS thunk: as compiled, sealed and given up look
 * alike there; what the runtime's view says tells them apart. */
static const char *sls_thunk_says(int state, int mode)
{
	return runtime_says(state == STATIC_CALL_PROMOTE_FAR ||
				    state == STATIC_CALL_PROMOTE_NO_ROOM ||
				    state == STATIC_CALL_PROMOTE_MEGAMORPHIC,
			    state, mode);
}

static void live_a64_site(struct table *t, struct promote_site *p,
			  int (*read)(uint64_t addr, void *buf, size_t n),
			  char *(*describe)(uint64_t addr),
			  int (*state)(uint64_t insn, int *mode))
{
	uint8_t b[768]; /* a 16-target counting stub: 736 bytes */
	uint64_t dest, slot, thunk = p->thunk + t->base;
	if (read(p->site + t->base, b, 4) ||
	    !a64_branch(b, p->site + t->base, 0, &dest)) {
		p->live = "unexpected";
		return;
	}
	int mode, known = state(p->site + t->base, &mode);
	if (dest == thunk && p->sls) {
		p->live = sls_thunk_says(known, mode);
		return;
	}
	if (dest == thunk) {
		p->live = read(thunk, &slot, 8) ? "unexpected" :
			  slot == SC_A64_THUNK_SLOT_SAMPLE ?
						  sampled_says(known) :
						  runtime_says(0, known, mode);
		return;
	}
	if (!p->sls && dest == thunk + SC_A64_THUNK_BODY) {
		p->live = runtime_says(1, known, mode);
		return;
	}
	size_t n = sizeof b;
	while (n && read(dest, b, n)) /* a stub near a page's end */
		n /= 2;
	if (p->sls && n >= 4 && (uint32_t)rd32(b) == 0xd53bd050u) {
		p->live = "learning"; /* mrs x16, tpidr_el0: the sampling
					 entry */
		return;
	}
	on_stub(p, dest, decode_a64_stub(p, dest, b, n, read), describe);
}

/* A site on its thunk's plain slot, or on the retpoline: what the
 * runtime knows of it (its view; mode -1: no runtime to ask). */
static const char *runtime_says(int given_up, int state, int mode)
{
	if (given_up)
		return state == STATIC_CALL_PROMOTE_FAR	    ? "far" :
		       state == STATIC_CALL_PROMOTE_NO_ROOM ? "no-room" :
		       state == STATIC_CALL_PROMOTE_MEGAMORPHIC ?
							  "megamorphic" :
		       state == STATIC_CALL_PROMOTE_PLAIN ? "plain" :
							  "given-up";
	if (state == STATIC_CALL_PROMOTE_UNWRITABLE)
		return "unwritable";
	/* (the runtime refused its record: never written, never sampled) */
	if (state == STATIC_CALL_PROMOTE_REJECTED)
		return "rejected";
	if (state == STATIC_CALL_PROMOTE_SEALED ||
	    (state < 0 && mode == SC_PROMOTE_VIEW_SEALED))
		return "sealed";
	if (state < 0 && mode == SC_PROMOTE_VIEW_OFF)
		return "off";
	return "thunk";
}

void live_promote_sites(struct table *t,
			int (*read)(uint64_t addr, void *buf, size_t n),
			char *(*describe)(uint64_t addr),
			int (*state)(uint64_t insn, int *mode))
{
	for (size_t i = 0; i < t->npromote; i++) {
		struct promote_site *p = &t->promote[i];
		uint8_t b[768]; /* a 16-target counting stub: 688 bytes */
		uint64_t slot, thunk = p->thunk + t->base;
		if (!p->thunk) {
			p->live = "unexpected";
			continue;
		}
		if (is_a64(t)) {
			live_a64_site(t, p, read, describe, state);
			continue;
		}
		if (read(p->site + t->base, b, 5)) {
			p->live = "unexpected";
			continue;
		}
		if (p->inline_seq) {
			uint8_t a[8];
			uint64_t seq = p->inline_seq + t->base;
			if (!read(seq, a, 8) &&
			    !memcmp(a, "\x3e\x4c\x8d\x1d", 4) && rd32(a + 4)) {
				p->inline_target = seq + 8 + rd32(a + 4);
				p->inline_sym = describe(p->inline_target);
			}
			/* as compiled, or given up on: `jmp slow` where
			 * the descriptor store goes (promote_x86_64.c) */
			uint64_t head = seq - SC_X86_INLINE_SEQ;
			int got = !read(head, a, 5);
			p->inline_bypassed =
				got && a[0] == 0xe9 &&
				head + 5 + rd32(a + 1) == p->site + t->base;
			p->inline_unexpected =
				!p->inline_bypassed &&
				(!got || memcmp(a, "\x64\x48\xc7\x04\x25", 5));
		}
		int mode, known = state(p->site + t->base, &mode);
		if (in_place(b, p->reg, p->tail)) { /* promote-plain */
			p->live = runtime_says(1, known, mode);
			p->in_place = 1;
			continue;
		}
		if (b[0] != (p->tail ? 0xe9 : 0xe8)) {
			p->live = "unexpected";
			continue;
		}
		uint64_t dest = p->site + t->base + 5 + rd32(b + 1);
		if (dest == thunk) {
			p->live = read(thunk, &slot, 8) ?
					  "unexpected" :
				  slot == SC_X86_THUNK_SLOT_SAMPLE ?
					  sampled_says(known) :
					  runtime_says(0, known, mode);
			continue;
		}
		if (dest == thunk + SC_X86_THUNK_RETPOLINE) {
			p->live = runtime_says(1, known, mode);
			continue;
		}
		/* a stub near a page's end (stubs never cross one): up to
		 * it, as a 4 KiB page or a part of a larger one */
		size_t n = sizeof b, left = 4096 - (dest & 4095);
		if (read(dest, b, n)) {
			n = left < n ? left : n / 2;
			while (n && read(dest, b, n))
				n /= 2;
		}
		if (n >= 8 && b[0] == 0x64 && b[1] == 0xff && b[2] == 0x0c &&
		    b[3] == 0x25) {
			/* a tail site's slow stub, or the sampling entry of
			 * an inline site's slow path learning again */
			p->live = "learning";
			continue;
		}
		if (jump_stub(b, n, p->reg)) { /* promote-plain, given up */
			p->live = runtime_says(1, known, mode);
			continue;
		}
		on_stub(p, dest, decode_stub(p, dest, b, n, read), describe);
	}
}

static uint64_t hits_of(const struct promote_site *p)
{
	uint64_t h = 0;
	for (int k = 0; k < p->ntargets; k++)
		h += p->hits[k];
	return h;
}

static void json_text(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			putchar(*s);
	putchar('"');
}

static void print_json(const struct table *t, int live)
{
	printf(",\n     \"promote_sites\": [");
	for (size_t i = 0; i < t->npromote; i++) {
		const struct promote_site *p = &t->promote[i];
		printf("%s\n      {\"address\": \"0x%" PRIx64
		       "\", \"function\": ",
		       i ? "," : "", p->site + t->base);
		json_text(p->func ? p->func->name : NULL);
		printf(", \"offset\": %" PRIu64 ", \"register\": \"%s\", "
		       "\"tail\": %s, \"jump\": %s, \"compiled\": \"%s\"",
		       p->func ? p->site - p->func->addr : 0,
		       reg_name(t, p->reg), p->tail && !p->jump ? "true" : "false",
		       p->jump ? "true" : "false", p->compiled);
		if (p->thunk)
			printf(", \"thunk\": \"0x%" PRIx64 "\"",
			       p->thunk + t->base);
		if (p->inline_seq)
			printf(", \"inline_site\": true");
		if (live && p->inline_bypassed)
			printf(", \"inline_bypassed\": true");
		if (live && p->inline_unexpected)
			printf(", \"inline_unexpected\": true");
		if (live && p->inline_seq) {
			printf(", \"inline\": ");
			if (p->inline_target) {
				printf("{\"address\": \"0x%" PRIx64
				       "\", \"symbol\": ",
				       p->inline_target);
				json_text(p->inline_sym);
				printf("}");
			} else {
				printf("null");
			}
		}
		if (live) {
			printf(", \"live\": \"%s\"", p->live);
			if (p->in_place)
				printf(", \"in_place\": true");
			if (p->stub)
				printf(", \"stub\": \"0x%" PRIx64 "\"",
				       p->stub);
		}
		if (live && p->ntargets) {
			printf(", \"targets\": [");
			for (int k = 0; k < p->ntargets; k++) {
				printf("%s{\"address\": \"0x%" PRIx64
				       "\", \"symbol\": ",
				       k ? ", " : "", p->targets[k]);
				json_text(p->target_sym[k]);
				if (p->counted)
					printf(", \"hits\": %" PRIu64,
					       p->hits[k]);
				printf("}");
			}
			printf("], \"counted\": %s",
			       p->counted ? "true" : "false");
			if (p->counted) {
				uint64_t h = hits_of(p);
				printf(", \"hits\": %" PRIu64
				       ", \"misses\": %" PRIu64
				       ", \"hit_rate\": %.4f",
				       h, p->misses,
				       h + p->misses ?
					       (double)h / (h + p->misses) :
					       0.0);
			}
		}
		printf("}");
	}
	printf("]");
}

void print_promote_sites(const struct table *t, int live)
{
	if (opt_json) {
		print_json(t, live);
		return;
	}
	if (!t->npromote)
		return;
	printf("  %zu promotable site%s\n", t->npromote,
	       t->npromote == 1 ? "" : "s");
	for (size_t i = 0; i < t->npromote; i++) {
		const struct promote_site *p = &t->promote[i];
		char fo[256];
		if (p->func)
			snprintf(fo, sizeof fo, "%s+0x%" PRIx64, p->func->name,
				 p->site - p->func->addr);
		else
			snprintf(fo, sizeof fo, "?");
		char insn[32];
		printf("    0x%-14" PRIx64 " %-28s %s, %s", p->site + t->base,
		       fo, call_text(t, p, insn, sizeof insn), p->compiled);
		if (live)
			printf("; live: %s%s", p->live,
			       p->in_place ? ", in place" : "");
		if (live && p->inline_seq)
			printf("; inline: %s",
			       p->inline_bypassed   ? "bypassed" :
			       p->inline_unexpected ? "unexpected" :
			       !p->inline_target  ? "closed" :
			       p->inline_sym	 ? p->inline_sym :
						   "?");
		else if (p->inline_seq)
			printf("; inline site");
		if (p->stub)
			printf(", stub 0x%" PRIx64, p->stub);
		printf("\n");
		for (int k = 0; live && k < p->ntargets; k++) {
			printf("        -> 0x%" PRIx64 " %s", p->targets[k],
			       p->target_sym[k] ? p->target_sym[k] : "");
			if (p->counted)
				printf(": %" PRIu64 " hits", p->hits[k]);
			printf("\n");
		}
		if (live && p->counted) {
			uint64_t h = hits_of(p);
			printf("        misses %" PRIu64 ", hit rate %.1f%%\n",
			       p->misses,
			       h + p->misses ? 100.0 * h / (h + p->misses) :
					       0.0);
		}
	}
}
