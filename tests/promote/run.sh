#!/usr/bin/env bash
# run.sh CC INCLUDE RUNTIME_DIR PLUGIN OUT [KIND]
# KIND: gcc (default: -fplugin-arg-staticcall_gcc-promote
# -mindirect-branch=thunk-extern, sites through any register's thunk) or
# clang (-fplugin-arg-staticcall_clang-promote -mretpoline-external-thunk,
# anchored sites through __x86_indirect_thunk_r11): the flags
# `pkg-config --variable=<KIND>_promote_cflags staticcall` gives.
# Promotion of indirect calls, end to end (docs/GUIDE.md "Promoted
# indirect calls"): promote_e2e.c and its shared library built plain and
# with the promote flags (retpoline thunks, -fplugin-arg-...-promote),
# also with -fcf-protection=full. Every build prints the same checksums;
# the promoted one under STATICCALL_PROMOTE=on (default), freeze and off,
# STATICCALL_DISABLE=1 and STATICCALL_SEAL=code (no code change). With
# promotion on (one site's target changing every 10,000 calls of each
# thread, out of step: promotions, widenings and demotions while 8
# threads call): sites promoted (the tail call too), none rejected, the
# megamorphic one given up on, each site's state and targets as expected, the library's callbacks into the program
# found out of reach; STATICCALL_REPORT=1 lines; STATICCALL_PERF_MAP=1
# naming the stubs (no given-up site on a jump stub of its own: the
# retpoline stays); promote-plain (thunks ending in `jmp *%reg`): the
# plain build's results in every mode and after sealing, given-up sites
# `call *%reg` in place (no jump stub), and promote_terminal.c: a call
# and a tail site given up on in place while 6 threads call, then sealed
# under them, bytes kept, every result checked; an opted-out function's call off the sampling thunk,
# on the compiler's own retpoline; a dlopen/dlclose loop of the promoted library does not
# grow (its stub memory goes with it); the thunks are the retpoline, local to each object
# (no PLT), and no indirect call or jump is left in the code; a unit
# whose thunk calls and jumps are all unrecorded (a computed goto, an
# opted-out function) still defines its thunks, as one with static calls
# (their trampolines' thunk). Jump sites (GCC: computed gotos and jump
# tables, promote_jumps.c): the same results, each recorded, promoted or
# given up on. Code sealed with mseal (promote_mseal.c): its sites left
# where they are, reported unwritable; static_call_seal(SEAL_UPDATES)
# mseals the promoted code and its stubs (promote_seal_updates.c). Under
# gdb, a backtrace from the sampler reaches the site's function
# (promote_backtrace.c).
set -euo pipefail
cc=$1 inc=$2 rtdir=$3 plugin=$4 out=$5 kind=${6:-gcc}
QEMU= # (native)
. "$(dirname "$0")/lib.sh"
mkdir -p "$out"
case $kind in
gcc)
	promote=(-fplugin="$plugin" -fplugin-arg-staticcall_gcc-promote
		-mindirect-branch=thunk-extern)
	thunk_reg=rax # the thunk the disassembly checks
	;;
clang)
	promote=(-fplugin="$plugin" -fplugin-arg-staticcall_clang-promote
		-mretpoline-external-thunk)
	thunk_reg=r11
	;;
*)
	echo "run.sh: unknown KIND $kind" >&2
	exit 2
	;;
esac
build plain
build promote "${promote[@]}"
build ibt "${promote[@]}" -fcf-protection=full
plain_results

learned() { # BUILD ENV (lib.sh's check)
	local b=$1 env=$2
	# the member, tail, parameter, library-internal sites
	[ "$(stat "$out/err" promoted)" -ge 4 ] ||
		fail "$b $env: too few promoted: $(cat "$out/err")"
	[ "$(stat "$out/err" tail)" = 1 ] &&
		[ "$(stat "$out/err" tail_unlearned)" = 0 ] ||
		fail "$b $env: the tail site: $(cat "$out/err")"
	# the library's callbacks into the program
	[ "$(stat "$out/err" far)" -ge 1 ] ||
		fail "$b $env: no far site: $(cat "$out/err")"
	# each site's state (static_call_promote_sites); frozen, the
	# phase-changing ones keep what they learned first
	sites_are "$b" "$env" "member: promoted $f9" \
		"tail_member: promoted $f9" 'array: megamorphic' \
		'param: promoted (add,sub|sub,add)$' 'lib_apply: far' \
		'lib_dispatch: promoted \?,\?$'
}
for b in promote ibt; do
	for env in "" STATICCALL_PROMOTE=on STATICCALL_PROMOTE=freeze \
		STATICCALL_PROMOTE=off STATICCALL_DISABLE=1 \
		STATICCALL_SEAL=code; do
		check "$b" "$env"
	done
done
# relayouts while 8 threads call (the first 1 ms after a promotion, then
# 2, 4, ...: docs/PATCHING.md "Stub layout"): the same results, the same
# sites learned, and relayouts reported
check promote "STATICCALL_PROMOTE_RELAYOUT=1 STATICCALL_REPORT=1"
grep -Eq '/promote_e2e: .* [1-5] relayouts \([1-9][0-9]* sites moved\); ' "$out/err" ||
	fail "no relayout: $(cat "$out/err")"
# a value past any count is refused aloud (not wrapped to "off")
check promote "STATICCALL_PROMOTE_RELAYOUT=99999999999999999999"
grep -q 'STATICCALL_PROMOTE_RELAYOUT=99999999999999999999 is not a value it takes' \
	"$out/err" || fail "an out-of-range count taken quietly: $(cat "$out/err")"

