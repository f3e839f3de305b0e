// fragment.cc - the rules a one-instruction fragment's text obeys, and its
// assembly (fragment.h). The check is deliberately a short list: each
// instruction here writes only its last (x86-64) / first (AArch64)
// operand and the flags, reads only its other operands, touches no memory
// and transfers no control, so placed where the call was it does what the
// call did (the flags are call-clobbered).
#include "fragment.h"

#include <ctype.h>
#include <string.h>

#include <vector>

#include "staticcall_abi.h"

namespace {

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
	return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The mnemonic and the comma-separated operands of TEXT (no parenthesis
// or bracket handling: a memory operand is refused before this matters).
void split(const std::string &text, std::string *mnem,
	   std::vector<std::string> *ops)
{
	size_t sp = text.find_first_of(" \t");
	*mnem = text.substr(0, sp);
	if (sp == std::string::npos)
		return;
	std::string rest = text.substr(sp), cur;
	for (char c : rest) {
		if (c == ',') {
			ops->push_back(trim(cur));
			cur.clear();
		} else {
			cur += c;
		}
	}
	ops->push_back(trim(cur));
}

struct shape {
	const char *name;
	unsigned min_ops, max_ops;
};

// x86-64: write-only destination (the last operand), sources read. AT&T
// size suffixes (popcntq) are accepted too.
const shape x86_insns[] = {
	{ "popcnt", 2, 2 }, { "lzcnt", 2, 2 },	{ "tzcnt", 2, 2 },
	{ "mov", 2, 2 },    { "movzb", 2, 2 },	{ "movzw", 2, 2 },
	{ "movsb", 2, 2 },  { "movsw", 2, 2 },	{ "movslq", 2, 2 },
	{ "movzx", 2, 2 },  { "movsx", 2, 2 },	{ "movsxd", 2, 2 },
	{ "blsr", 2, 2 },   { "blsi", 2, 2 },	{ "blsmsk", 2, 2 },
	{ "andn", 3, 3 },   { "bzhi", 3, 3 },	{ "bextr", 3, 3 },
	{ "pdep", 3, 3 },   { "pext", 3, 3 },	{ "shlx", 3, 3 },
	{ "shrx", 3, 3 },   { "sarx", 3, 3 },	{ "rorx", 3, 3 },
	{ "imul", 3, 3 },   { "rdpid", 1, 1 },	{ "rdrand", 1, 1 },
	{ "rdseed", 1, 1 },
};

// x86-64 instructions that read their destination too: no argument
// arrives in %rax, so they need a second instruction (a `mov` first).
const char *const x86_read_dest[] = {
	"crc32", "add", "sub", "and", "or", "xor", "adc", "sbb", "bsf",
	"bsr",	 "shl", "shr", "sar", "rol", "ror", "neg", "not", "inc",
	"dec",	 "bswap", "xchg", "cmpxchg", "xadd",
};

// AArch64: the destination is the first operand.
const shape a64_insns[] = {
	{ "clz", 2, 2 },     { "cls", 2, 2 },	  { "rbit", 2, 2 },
	{ "rev", 2, 2 },     { "rev16", 2, 2 },	  { "rev32", 2, 2 },
	{ "crc32b", 3, 3 },  { "crc32h", 3, 3 },  { "crc32w", 3, 3 },
	{ "crc32x", 3, 3 },  { "crc32cb", 3, 3 }, { "crc32ch", 3, 3 },
	{ "crc32cw", 3, 3 }, { "crc32cx", 3, 3 }, { "add", 3, 4 },
	{ "sub", 3, 4 },     { "and", 3, 4 },	  { "orr", 3, 4 },
	{ "eor", 3, 4 },     { "bic", 3, 4 },	  { "lsl", 3, 3 },
	{ "lsr", 3, 3 },     { "asr", 3, 3 },	  { "ror", 3, 3 },
	{ "mul", 3, 3 },     { "udiv", 3, 3 },	  { "sdiv", 3, 3 },
	{ "neg", 2, 3 },     { "mvn", 2, 3 },	  { "mov", 2, 2 },
	{ "sxtb", 2, 2 },    { "sxth", 2, 2 },	  { "sxtw", 2, 2 },
	{ "uxtb", 2, 2 },    { "uxth", 2, 2 },
};

template <size_t N>
const shape *find_shape(const shape (&list)[N], const std::string &m,
			bool att_suffix)
{
	for (const shape &s : list)
		if (m == s.name)
			return &s;
	if (att_suffix && m.size() > 1 && strchr("qlwb", m.back())) {
		std::string base = m.substr(0, m.size() - 1);
		for (const shape &s : list)
			if (base == s.name)
				return &s;
	}
	return nullptr;
}

// x86-64 register family of NAME (without '%'): 0..5 the argument
// registers rdi, rsi, rdx, rcx, r8, r9; 6 the return register rax; -1
// anything else (callee-saved, %rsp, vector ...).
// 7, 8: r10, r11 (call-clobbered scratch registers, for sequences).
int x86_family(const std::string &r)
{
	static const char *const fam[9][4] = {
		{ "rdi", "edi", "di", "dil" },	   { "rsi", "esi", "si", "sil" },
		{ "rdx", "edx", "dx", "dl" },	   { "rcx", "ecx", "cx", "cl" },
		{ "r8", "r8d", "r8w", "r8b" },	   { "r9", "r9d", "r9w", "r9b" },
		{ "rax", "eax", "ax", "al" },	   { "r10", "r10d", "r10w", "r10b" },
		{ "r11", "r11d", "r11w", "r11b" },
	};
	for (int f = 0; f < 9; f++)
		for (const char *n : fam[f])
			if (r == n)
				return f;
	return -1;
}

// AArch64: 0..7 for x0..x7 / w0..w7 (x0 is also the result), 8 for
// xzr/wzr, -1 anything else.
int a64_family(const std::string &r)
{
	if (r == "xzr" || r == "wzr")
		return 8;
	if (r.size() == 2 && (r[0] == 'x' || r[0] == 'w') && r[1] >= '0' &&
	    r[1] <= '7')
		return r[1] - '0';
	return -1;
}

std::string quoted(const std::string &s)
{
	return "'" + s + "'";
}

std::string check_x86(const std::string &m, const std::vector<std::string> &ops,
		      const sc_fragment_sig &sig)
{
	for (size_t i = 0; i < ops.size(); i++) {
		const std::string &o = ops[i];
		bool dest = i + 1 == ops.size();
		if (o.find("rip") != std::string::npos)
			return "needs an instruction without RIP-relative "
			       "operands; " +
			       quoted(o) + " is one";
		if (o.find('(') != std::string::npos || o.empty() ||
		    (o[0] != '%' && o[0] != '$'))
			return "needs register or immediate operands; " +
			       quoted(o) + " is a memory operand";
		if (o[0] == '$') {
			if (dest)
				return "needs the return register as "
				       "destination; " +
				       quoted(o) + " is an immediate";
			continue;
		}
		int f = x86_family(o.substr(1));
		if (dest && f != 6)
			return "needs the return register (%rax, %eax, %ax "
			       "or %al) as destination, not " +
			       quoted(o);
		if (!dest && (f < 0 || f == 6 || (unsigned)f >= sig.int_params))
			return "reads " + quoted(o) +
			       ", which is not an argument register of the "
			       "function (%rdi, %rsi, %rdx, %rcx, %r8, %r9, "
			       "as many as it has parameters)";
	}
	(void)m;
	return std::string();
}

std::string check_a64(const std::vector<std::string> &ops,
		      const sc_fragment_sig &sig)
{
	for (size_t i = 0; i < ops.size(); i++) {
		const std::string &o = ops[i];
		if (o.find('[') != std::string::npos || o.empty())
			return "needs register or immediate operands; " +
			       quoted(o) + " is a memory operand";
		if (o[0] == '#') {
			if (i == 0)
				return "needs the return register as "
				       "destination; " +
				       quoted(o) + " is an immediate";
			continue;
		}
		// A shift of the last register operand: "lsl #2".
		if (i == ops.size() - 1 && i >= 3 &&
		    (o.rfind("lsl #", 0) == 0 || o.rfind("lsr #", 0) == 0 ||
		     o.rfind("asr #", 0) == 0 || o.rfind("ror #", 0) == 0))
			continue;
		int f = a64_family(o);
		if (i == 0 && f != 0)
			return "needs the return register (x0 or w0) as "
			       "destination, not " +
			       quoted(o);
		if (i > 0 && (f < 0 || (f < 8 && (unsigned)f >= sig.int_params)))
			return "reads " + quoted(o) +
			       ", which is not an argument register of the "
			       "function (x0..x7, as many as it has "
			       "parameters)";
	}
	return std::string();
}


// x86-64, in a sequence only: instructions that read their destination
// too (it must hold a value by then: an argument, or what an earlier
// instruction wrote), and change nothing else but the flags.
const char *const x86_read_dest_seq[] = {
	"crc32", "add", "sub", "and", "or",  "xor", "adc", "sbb", "shl",
	"shr",	 "sar", "rol", "ror", "neg", "not", "inc", "dec", "bswap",
};

bool is_read_dest_seq(const std::string &m)
{
	for (const char *r : x86_read_dest_seq) {
		size_t n = strlen(r);
		if (m.compare(0, n, r) == 0 &&
		    (m.size() == n || (m.size() == n + 1 && strchr("qlwb", m[n]))))
			return true;
	}
	return false;
}

bool is_one_of(const std::string &m, const char *base)
{
	return m == base || m == std::string(base) + "q";
}

// The instructions of a sequence (separated by ';' or new lines).
std::vector<std::string> split_insns(const std::string &t)
{
	std::vector<std::string> out;
	std::string cur;
	for (char c : t + ";") {
		if (c == ';' || c == '\n' || c == '\r') {
			std::string i = trim(cur);
			if (!i.empty())
				out.push_back(i);
			cur.clear();
		} else {
			cur += c;
		}
	}
	return out;
}

// A sequence of instructions, each as check_x86 would take it but with
// the values followed through: a register is read only once it holds an
// argument or an earlier instruction's result, written only when it is
// call-clobbered (rax, the argument registers, r10, r11); pushes and pops
// balance, and the result ends in the return register. So placed where the
// call was it does what the call did, with less stack (a call pushes its
// return address too).
std::string check_x86_sequence(const std::vector<std::string> &insns,
			       const sc_fragment_sig &sig)
{
	bool defined[9] = { false };
	for (unsigned i = 0; i < sig.int_params && i < 6; i++)
		defined[i] = true;
	int depth = 0;
	bool wrote_result = false;
	auto reg = [](const std::string &o) {
		return o.size() > 1 && o[0] == '%' ? x86_family(o.substr(1)) :
						     -1;
	};
	for (const std::string &text : insns) {
		std::string m;
		std::vector<std::string> ops;
		split(text, &m, &ops);
		for (char &c : m)
			c = (char)tolower((unsigned char)c);
		const std::string in = " (in " + quoted(text) + ")";
		for (const std::string &o : ops) {
			if (o.find("rip") != std::string::npos)
				return "needs instructions without RIP-relative "
				       "operands; " +
				       quoted(o) + " is one";
			if (o.find('(') != std::string::npos || o.empty() ||
			    (o[0] != '%' && o[0] != '$'))
				return "needs register or immediate operands; " +
				       quoted(o) + " is a memory operand" + in;
			if (o[0] == '%' && reg(o) < 0)
				return "may use only call-clobbered registers "
				       "(%rax, %rdi, %rsi, %rdx, %rcx, %r8 to "
				       "%r11); " +
				       quoted(o) + " is not one" + in;
		}
		if (is_one_of(m, "pushf")) {
			if (!ops.empty())
				return "needs no operand for " + quoted(m) + in;
			depth++;
			continue;
		}
		if (is_one_of(m, "push") || is_one_of(m, "pop")) {
			if (ops.size() != 1 || ops[0][0] != '%')
				return "needs one register operand for " +
				       quoted(m) + in;
			int f = reg(ops[0]);
			if (m[1] == 'u') { // push
				if (!defined[f])
					return "reads " + quoted(ops[0]) +
					       " before it holds a value" + in;
				depth++;
			} else {
				if (!depth)
					return "pops more than it pushed" + in;
				depth--;
				defined[f] = true;
				wrote_result |= f == 6;
			}
			continue;
		}
		const shape *s = find_shape(x86_insns, m, true);
		bool rmw = !s && is_read_dest_seq(m);
		if (!s && !rmw)
			return "does not know " + quoted(m) +
			       " (instructions that write only call-clobbered "
			       "registers and the flags: docs/GUIDE.md lists "
			       "them)" +
			       in;
		if (s && (ops.size() < s->min_ops || ops.size() > s->max_ops))
			return "needs " + std::to_string(s->min_ops) +
			       " operands for " + quoted(m) + ", not " +
			       std::to_string(ops.size());
		if (rmw && (ops.empty() || ops.size() > 2))
			return "needs one or two operands for " + quoted(m) + in;
		const std::string &dst = ops.back();
		if (dst[0] == '$')
			return "needs a register as destination; " +
			       quoted(dst) + " is an immediate" + in;
		// `xor %eax, %eax`, `sub %eax, %eax`: a new value, whatever
		// the register held
		bool zero_idiom = (m.rfind("xor", 0) == 0 ||
				   m.rfind("sub", 0) == 0) &&
				  ops.size() == 2 && ops[0] == ops[1];
		for (size_t i = 0; i < ops.size(); i++) {
			bool is_dst = i + 1 == ops.size();
			if (ops[i][0] == '$' || (is_dst && (!rmw || zero_idiom)))
				continue;
			if (!defined[reg(ops[i])])
				return "reads " + quoted(ops[i]) +
				       " before it holds a value (an argument "
				       "the function has, or an earlier "
				       "instruction's result)" +
				       in;
		}
		int f = reg(dst);
		defined[f] = true;
		wrote_result |= f == 6;
	}
	if (depth)
		return "leaves the stack unbalanced (" + std::to_string(depth) +
		       " more push than pop)";
	if (!wrote_result)
		return "never writes the return register (%rax, %eax, %ax or "
		       "%al)";
	return std::string();
}

} // namespace

bool sc_fragment_is_sequence(const std::string &text)
{
	return split_insns(text).size() > 1;
}

std::string sc_fragment_problem(const std::string &text,
				const sc_fragment_sig &sig, sc_target target)
{
	if (!sig.definition)
		return "must be on the function's definition (it gives the "
		       "function its body)";
	if (sig.other_params)
		return "needs a function whose parameters are integers or "
		       "pointers";
	if (!sig.returns_int)
		return "needs a function returning an integer or a pointer";
	const std::string t = trim(text);
	if (t.empty())
		return "needs the text of one instruction";
	// (x86-64 comments start with '#'; AArch64 immediates do)
	if ((target == sc_target::x86_64 && t.find('#') != std::string::npos) ||
	    (target == sc_target::aarch64 && t.find("//") != std::string::npos))
		return "takes instructions without comments (" + quoted(t) +
		       ")";
	if (t.find(':') != std::string::npos)
		return "takes instructions without labels (" + quoted(t) + ")";
	if (sc_fragment_is_sequence(t)) {
		// AArch64 sites hold only branches while threads run and
		// keep their `bl` anyway: one instruction there.
		if (target == sc_target::aarch64)
			return "takes exactly one instruction on AArch64, not "
			       "several (" +
			       quoted(t) + ")";
		return check_x86_sequence(split_insns(t), sig);
	}
	std::string m;
	std::vector<std::string> ops;
	split(t, &m, &ops);
	for (char &c : m)
		c = (char)tolower((unsigned char)c);
	const bool a64 = target == sc_target::aarch64;
	const shape *s = a64 ? find_shape(a64_insns, m, false) :
			       find_shape(x86_insns, m, true);
	if (!s && !a64)
		for (const char *r : x86_read_dest) {
			size_t n = strlen(r);
			if (m.compare(0, n, r) == 0 &&
			    (m.size() == n ||
			     (m.size() == n + 1 && strchr("qlwb", m[n]))))
				return quoted(m) +
				       " reads its destination as well, and "
				       "no argument arrives in the return "
				       "register: that takes two "
				       "instructions";
		}
	if (!s)
		return "does not know " + quoted(m) +
		       " (one instruction that writes only the return "
		       "register: docs/GUIDE.md lists them)";
	if (ops.size() < s->min_ops || ops.size() > s->max_ops)
		return "needs " + std::to_string(s->min_ops) + " operands for " +
		       quoted(m) + ", not " + std::to_string(ops.size());
	return a64 ? check_a64(ops, sig) : check_x86(m, ops, sig);
}

std::string sc_text_fragment_body(const std::string &text, bool landing_pad,
				  sc_target target)
{
	const std::string ty = target == sc_target::aarch64 ? "%" : "@";
	// Numeric labels (the function may be emitted in any section; in a
	// comdat group the record follows it with "?").
	// A sequence: one instruction a line, and SC_FRAG_SEQUENCE.
	std::string body;
	for (const std::string &i : split_insns(text))
		body += "\t" + i + "\n";
	const unsigned flags =
		(landing_pad ? SC_FRAG_LANDING_PAD : 0) |
		(split_insns(text).size() > 1 ? SC_FRAG_SEQUENCE : 0);
	return "771:\n" + body +
	       "772:\n\tret\n"
	       "\t.pushsection " SC_ABI_FRAGS_SECTION ",\"a?\"," +
	       ty +
	       "progbits\n"
	       "\t.balign 4\n"
	       "\t.long 771b - .\n"
	       "\t.long 772b - 771b\n"
	       "\t.long " +
	       std::to_string(flags) +
	       "\n"
	       "\t.popsection\n";
}