if [ "$kind" = gcc ]; then
	# -flto: units compiled in promote mode to IR, linked with the plugin
	# alone (gcc_ldflags, no promote argument; many partitions): lto1 records
	# the marked functions' sites; the same results, the same sites
	lto_build() { # DIR WHAT [FLAGS...]: the library in promote mode, the
		# program with FLAGS too, both to IR, linked with the plugin alone
		local d=$1 what=$2
		shift 2
		mkdir -p "$d"
		$cc -O2 -Wall -Werror -flto -I"$inc" "${promote[@]}" -fPIC -c \
			"$src/promote_lib.c" -o "$d/promote_lib.o"
		$cc -O2 -flto -flto-partition=max -fplugin="$plugin" -shared \
			"$d/promote_lib.o" -o "$d/libpromote_lib.so" 2>"$out/lto.log" ||
			fail "$what link: $(cat "$out/lto.log")"
		$cc -O2 -Wall -Werror -flto -I"$inc" -I"$src" "${promote[@]}" "$@" \
			-c "$src/promote_e2e.c" -o "$d/promote_e2e.o"
		$cc -O2 -flto -flto-partition=max -fplugin="$plugin" "$d/promote_e2e.o" \
			-o "$d/promote_e2e" -L"$d" -lpromote_lib -Wl,-rpath,"$d" -pthread \
			"${rt[@]}" 2>"$out/lto.log" || fail "$what link: $(cat "$out/lto.log")"
	}
	d=$out/lto
	lto_build "$d" lto
	"$d/promote_e2e" >"$out/got" 2>"$out/err" || fail "lto: exit status $?"
	cmp -s "$out/want" "$out/got" || fail "lto: results differ from the plain build"
	[ "$(stat "$out/err" objects)" = 2 ] && [ "$(stat "$out/err" rejected)" = 0 ] &&
		[ "$(stat "$out/err" sites)" = 9 ] &&
		[ "$(stat "$out/err" promoted)" -ge 4 ] ||
		fail "lto: $(cat "$out/err")"
	echo "lto: $(grep ^stats "$out/err")"

	# promote-plain (a build without retpolines): each unit's own local
	# thunks end in `jmp *%reg`; the same results, sites learned and in
	# place, no retpoline left, the thunk local (no global symbol of that
	# name)
	build plainpromote -fplugin="$plugin" -fplugin-arg-staticcall_gcc-promote-plain \
		-mindirect-branch=thunk-extern
	for env in STATICCALL_PROMOTE=freeze STATICCALL_PROMOTE=off \
		STATICCALL_SEAL=code PROMOTE_E2E_SEAL=1; do
		env $env "$out/plainpromote/promote_e2e" >"$out/got" 2>"$out/err" ||
			fail "promote-plain $env: exit status $?"
		cmp -s "$out/want" "$out/got" ||
			fail "promote-plain $env: results differ from the plain build"
	done
	grep -q '^seal: 0$' "$out/err" && [ "$(sed -n 's/^after seal: //p' "$out/err")" = \
		"$(sed -n 's/^thread 0: //p' "$out/want")" ] ||
		fail "promote-plain seal: $(cat "$out/err")"
	# learning: each executed site `call *%reg` in place, none on a stub
	# (the plain call costs least without retpolines): those that
	# learned targets "plain" (the library's callback too, whose targets
	# are out of a stub's reach: in place that does not matter), the
	# megamorphic array given up; no `jmp *%reg` stub of their own in the
	# perf map
	STATICCALL_PERF_MAP=1 "$out/plainpromote/promote_e2e" >"$out/got" 2>"$out/err" ||
		fail "promote-plain: exit status $?"
	cmp -s "$out/want" "$out/got" || fail "promote-plain: results differ"
	[ "$(stat "$out/err" rejected)" = 0 ] && [ "$(stat "$out/err" plain)" -ge 4 ] &&
		[ "$(stat "$out/err" promoted)" = 0 ] && [ "$(stat "$out/err" stubs)" = 0 ] ||
		fail "promote-plain: $(cat "$out/err")"
	grep -q '^site array: megamorphic$' "$out/err" &&
		grep -q '^site lib_apply: plain f' "$out/err" ||
		fail "promote-plain: states: $(cat "$out/err")"
	take_perf_map "$out/perf-plain.map"
	given=$(grep -cE ' staticcall_given_up\[r[0-9]+\] site=(array\+0x[0-9a-f]+ \(promote_e2e\)|lib_apply\+0x[0-9a-f]+ \(libpromote_lib.so\))$' \
		"$out/perf-plain.map" || true)
	[ "$given" = 0 ] ||
		fail "promote-plain: $given given-up sites on a stub of their own, not in place: $(cat "$out/perf-plain.map")"
	# given up on while 6 threads call, in place (NOP + call/jmp *%reg),
	# then sealed under them: the bytes stay, every result right
	$cc -O2 -Wall -Werror -I"$inc" -fplugin="$plugin" \
		-fplugin-arg-staticcall_gcc-promote-plain -mindirect-branch=thunk-extern \
		"$src/promote_terminal.c" -o "$out/plainpromote/promote_terminal" \
		-pthread "${rt[@]}"
	"$out/plainpromote/promote_terminal" >"$out/terminal.out" 2>"$out/terminal.err" &&
		grep -q '^terminal: ok$' "$out/terminal.out" ||
		fail "promote-plain terminal: $(cat "$out/terminal.err")"
	echo "promote-plain terminal: $(cat "$out/terminal.out")"
	dis=$(objdump -d --no-show-raw-insn "$out/plainpromote/promote_e2e")
	thunk=$(sed -n '/<__x86_indirect_thunk_rax>:/,/^$/p' <<<"$dis")
	grep -q 'jmp    \*%rax' <<<"$thunk" || fail "promote-plain: thunk: $thunk"
	if grep -q lfence <<<"$dis"; then
		fail "promote-plain: a retpoline left"
	fi
	grep -q ' t __x86_indirect_thunk_rax$' <<<"$(nm "$out/plainpromote/promote_e2e")" ||
		fail "promote-plain: the thunk is not local"
	# opted out: a plain `call *%reg`, not the sampling thunk
	fn=$(sed -n '/<opted_out[.a-z0-9]*>:/,/^$/p' <<<"$dis")
	grep -Eq 'call +\*%r' <<<"$fn" && ! grep -q '__x86_indirect_thunk_' <<<"$fn" ||
		fail "promote-plain: opted_out: $fn"
	echo "promote-plain: $(grep ^stats "$out/err")"

	# promote-inline (docs/PATCHING.md "Inline sites"): the call sites
	# compare a learned target inline, in a restartable sequence; the
	# same results in every mode, the same sites learned, inline sites
	# open (none when STATICCALL_PROMOTE_INLINE=off, or without rseq)
	build inline "${promote[@]}" -fplugin-arg-staticcall_gcc-promote-inline
	for env in "" STATICCALL_PROMOTE=freeze STATICCALL_PROMOTE=off \
		STATICCALL_SEAL=code; do
		check inline "$env"
	done
	check inline ""
	[ "$(stat "$out/err" inline)" -ge 3 ] || fail "inline: too few inline sites: $(cat "$out/err")"
	[ "$(stat "$out/err" inline_open)" -ge 1 ] || fail "inline: none open: $(cat "$out/err")"
	# the 16-target site, given up on with no target frequent enough
	# to keep, is bypassed: a `jmp` to its slow path over its first
	# instruction (also with the inline sites off or without rseq)
	grep -q '^inline array: bypassed$' "$out/err" ||
		fail "inline: the given-up site not bypassed: $(cat "$out/err")"
	for env in STATICCALL_PROMOTE_INLINE=0 GLIBC_TUNABLES=glibc.pthread.rseq=0; do
		check inline "$env"
		[ "$(stat "$out/err" inline_open)" = 0 ] ||
			fail "inline $env: sites open: $(cat "$out/err")"
		grep -q '^inline array: bypassed$' "$out/err" ||
			fail "inline $env: not bypassed: $(cat "$out/err")"
	done
	# and with -flto: the program compiled promote-inline to IR, the
	# library promote only, both linked with the plugin alone (many
	# partitions): lto1 gives the inline form to the program's functions
	# only (their mark), the same results, sites open; none in the library
	d=$out/inline-lto
	lto_build "$d" "inline lto" -fplugin-arg-staticcall_gcc-promote-inline
	objdump -d "$d/libpromote_lib.so" | grep -q 'ds lea 0x[0-9a-f]*(%rip),%r11' &&
		fail "inline lto: the library (compiled promote only) has inline sites"
	for env in "" STATICCALL_PROMOTE_INLINE=0 STATICCALL_SEAL=code; do
		env $env "$d/promote_e2e" >"$out/got" 2>"$out/err" ||
			fail "inline lto $env: exit status $?"
		cmp -s "$out/want" "$out/got" ||
			fail "inline lto $env: results differ from the plain build"
	done
	"$d/promote_e2e" >"$out/got" 2>"$out/err"
	[ "$(stat "$out/err" inline)" -ge 3 ] && [ "$(stat "$out/err" inline_open)" -ge 1 ] ||
		fail "inline lto: $(cat "$out/err")"
	echo "inline lto: $(grep ^stats "$out/err")"
	# -fexceptions: no inline site in such a unit, with or without -flto
	# (lto1: flag_exceptions is each function's own), while a unit
	# without it beside it in the same link gets its inline site
	inline_in() { # OBJECT FUNCTION: its inline sites
		objdump -d "$1" | sed -n "/<$2[.a-z0-9]*>:/,/^\$/p" |
			grep -c 'ds lea 0x[0-9a-f]*(%rip),%r11' || true
	}
	for lto in "" -flto; do
		$cc -O2 -Wall -Werror -fexceptions $lto -fPIC -I"$inc" "${promote[@]}" \
			-fplugin-arg-staticcall_gcc-promote-inline -c \
			"$src/promote_inline_eh.c" -o "$d/eh.o"
		$cc -O2 -Wall -Werror $lto -fPIC -I"$inc" "${promote[@]}" \
			-fplugin-arg-staticcall_gcc-promote-inline \
			-Dwith_cleanup=noeh_cleanup -Dplain_call=noeh_call -c \
			"$src/promote_inline_eh.c" -o "$d/noeh.o"
		$cc -O2 $lto -flto-partition=max -fPIC -fplugin="$plugin" -shared \
			"$d/eh.o" "$d/noeh.o" -o "$d/libeh.so" 2>"$out/lto.log" ||
			fail "inline -fexceptions $lto: $(cat "$out/lto.log")"
		[ "$(inline_in "$d/libeh.so" with_cleanup)" = 0 ] &&
			[ "$(inline_in "$d/libeh.so" plain_call)" = 0 ] &&
			[ "$(inline_in "$d/libeh.so" noeh_call)" -ge 1 ] ||
			fail "inline -fexceptions $lto: $(objdump -d "$d/libeh.so" | grep -B3 'ds lea .*%r11')"
	done
	# one site, 8 threads and a timer's signals calling through it while
	# its target changes phase: every result right, the site opened on
	# each phase's target (learned, or moved there by the runtime's check
	# of its stub's hits); sealed under them: closed, still right; a site
	# given up on (half its calls one target, half 32 others) keeps
	# comparing that target inline
	$cc -O2 -Wall -Werror -c "$src/promote_inline_targets.c" \
		-o "$out/inline/promote_inline_targets.o"
	$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" -c \
		"$src/promote_inline_noise.c" -o "$out/inline/promote_inline_noise.o"
	$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" \
		-fplugin-arg-staticcall_gcc-promote-inline "$src/promote_inline.c" \
		"$out/inline/promote_inline_targets.o" \
		"$out/inline/promote_inline_noise.o" \
		-o "$out/inline/promote_inline" -pthread "${rt[@]}"
	for env in "" PROMOTE_INLINE_SEAL=1 STATICCALL_PROMOTE_INLINE=off; do
		env $env "$out/inline/promote_inline" >"$out/got" 2>"$out/err" ||
			fail "promote_inline $env: $(cat "$out/got" "$out/err")"
		want=6
		[ "$env" != STATICCALL_PROMOTE_INLINE=off ] || want=0
		grep -q "^inline: opened=$want .* wrong=0 " "$out/got" ||
			fail "promote_inline $env: $(cat "$out/got")"
		# the megamorphic one keeps its dominant target inline; with
		# inline sites off it cannot, and is bypassed
		mega='keeps its top target'
		[ "$env" != STATICCALL_PROMOTE_INLINE=off ] || mega=bypassed
		[ "$env" = PROMOTE_INLINE_SEAL=1 ] ||
			grep -q "^inline: megamorphic site: state 4, $mega$" "$out/got" ||
			fail "promote_inline $env: $(cat "$out/got")"
		# a steady 50/50 mix stays open on its target, probed rarely (a
		# probe keeps it and waits twice as long: 4-6 probes in 2 s, no
		# move; 16 probes with no waits, and moves at about half of them
		# when a probe takes the coin flip's winner)
		if [ -z "$env" ]; then
			probes=$(sed -n 's/^inline: steady mix: \([0-9]*\) probes.*/\1/p' "$out/got")
			moved=$(sed -n 's/^inline: steady mix: .* \([0-9]*\) moves.*/\1/p' "$out/got")
			top=$(sed -n 's/^inline: steady mix: .* targets \([0-9]*\)% .*/\1/p' "$out/got")
			[ -n "$probes" ] && [ "$probes" -le 9 ] && [ "$moved" -le 1 ] &&
				[ "$top" -ge 40 ] ||
				fail "promote_inline steady mix: $(cat "$out/got")"
		fi
		echo "promote_inline ${env:-default}: $(tail -1 "$out/got")"
	done
	# calls through `nocf_check` pointers under -fcf-protection: the
	# `_nt_` thunk twin, defined by each mode's unit; learned
	for mode in promote plain inline; do
		case $mode in
		promote) f=("${promote[@]}") ;;
		plain) f=(-fplugin="$plugin" -fplugin-arg-staticcall_gcc-promote-plain
			-mindirect-branch=thunk-extern) ;;
		inline) f=("${promote[@]}" -fplugin-arg-staticcall_gcc-promote-inline) ;;
		esac
		$cc -O2 -Wall -Werror -fcf-protection=full -I"$inc" "${f[@]}" \
			"$src/promote_nocf.c" -o "$out/inline/promote_nocf_$mode" "${rt[@]}" ||
			fail "promote_nocf $mode: does not build"
		arg=
		[ $mode != plain ] || arg=plain
		"$out/inline/promote_nocf_$mode" $arg >"$out/got" 2>"$out/err" &&
			grep -q '^nocf: ok$' "$out/got" ||
			fail "promote_nocf $mode: $(cat "$out/got" "$out/err")"
	done
	echo "promote_nocf: promote, promote-plain, promote-inline: ok"
	# calls passing a static chain (%r10): the callee sees it on every
	# call, the first sampled one too (promote mode: below, both kinds)
	for mode in plain inline; do
		case $mode in
		plain) f=(-fplugin="$plugin" -fplugin-arg-staticcall_gcc-promote-plain
			-mindirect-branch=thunk-extern) ;;
		inline) f=("${promote[@]}" -fplugin-arg-staticcall_gcc-promote-inline) ;;
		esac
		$cc -O2 -Wall -Werror -I"$inc" "${f[@]}" "$src/promote_static_chain.c" \
			-o "$out/inline/promote_static_chain_$mode" "${rt[@]}" ||
			fail "promote_static_chain $mode: does not build"
		"$out/inline/promote_static_chain_$mode" >"$out/got" 2>"$out/err" ||
			fail "promote_static_chain $mode: $(cat "$out/got" "$out/err")"
	done
	echo "promote_static_chain: promote-plain, promote-inline: ok"
	# sealing with a debugger's breakpoint on a bypassed inline site:
	# sealed, the open site closed, the breakpoint's bytes untouched
	$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" \
		-fplugin-arg-staticcall_gcc-promote-inline "$src/promote_inline_breakpoint.c" \
		"$out/inline/promote_inline_targets.o" \
		-o "$out/inline/promote_inline_breakpoint" -pthread "${rt[@]}"
	"$out/inline/promote_inline_breakpoint" >"$out/got" 2>"$out/err" &&
		grep -q '^breakpoint: ok ' "$out/got" ||
		fail "promote_inline_breakpoint: $(cat "$out/got" "$out/err")"
	echo "promote_inline_breakpoint: $(cat "$out/got")"
	# what it does not take yet: a clear error
	for bad in -fplugin-arg-staticcall_gcc-promote-plain; do
		if $cc -O2 -I"$inc" "${promote[@]}" -fplugin-arg-staticcall_gcc-promote-inline \
			$bad -c "$src/promote_inline.c" -o "$out/inline/bad.o" 2>"$out/err"; then
			fail "promote-inline with $bad: compiled"
		fi
		grep -q "promote-inline does not support" "$out/err" ||
			fail "promote-inline with $bad: $(cat "$out/err")"
	done
else
	# Clang: promote mode refuses -flto with a clear error
	if $cc -O2 -flto -I"$inc" "${promote[@]}" -fPIC -c \
		"$src/promote_lib.c" -o "$out/lto.o" 2>"$out/lto.log"; then
		fail "clang -flto in promote mode: not refused"
	fi
	grep -q 'does not support -flto' "$out/lto.log" ||
		fail "clang -flto: $(cat "$out/lto.log")"
fi

# calls passing a static chain (%r10): the callee sees it on every call,
# the first sampled one too (their functions keep their own retpoline)
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_static_chain.c" \
	-o "$out/promote/promote_static_chain" "${rt[@]}" ||
	fail "promote_static_chain: does not build"
"$out/promote/promote_static_chain" >"$out/got" 2>"$out/err" ||
	fail "promote_static_chain: $(cat "$out/got" "$out/err")"

# under LD_AUDIT promotion is off, said at info level (an auditor's PLT
# hooks lose registers a callee may read); every call still right
$cc -O2 -Wall -Werror -shared -fPIC "$src/audit_quiet.c" -o "$out/audit_quiet.so" ||
	fail "audit_quiet.so: does not build"
LD_AUDIT="$out/audit_quiet.so" STATICCALL_LOG=info \
	"$out/promote/promote_static_chain" >"$out/got" 2>"$out/err" &&
	grep -q 'promote: off under LD_AUDIT' "$out/err" &&
	! grep -q 'site .* -> stub' "$out/err" ||
	fail "LD_AUDIT: promotion not off: $(cat "$out/got" "$out/err" | head -5)"

# static_call_seal(CODE) after learning: every site back as compiled
check_sealed 8

# STATICCALL_REPORT=1: a line per object as it goes
STATICCALL_REPORT=1 "$out/promote/promote_e2e" 2>"$out/err" >/dev/null
grep -Eq '^staticcall: promote: .*/promote_e2e: 5 sites: [0-9]+ promoted.*; [1-9][0-9]* hits, [0-9]+ misses, [0-9]+ hit counts started again$' \
	"$out/err" || fail "report: $(cat "$out/err")"
grep -Eq '^staticcall: promote: .*/libpromote_lib.so: 4 sites: .* 3 far' \
	"$out/err" || fail "report: $(cat "$out/err")"

# Exact records: each object's sites are its thunk calls and tail jumps
# (those of opted_out aside)
for o in promote_e2e libpromote_lib.so; do
	n=$(sed -n "s|^staticcall: promote: .*/$o: \([0-9]*\) sites:.*|\1|p" \
		"$out/err")
	calls=$(objdump -d --no-show-raw-insn "$out/promote/$o" | awk '
		/^[0-9a-f]+ <.*>:$/ { fn = $2 }
		fn !~ /^<opted_out/ &&
			/(call|jmp) +[0-9a-f]+ <__x86_indirect_thunk_[a-z0-9]+>$/ { n++ }
		END { print n + 0 }')
	[ "$n" = "$calls" ] ||
		fail "$o: $n sites recorded, $calls thunk calls and jumps"
done

# STATICCALL_PERF_MAP=1: every stub named in /tmp/perf-PID.map
STATICCALL_PERF_MAP=1 "$out/promote/promote_e2e" 2>"$out/err" >/dev/null
take_perf_map "$out/perf.map"
# by the site's function+offset and object, and the targets' functions
lines=$(grep -cE '^[0-9a-f]+ [0-9a-f]+ staticcall_(stub|slow)\[r[0-9]+\] site=[a-z_]+\+0x[0-9a-f]+ \((promote_e2e|libpromote_lib.so)\)' "$out/perf.map" || true)
named=$(grep -cE ' site=param\+0x[0-9a-f]+ \(promote_e2e\) targets=(add,sub|sub,add)$' "$out/perf.map" || true)
lib=$(grep -cE ' site=lib_dispatch\+0x[0-9a-f]+ \(libpromote_lib.so\) targets=[a-z]+,[a-z]+$' "$out/perf.map" || true)
[ "$lines" -ge 4 ] && [ "$named" -ge 1 ] && [ "$lib" -ge 1 ] ||
	fail "perf map: $lines stub lines, $named param, $lib lib_dispatch: $(cat "$out/perf.map")"
# a retpoline build's given-up sites stay on the retpoline: no jump stub
! grep -q staticcall_given_up "$out/perf.map" ||
	fail "perf map: a retpoline site given a jump stub: $(cat "$out/perf.map")"

# Hit counters (STATICCALL_PROMOTE_COUNT, default on): each promoted
# site's stub counts its hits and misses; off, no stub counts
"$out/promote/promote_e2e" 2>"$out/err" >/dev/null
[ "$(stat "$out/err" hits)" -gt 100000 ] ||
	fail "hit counters: $(cat "$out/err")"
grep -Eq '^hits param: [0-9]+,[0-9]+ misses=[0-9]+$' "$out/err" ||
	fail "param's hits: $(cat "$out/err")"
# Demotion by miss rate: a site calling one target 95% of the time and
# 12 others the rest keeps its stub with hit counters; without them its
# misses demote it until it is given up on
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_rate.c" \
	-o "$out/promote/promote_rate" "${rt[@]}"
"$out/promote/promote_rate" >"$out/rate"
grep -Eq '^rate: promoted demotions=0 kept=[1-9]' "$out/rate" ||
	fail "rate: $(cat "$out/rate")"
STATICCALL_PROMOTE_COUNT=0 "$out/promote/promote_rate" >"$out/rate"
grep -Eq '^rate: [a-z]+ demotions=[1-9]' "$out/rate" ||
	fail "rate without counters: $(cat "$out/rate")"
# exit while threads call through promoted sites: the stubs stay mapped
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_exit.c" \
	-o "$out/promote/promote_exit" -pthread "${rt[@]}"
"$out/promote/promote_exit" >"$out/exit" 2>&1 && grep -q '^exit: ok$' "$out/exit" ||
	fail "exit while threads call: status $?: $(cat "$out/exit")"
STATICCALL_PROMOTE_COUNT=0 "$out/promote/promote_e2e" 2>"$out/err" >/dev/null
[ "$(stat "$out/err" hits)" = 0 ] && ! grep -q '^hits ' "$out/err" &&
	[ "$(stat "$out/err" promoted)" -ge 4 ] ||
	fail "STATICCALL_PROMOTE_COUNT=0: $(cat "$out/err")"

# The slow path is the unit's retpoline, defined in each object (no
# PLT), and nothing else jumps or calls through a register or memory.
for f in "$out/promote/promote_e2e" "$out/promote/libpromote_lib.so"; do
	dis=$(objdump -d --no-show-raw-insn "$f")
	# (here-strings: under pipefail, `echo | grep -q` fails when grep
	# stops reading first)
	if grep -q 'thunk_[a-z0-9]*@plt' <<<"$dis"; then
		fail "$f: thunk through a PLT"
	fi
	thunk=$(echo "$dis" |
		sed -n "/<__x86_indirect_thunk_$thunk_reg>:/,/^\$/p")
	for insn in pause lfence "mov    %$thunk_reg,(%rsp)" ret; do
		grep -q "$insn" <<<"$thunk" ||
			fail "$f: thunk without $insn"
	done
	# (the C start-up files' own, not compiled here, aside)
	echo "$dis" | awk '/^Disassembly of section/ { s = $4 }
		/^[0-9a-f]+ <.*>:$/ { fn = $2 }
		fn ~ /^<(_start|deregister_tm_clones|register_tm_clones|__do_global_dtors_aux|frame_dummy)>:$/ { next }
		s == ".text:" && /(call|jmp) +\*/ { print fn, $0; bad = 1 }
		END { exit bad }' || fail "$f: an indirect branch in .text"
done
# staticcall_no_promote: opted_out's call is unrecorded (the report's 5
# sites above are the others) and never reaches the sampling thunk: it
# keeps the compiler's own retpoline (GCC's inline, Clang's
# __llvm_retpoline_r11), IBT build too
for b in promote ibt; do
	dis=$(objdump -d --no-show-raw-insn "$out/$b/promote_e2e")
	fn=$(sed -n '/<opted_out[.a-z0-9]*>:/,/^$/p' <<<"$dis")
	[ -n "$fn" ] || fail "$b: no opted_out"
	if grep -q '__x86_indirect_thunk_' <<<"$fn"; then
		fail "$b: opted_out calls the sampling thunk: $fn"
	fi
	if [ "$kind" = clang ]; then
		grep -Eq 'call +[0-9a-f]+ <__llvm_retpoline_r11>' <<<"$fn" ||
			fail "$b: opted_out: not on LLVM's retpoline: $fn"
		fn=$(sed -n '/<__llvm_retpoline_r11>:/,/^$/p' <<<"$dis")
	fi
	grep -q lfence <<<"$fn" && grep -q 'mov    %[a-z0-9]*,(%rsp)' <<<"$fn" ||
		fail "$b: opted_out: no retpoline: $fn"
done

# IBT: the unit's object keeps its IBT property with the plugin's text
# (Debian's crt files have none, so linked files lose it either way).
$cc -O2 -I"$inc" "${promote[@]}" -fcf-protection=full -fPIC -c \
	"$src/promote_lib.c" -o "$out/ibt/promote_lib.o"
notes=$(readelf -n "$out/ibt/promote_lib.o")
grep -q 'x86 feature: IBT' <<<"$notes" ||
	fail "IBT build without the IBT property"
# dlopen/dlclose loop: the stub memory of each unloaded copy goes with it
$cc -O2 -Wall -Werror -I"$inc" -I"$src" "$src/promote_dlclose.c" \
	-o "$out/promote/promote_dlclose" -ldl "${rt[@]}"
"$out/promote/promote_dlclose" "$out/promote/libpromote_lib.so" ||
	fail "promote_dlclose"
if [ "$kind" = gcc ]; then # its inline sites opened in every round
	"$out/promote/promote_dlclose" "$out/inline/libpromote_lib.so" >"$out/got" ||
		fail "promote_dlclose (inline)"
	grep -q ' 48 inline open' "$out/got" || fail "promote_dlclose (inline): $(cat "$out/got")"
	cat "$out/got"
fi

# Code sealed with mseal(2) under promotion: the runtime says once that
# it cannot write it; the sites stay where they are ("unwritable"), every
# result right, sealing still succeeds (77: a kernel without mseal)
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_mseal.c" \
	-o "$out/promote/promote_mseal" -ldl "${rt[@]}"
rc=0
"$out/promote/promote_mseal" >"$out/got" 2>"$out/err" || rc=$?
if [ $rc = 77 ]; then
	echo "promote_mseal: skipped: $(cat "$out/got")"
else
	[ $rc = 0 ] && grep -q '^mseal: ok$' "$out/got" &&
		[ "$(grep -c 'may no longer change its code' "$out/err")" = 1 ] ||
		fail "promote_mseal: $(cat "$out/got" "$out/err")"
	echo "promote_mseal: ok (one warning, its sites unwritable)"
fi

# static_call_seal(STATIC_CALL_SEAL_UPDATES) seals the promoted code
# and the stubs it reaches (77: a kernel without mseal)
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_seal_updates.c" \
	-o "$out/promote/promote_seal_updates" "${rt[@]}"
rc=0
"$out/promote/promote_seal_updates" >"$out/got" 2>"$out/err" || rc=$?
if [ $rc = 77 ]; then
	echo "promote_seal_updates: skipped: $(cat "$out/got")"
else
	[ $rc = 0 ] && grep -q '^seal updates: ok$' "$out/got" ||
		fail "promote_seal_updates: $(cat "$out/got" "$out/err")"
	echo "promote_seal_updates: ok"
	# and in a -static program (no link maps to pin its object by: it
	# sealed nothing before)
	if [ "$kind" = gcc ]; then
		$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" -static \
			"$src/promote_seal_updates.c" "$rtdir/libstaticcall.a" \
			-pthread -o "$out/promote/promote_seal_updates_static" \
			2>"$out/static.log" ||
			fail "promote_seal_updates -static: $(cat "$out/static.log")"
		"$out/promote/promote_seal_updates_static" >"$out/got" 2>"$out/err" &&
			grep -q '^seal updates: ok$' "$out/got" ||
			fail "promote_seal_updates -static: $(cat "$out/got" "$out/err")"
		echo "promote_seal_updates -static: ok"
	fi
fi

# A unit whose thunk calls and jumps are all unrecorded (a computed goto,
# an opted-out function's call) still defines the thunks it goes through
# (an opted-out function calls none now, a computed goto names its thunk).
$cc -O2 -Wall -Werror "${promote[@]}" "$src/promote_unrecorded.c" \
	-o "$out/promote_unrecorded" "${rt[@]}" ||
	fail "promote_unrecorded.c: no thunk for an unrecorded jump or call"
dis=$(objdump -d "$out/promote_unrecorded")
grep -q 'jmp.*__x86_indirect_thunk_' <<<"$dis" ||
	fail "promote_unrecorded: the computed goto is not on a thunk"
"$out/promote_unrecorded" || fail "promote_unrecorded: wrong result"
if [ "$kind" = gcc ]; then
	# GCC: the opted-out computed goto is the retpoline inline (through
	# the thunk, unrecorded, it would be sampled on every pass); the
	# jump to the thunk GCC prints after it is never reached
	fn=$(objdump -d --no-show-raw-insn "$out/promote_unrecorded" |
		sed -n '/<unrecorded_goto>:/,/^$/p')
	grep -q lfence <<<"$fn" ||
		fail "promote_unrecorded: no inline retpoline: $fn"
	awk '/(call|jmp) +[0-9a-f]+ <__x86_indirect_thunk_/ &&
		prev !~ /\tret *$/ { bad = 1 } { prev = $0 }
		END { exit bad }' <<<"$fn" ||
		fail "promote_unrecorded: a reachable thunk jump: $fn"
fi
# Jump sites (promote_jumps.c): GCC records each computed goto and table
# jump as a site of the tail-call shape (SC_PROMOTE_JUMP); 4 threads run
# a computed-goto and two switch interpreters over programs changing
# phase. Every build prints the plain build's checksums; GCC: every
# thunk jump of the interpreters is a recorded jump site (no inline
# retpoline left), the handlers' and the 4-target switch's promoted, the
# 12-target switch's promoted on a stub of 10-12 (a jump site's stub
# compares up to 16), the 24-target switch's given up on,
# demotions while the threads jump;
# promote-plain keeps them `jmp *%reg` (`notrack` for IBT table jumps).
# (-fjump-tables: GCC turns jump tables off under -mindirect-branch
# unless asked. Clang lowers them without jump tables under retpolines:
# no jump sites, the same results.)
jbuild() { # DIR FLAGS...
	local d=$out/$1
	shift
	mkdir -p "$d"
	$cc -O2 -fjump-tables -Wall -Werror -I"$inc" "$@" "$src/promote_jumps.c" \
		-o "$d/promote_jumps" -pthread "${rt[@]}"
}
jbuild plain
"$out/plain/promote_jumps" >"$out/jwant" 2>/dev/null
[ "$(wc -l <"$out/jwant")" = 4 ] || fail "jumps: plain build's output"
jbuild promote "${promote[@]}"
jbuild ibt "${promote[@]}" -fcf-protection=full
interp='/<(run_goto|run_switch|run_switch_mega|run_switch_wide)>:/,/^$/'
for b in promote ibt; do
	for env in STATICCALL_PROMOTE=off ""; do # (the checks below: the default run)
		env $env "$out/$b/promote_jumps" >"$out/got" 2>"$out/err" ||
			fail "jumps $b $env: exit status $?"
		cmp -s "$out/jwant" "$out/got" ||
			fail "jumps $b $env: results differ from the plain build"
		[ "$(stat "$out/err" rejected)" = 0 ] ||
			fail "jumps $b $env: rejected: $(cat "$out/err")"
		echo "jumps $b ${env:-default}: $(grep ^stats "$out/err")"
	done
	[ "$kind" = gcc ] || continue
	# every thunk jump of the interpreters is a recorded jump site
	dis=$(objdump -d --no-show-raw-insn "$out/$b/promote_jumps" |
		sed -En "$interp p")
	jmps=$(grep -cE 'jmp +[0-9a-f]+ <__x86_indirect_thunk_' <<<"$dis" || true)
	if grep -q lfence <<<"$dis"; then
		fail "jumps $b: an inline retpoline left: $dis"
	fi
	[ "$(stat "$out/err" jumps)" = "$jmps" ] && [ "$jmps" -ge 4 ] ||
		fail "jumps $b: $jmps thunk jumps: $(cat "$out/err")"
	# the loop handler's jump (to each program's first operation, 10 of
	# them) widened, demoted and re-promoted while the threads jump,
	# then given up on
	[ "$(grep -c '^jump run_goto: promoted' "$out/err")" -ge 2 ] &&
		[ "$(stat <(grep '^stats:' "$out/err") demotions)" -ge 1 ] &&
		grep -q '^jump run_switch: promoted [1-4] ' "$out/err" &&
		grep -qE '^jump run_switch_mega: promoted 1[0-2] ' "$out/err" &&
		grep -q '^jump run_switch_wide: megamorphic ' "$out/err" ||
		fail "jumps $b: states: $(cat "$out/err")"
done
if [ "$kind" = gcc ]; then
	# promote-plain: the jumps stay `jmp *%reg`, no site
	jbuild plainpromote -fplugin="$plugin" \
		-fplugin-arg-staticcall_gcc-promote-plain -mindirect-branch=thunk-extern
	"$out/plainpromote/promote_jumps" >"$out/got" 2>"$out/err" ||
		fail "jumps promote-plain: exit status $?"
	cmp -s "$out/jwant" "$out/got" || fail "jumps promote-plain: results differ"
	[ "$(stat "$out/err" jumps)" = 0 ] ||
		fail "jumps promote-plain: jump sites: $(cat "$out/err")"
	dis=$(objdump -d --no-show-raw-insn "$out/plainpromote/promote_jumps" |
		sed -En "$interp p")
	grep -q 'jmp    \*%' <<<"$dis" ||
		fail "jumps promote-plain: no jmp *%reg"
	# under IBT the table jump is `notrack` (its cases have no ENDBR)
	jbuild plainibt -fplugin="$plugin" -fcf-protection=full \
		-fplugin-arg-staticcall_gcc-promote-plain -mindirect-branch=thunk-extern
	"$out/plainibt/promote_jumps" >"$out/got" 2>"$out/err" ||
		fail "jumps promote-plain IBT: exit status $?"
	cmp -s "$out/jwant" "$out/got" || fail "jumps promote-plain IBT: results differ"
	dis=$(objdump -d --no-show-raw-insn "$out/plainibt/promote_jumps" |
		sed -n '/<run_switch>:/,/^$/p')
	grep -q 'notrack jmp \*%' <<<"$dis" ||
		fail "jumps promote-plain IBT: no notrack jmp: $dis"
fi

# A unit with static calls (trampolines on thunk r11) and promotion.
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" "$src/promote_with_keys.c" \
	-o "$out/promote_with_keys" "${rt[@]}" ||
	fail "promote_with_keys.c: no thunk for the static calls' trampolines"
"$out/promote_with_keys" || fail "promote_with_keys: wrong result"
if [ "$kind" = gcc ]; then
	# -masm=intel: the plugin's own text (AT&T) switches the assembler
	# back for itself; static calls, promotable and inline sites give
	# the code of the AT&T build, and it runs
	for m in att intel; do
		$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" \
			-fplugin-arg-staticcall_gcc-promote-inline -masm=$m \
			-c "$src/promote_with_keys.c" -o "$out/with_keys_$m.o" 2>"$out/err" ||
			fail "promote_with_keys.c, -masm=$m: $(cat "$out/err")"
	done
	cmp -s <(objdump -d "$out/with_keys_att.o" | tail -n +3) \
		<(objdump -d "$out/with_keys_intel.o" | tail -n +3) ||
		fail "promote_with_keys.c: -masm=intel gives other code"
	$cc "$out/with_keys_intel.o" -o "$out/with_keys_intel" "${rt[@]}" &&
		"$out/with_keys_intel" || fail "promote_with_keys, -masm=intel: wrong result"
fi
# A table jump whose location names no file (reduced from CPython): the
# GCC plugin's asm before it crashed cc1 in final
$cc -O2 -w "${promote[@]}" -fjump-tables -c "$src/jump_table_location.c" \
	-o "$out/jump_table_location.o" ||
	fail "jump_table_location.c: not compiled"
# Preprocessed input, compiled as ccache does (-E, then -c of the .i):
# the same code as from the source (GCC's plugin crashed defining its
# macro in a .i; Clang's gets no hook into the preprocessing run: the
# documented -D__STATICCALL_PLUGIN__=1, clang-plugin/README.md)
mkdir -p "$out/preprocessed"
pp=()
[ "$kind" = gcc ] || pp=(-D__STATICCALL_PLUGIN__=1)
$cc -O2 -I"$inc" "${promote[@]}" "${pp[@]}" -E "$src/promote_with_keys.c" \
	-o "$out/preprocessed/with_keys.i" &&
	$cc -O2 -Wall -Werror "${promote[@]}" -c "$out/preprocessed/with_keys.i" \
		-o "$out/preprocessed/with_keys.o" ||
	fail "promote_with_keys.c, preprocessed first: not compiled"
$cc -O2 -Wall -Werror -I"$inc" "${promote[@]}" -c "$src/promote_with_keys.c" \
	-o "$out/preprocessed/direct.o"
cmp -s <(objdump -d "$out/preprocessed/with_keys.o" | tail -n +3) \
	<(objdump -d "$out/preprocessed/direct.o" | tail -n +3) ||
	fail "promote_with_keys.c: preprocessed first, other code"
# A debugger stopped in the runtime's sampler walks out through the
# sampler's entry and the thunk's sample block (their unwind rows) to the
# site's function and main (promote_backtrace.c)
if command -v gdb >/dev/null; then
	$cc -O2 -g "${promote[@]}" "$src/promote_backtrace.c" \
		-o "$out/promote_backtrace" "${rt[@]}" ||
		fail "promote_backtrace.c: not built"
	LD_LIBRARY_PATH=$rtdir timeout 120 gdb -q -batch -nx \
		-ex 'set breakpoint pending on' \
		-ex 'break sc_promote_sample_entry' -ex run -ex bt -ex kill \
		"$out/promote_backtrace" >"$out/bt" 2>&1 || true
	grep -Eq '^#2 .* in __x86_indirect_thunk_' "$out/bt" &&
		grep -Eq '^#3 .* in caller_of_site ' "$out/bt" &&
		grep -Eq '^#4 .* in main ' "$out/bt" ||
		fail "backtrace from the sampler: $(grep '^#' "$out/bt")"
else
	echo "promotion: no gdb: the backtrace check skipped"
fi
echo "promotion: all checks passed"
