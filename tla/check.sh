#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Model-check the protocol with both checkers on the same bounds: spin on
# tla/ringmpsc.pml, TLC on tla/RingMPSC.tla. Every positive run must find
# no error and reach what its configuration promises; every negative run
# must find an error, for the reason it is meant to; and where both
# checkers ran a positive configuration, the states the two models reach,
# projected on the variables they share, must be the same set.
#
#   tla/check.sh [OUTDIR]            (default: build/tla)
#   tla/check.sh --cfg NAME          print the TLC configuration of a check
#   FULL=1        also the checks marked full (make check-model-full)
#   JOBS=n        checks run at once (default 2)
#   ONLY=regex    only the configurations whose name matches
#   CHECKERS="spin tlc"  only these checkers
#   TLC_JAR=file  tla2tools.jar (default: ../shared/tools/tla2tools.jar
#                 next to the repository); without it the TLC checks are
#                 skipped, loudly, unless TLC_REQUIRED=1 (or FULL=1)
#   TLC_WORKERS=n TLC worker threads per check (default 1: JOBS checks
#                 already share the CPUs)
#
# One line per check, then "model: N passed, N failed" (also written to
# $RINGMPSC_RESULT). Exit 1 on any failure. Logs, generated TLC
# configurations and counterexamples stay in OUTDIR/{spin,tlc}/<name>/;
# each has rerun.sh, which runs that check again by hand.

set -u

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/tla}
jobs=${JOBS:-2}
only=${ONLY:-}
full=${FULL:-0}
checkers_on=" ${CHECKERS:-spin tlc} "
tlc_workers=${TLC_WORKERS:-1}
CC=${CC:-gcc}
tlc_jar=${TLC_JAR:-$(dirname "$here")/../shared/tools/tla2tools.jar}

# ---- what is checked -------------------------------------------------------
#
# name | kind | checkers | spin -D flags | claims | expect
#
# kind: safe  exhaustive safety: invariants (spin: assertions), and no
#             stuck state but the quiet end (spin: the timeout monitor;
#             TLC: deadlock). expect = tags the run must reach, so that a
#             pass is not vacuous (spin: @reach:<tag> lines executed;
#             TLC: the action of TAG_ACTION[tag] taken, from -coverage).
#       live  safety as above, plus the claims under weak fairness (spin:
#             one pan -a -f run per ltl claim; TLC: the PROPERTIES of
#             CLAIM_PROP). For each claim with a left-hand side, TLC must
#             also reach it (CLAIM_WITNESS: it must report the invariant
#             "no witness" violated), so that the claim is not vacuous.
#       neg   must report the error named by expect (REASON_SPIN,
#             REASON_TLC); with a claim, the claim alone must catch it
#             (spin -A: assertions off; TLC: no invariants, no deadlock
#             check).
# checkers: "spin tlc"; a checker with ":full" runs only with FULL=1.
# make check-model runs the TLC checks that fit in about 5 minutes on two
# cores (tla/README.md has the figures): the safety of life1, of the
# three asym configurations and of waitc, the claims on the one-producer
# shapes, every negative; the others need FULL=1.
#
# The TLC constants come from the spin flags (tlc_constants): both
# checkers always run the same bounds.
#
# Configurations (README.md has the table): ring2 = two producers, wrap,
# batches, no faults; life1 = one producer that dies twice, a consumer
# that dies once; life2p / life2c = two producers, one producer death /
# one consumer death; cap4 = a ring of four slots. small1, small2, ...:
# smaller shapes for the claims in make check-model (live-<shape>); the
# claims on the shapes above (live-<name>) run with FULL=1. NEG1: the
# negatives, one producer, no faults (the smallest shape that sleeps
# both ways, so that TLC's breadth-first search reaches the error soon).
#
# The asymmetric barrier (-DASYM, what the library runs when membarrier()
# is there; the models' default is the symmetric fallback, every
# publisher fences): asym1 = small1, producer and consumer registered;
# asymmix = two producers, only producer 1 registered (-DASYM_REG=2:
# producer 0 and the consumer keep their mfence); asymfail = asym1 where
# any membarrier() may fail (-DMB_FAIL: the sleeper then sleeps in
# slices, INV-WAKE-06).
#
# -DWAITC (TLA+ WAITC): producers wait as an event loop with
# RINGMPSC_WAIT_CONSUMER does, for room and a consumer, through the
# eventfd; a consumer's attach signals them (INV-STREAM-04). waitc =
# small1 so; its negatives drop that signal.
RING2="-DNP=2 -DCAP=2 -DMSGS=3 -DMSGS1=2 -DBATCH=2 -DPCRASH=0 -DCCRASH=0"
LIFE1="-DNP=1 -DCAP=2 -DMSGS=4 -DBATCH=2 -DPCRASH=2 -DCCRASH=1"
LIFE2P="-DNP=2 -DCAP=2 -DMSGS=2 -DMSGS1=1 -DBATCH=2 -DPCRASH=1 -DCCRASH=0"
LIFE2C="-DNP=2 -DCAP=2 -DMSGS=2 -DMSGS1=1 -DBATCH=2 -DPCRASH=0 -DCCRASH=1"
CAP4="-DNP=1 -DCAP=4 -DMSGS=5 -DBATCH=3 -DPCRASH=1 -DCCRASH=1"
SMALL1="-DNP=1 -DCAP=2 -DMSGS=3 -DBATCH=2 -DPCRASH=1 -DCCRASH=1"
SMALL2="-DNP=2 -DCAP=2 -DMSGS=2 -DMSGS1=1 -DBATCH=2 -DPCRASH=0 -DCCRASH=0"
SMALL2N="-DNP=2 -DCAP=2 -DMSGS=3 -DMSGS1=1 -DBATCH=2 -DPCRASH=0 -DCCRASH=0"
SMALL2M="-DNP=2 -DCAP=2 -DMSGS=1 -DMSGS1=1 -DBATCH=2 -DPCRASH=0 -DCCRASH=0"
SMALL1P="-DNP=1 -DCAP=2 -DMSGS=3 -DBATCH=2 -DPCRASH=1 -DCCRASH=0"
NEG1="-DNP=1 -DCAP=2 -DMSGS=3 -DBATCH=2 -DPCRASH=0 -DCCRASH=0"
ASYM1="$SMALL1 -DASYM"
ASYMMIX="-DASYM -DASYM_REG=2"
ASYMFAIL="-DASYM -DMB_FAIL"
WAITC1="$SMALL1 -DWAITC"
WAITC1C="-DNP=1 -DCAP=2 -DMSGS=2 -DBATCH=2 -DPCRASH=0 -DCCRASH=1 -DWAITC"

WAKES="psleep pwakes csleep cwakes"
DRAINS="pdrain cdrain"
SLICES="pslice cslice"
FAULTS="recycle reattach redeliver cdeath attach-recycle"
ALL_CLAIMS="wakec wakep delivered quiesce"
C_CLAIMS="wakec delivered quiesce"   # producers cannot fill their rings

checks=(
"ring2|safe|spin tlc:full|$RING2||$WAKES"
"life1|safe|spin tlc|$LIFE1||$WAKES $FAULTS"
"life2p|safe|spin tlc:full|$LIFE2P||csleep pwakes recycle reattach"
"life2c|safe|spin tlc:full|$LIFE2C||csleep pwakes redeliver cdeath"
"cap4|safe|spin tlc:full|$CAP4||$WAKES $FAULTS"
"asym1|safe|spin tlc|$ASYM1||$WAKES $DRAINS $FAULTS"
"asymmix|safe|spin tlc|$SMALL2N $ASYMMIX||$WAKES $DRAINS"
"asymfail|safe|spin tlc|$SMALL1 $ASYMFAIL||$WAKES $DRAINS $SLICES $FAULTS"
"live-small1|live|spin tlc|$SMALL1|$ALL_CLAIMS|"
"live-small2|live|spin tlc:full|$SMALL2|$C_CLAIMS|"
"live-asym-small1p|live|spin tlc|$SMALL1P -DASYM|$ALL_CLAIMS|"
"live-asymmix-small2m|live|spin tlc:full|$SMALL2M $ASYMMIX|$C_CLAIMS|"
"live-asymfail-small1p|live|spin tlc|$SMALL1P $ASYMFAIL|$ALL_CLAIMS|"
"waitc|safe|spin tlc|$WAITC1||$WAKES arrival $FAULTS"
"live-waitc-small1c|live|spin tlc|$WAITC1C|$ALL_CLAIMS|"
# The claims on the shapes of the safety runs: the slow ones.
"live-ring2|live|spin:full tlc:full|$RING2|$ALL_CLAIMS|"
"live-life1|live|spin:full tlc:full|$LIFE1|$ALL_CLAIMS|"
"live-life2p|live|spin:full tlc:full|$LIFE2P|$C_CLAIMS|"
"live-life2c|live|spin:full tlc:full|$LIFE2C|$C_CLAIMS|"
"live-cap4|live|spin:full tlc:full|$CAP4|$ALL_CLAIMS|"
"live-asym1|live|spin:full tlc:full|$ASYM1|$ALL_CLAIMS|"
"live-asymmix|live|spin:full tlc:full|$SMALL2N $ASYMMIX|$ALL_CLAIMS|"
"live-asymfail|live|spin:full tlc:full|$SMALL1 $ASYMFAIL|$ALL_CLAIMS|"
# INV-WAKE-01/02/03: each half of each Dekker pair, both directions.
"neg-sleeper-barrier-c|neg|spin tlc|$NEG1 -DNO_SLEEPER_BARRIER=1||lost-c"
"neg-sleeper-barrier-p|neg|spin tlc|$NEG1 -DNO_SLEEPER_BARRIER=2||lost-p"
"neg-publisher-barrier-c|neg|spin tlc|$NEG1 -DNO_PUBLISHER_BARRIER=1||lost-c"
"neg-publisher-barrier-p|neg|spin tlc|$NEG1 -DNO_PUBLISHER_BARRIER=2||lost-p"
"neg-recheck-c|neg|spin tlc|$NEG1 -DNO_RECHECK=1||lost-c"
"neg-recheck-p|neg|spin tlc|$NEG1 -DNO_RECHECK=2||lost-p"
# INV-WAKE-05: attach and detach must signal the consumer.
"neg-detach-wake|neg|spin tlc|$NEG1 -DNO_DETACH_WAKE||lost-c"
# INV-STREAM-04: a consumer's attach must signal the producers waiting
# for one, as a stuck state and as a violated claim.
"neg-attach-wake|neg|spin tlc|$NEG1 -DWAITC -DNO_ATTACH_WAKE||lost-p"
"neg-live-attach-wake|neg|spin tlc|$NEG1 -DWAITC -DNO_ATTACH_WAKE|wakep|cycle"
# ... and the producer's re-check must load consumer_state again.
"neg-presence-recheck|neg|spin tlc|$NEG1 -DWAITC -DNO_PRESENCE_RECHECK||lost-p"
# INV-RING-05/-09: the release and acquire orderings.
"neg-release|neg|spin tlc|$NEG1 -DNO_RELEASE||bad-msg"
"neg-acquire|neg|spin tlc|$NEG1 -DNO_ACQUIRE||bad-msg"
"neg-cons-release|neg|spin tlc|$NEG1 -DNO_CONS_RELEASE||bad-msg"
# The claims on their own: a lost wakeup must show as a violated claim,
# not only as a stuck state.
"neg-live-recheck-c|neg|spin tlc|$NEG1 -DNO_RECHECK=1|wakec|cycle"
"neg-live-wake-c|neg|spin tlc|$NEG1 -DNO_SLEEPER_BARRIER=1|wakec|cycle"
"neg-live-wake-p|neg|spin tlc|$NEG1 -DNO_PUBLISHER_BARRIER=2|wakep|cycle"
"neg-live-delivered|neg|spin tlc|$NEG1 -DNO_DETACH_WAKE|delivered|cycle"
# ASYM, INV-WAKE-02: a registered publisher has no fence of its own, so
# the sleeper's membarrier() is needed in both directions; an
# unregistered one keeps its fence (membarrier() does not reach it).
"neg-membarrier-c|neg|spin tlc|$NEG1 -DASYM -DNO_MEMBARRIER=1||lost-c"
"neg-membarrier-p|neg|spin tlc|$NEG1 -DASYM -DNO_MEMBARRIER=2||lost-p"
"neg-asym-mix-publisher|neg|spin tlc|$SMALL2M $ASYMMIX -DNO_PUBLISHER_BARRIER=1||lost-c"
# INV-WAKE-06: after a failed membarrier(), an unbounded sleep can be lost.
"neg-slice-c|neg|spin tlc|$NEG1 -DASYM -DMB_FAIL -DNO_SLICE=1||lost-c"
"neg-slice-p|neg|spin tlc|$NEG1 -DASYM -DMB_FAIL -DNO_SLICE=2||lost-p"
"neg-live-membarrier-p|neg|spin tlc|$NEG1 -DASYM -DNO_MEMBARRIER=2|wakep|cycle"
"neg-live-slice-c|neg|spin tlc|$NEG1 -DASYM -DMB_FAIL -DNO_SLICE=1|wakec|cycle"
)

# What a spin tag is in RingMPSC.tla: the action that does the same.
declare -A TAG_ACTION=(
	[psleep]=PSleep [pwakes]=PWakeCall [csleep]=CSleep [cwakes]=CWakeCall
	[recycle]=CRecycle [reattach]=PDetach [redeliver]=CRedeliver
	[cdeath]=CDetach [attach-recycle]=PAttachRecycle
	[pdrain]=PDrain [cdrain]=CDrain [pslice]=PSlice [cslice]=CSlice
	[arrival]=CArrivalWake
)
# spin's ltl claims and RingMPSC.tla's properties; the witness of each
# (the negation of its left-hand side, an invariant TLC must violate).
declare -A CLAIM_PROP=([wakec]=WakeConsumer [wakep]=WakeProducer
	[delivered]=Delivered [quiesce]=Quiesce)
declare -A CLAIM_WITNESS=([wakec]=NoCStuck [wakep]=NoPStuck [delivered]=NoPending)

# The errors a negative check expects, as each checker reports them.
declare -A REASON_SPIN=(
	[lost-c]='assertion violated.*c_asleep'         # consumer asleep with work
	[lost-p]='assertion violated.*p_asleep'         # producer asleep with room
	[bad-msg]='assertion violated.*(cgen|gen\[)'    # stale/partial slot
	[cycle]='acceptance cycle'
)
declare -A REASON_TLC=(
	[lost-c]='^Error: Deadlock reached'             # ... and casleep (tlc_last_state)
	[lost-p]='^Error: Deadlock reached'             # ... and pasleep
	[bad-msg]='^Error: Invariant (CommittedWindow|DeliverOK|ReservationExclusive) is violated'
	[cycle]='^Error: Temporal property CLAIM was violated'   # the claim's property
)
declare -A REASON_LAST=([lost-c]='casleep = TRUE' [lost-p]='pasleep = .*TRUE')
declare -A WHAT=(
	[lost-c]="lost wakeup, the consumer sleeps with work"
	[lost-p]="lost wakeup, a producer sleeps with room"
	[bad-msg]="a stale or partial slot is visible/delivered"
	[cycle]="the claim is violated"
)

INVARIANTS="TypeOK BoundedCount CommittedWindow SingleWriter ReservationExclusive DeliverOK IndicesSane"
ACTION_PROPS="Monotonic StateMachine RecycleDrained"

# CPU seconds that the children of the calling shell used, from the output
# of "times" (run in that shell, not in a subshell): the figure that the
# load of a shared machine does not inflate much.
cpu_of() {  # file
	awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# ---- spin ------------------------------------------------------------------

# Build a verifier once per (flags, cc flags), with its shared-states
# reader; parallel runs of the same one wait for it (flock).
spin_build() {  # dir defs ccflags
	local dir=$1 defs=$2 ccflags=$3
	(
		flock 9
		[[ -x $dir/pan ]] && exit 0
		cd "$dir" || exit 1
		cp "$here/ringmpsc.pml" ringmpsc.pml
		spin -a $defs ringmpsc.pml > spin.log 2>&1 || { echo "spin -a failed ($dir/spin.log)"; exit 1; }
		$CC $ccflags -DSVDUMP -DMEMLIM=4096 -w -o pan.tmp pan.c > cc.log 2>&1 ||
			{ echo "cc failed ($dir/cc.log)"; exit 1; }
		$CC -O2 -Wall -Wextra -Werror $ccflags -DSVDUMP -o shared-states "$here/shared-states.c" -I. >> cc.log 2>&1 ||
			{ echo "cc shared-states.c failed ($dir/cc.log)"; exit 1; }
		mv pan.tmp pan
	) 9> "$dir.lock"
}

# pan's report of a run that must find no error: "" if it found none and
# finished, else why not.
pan_trouble() {  # log
	local errors
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$1" | head -1)
	if [[ -z $errors ]]; then
		echo "pan did not finish ($1)"
	elif ((errors != 0)); then
		grep -m1 -E 'violated|cycle|invalid|error' "$1"
	elif grep -Eq 'reached -DMEMLIM|max search depth too small|Search not completed' "$1"; then
		echo "search incomplete ($1)"
	fi
}

# The tags of $expect that the run did not reach (see the model's header).
spin_unreached() {  # bin expect
	local bin=$1 tag line missing=""
	for tag in $2; do
		line=$(grep -n -- "@reach:$tag \*/" ringmpsc.pml | cut -d: -f1)
		if [[ -z $line ]]; then
			missing="$missing $tag(no such tag)"
		elif [[ $line == *$'\n'* ]]; then
			missing="$missing $tag(tagged twice)"
		elif ! grep -q "ringmpsc.pml:$line - " "$bin/pan.m"; then
			# pan lists only unreached code it has
			missing="$missing $tag(line $line compiled out)"
		elif grep -q "ringmpsc.pml:$line," pan.log; then
			missing="$missing $tag(line $line)"
		fi
	done
	echo "$missing"
}

# Run pan; with shared=1 also collect the shared states it stores (a FIFO
# between pan's -DSVDUMP output and shared-states).
pan_run() {  # bin shared pan-flags...
	local bin=$1 shared=$2 reader fd
	shift 2
	if ((shared)); then
		rm -f ringmpsc.pml.svd
		mkfifo ringmpsc.pml.svd || return 1
		"$bin/shared-states" ringmpsc.pml.svd > shared.tmp &
		reader=$!
		"$bin/pan" "$@" -p"$("$bin/shared-states" --prefix)" > pan.log 2>&1
		# if pan never opened the FIFO, end the reader's wait
		exec {fd}<>ringmpsc.pml.svd
		exec {fd}>&-
		wait "$reader" && mv shared.tmp shared
		rm -f ringmpsc.pml.svd
	else
		"$bin/pan" "$@" > pan.log 2>&1
	fi
}

spin_one() {  # name kind defs claims expect
	local name=$1 kind=$2 defs=$3 claims=$4 expect=$5
	local dir=$out/spin/$name bin ccflags runflags res detail states="" t0=$SECONDS
	local claim trouble n
	case $kind in
	safe) ccflags="-O2 -DSAFETY -DCOLLAPSE"; runflags="-m200000 -w25" ;;
	live) ccflags="-O2 -DCOLLAPSE -DNFAIR=3"; runflags="-a -f -m200000 -w24"
	      defs="$defs -DLIVENESS" ;;
	neg)  runflags="-m200000 -w22"
	      if [[ -n $claims ]]; then
		      ccflags="-O0 -DCOLLAPSE -DNFAIR=3"; runflags="$runflags -a -f -A -N $claims"
		      defs="$defs -DLIVENESS"
	      else
		      ccflags="-O0 -DSAFETY"
	      fi ;;
	esac
	# one verifier per configuration: the claims of a live run share it
	bin=$out/bin-$(echo "$defs $ccflags" | md5sum | cut -c1-12)
	rm -rf "$dir"
	mkdir -p "$bin" "$dir" || return 1
	cd "$dir" || return 1
	detail=$(spin_build "$bin" "$defs" "$ccflags")
	if [[ -n $detail ]]; then
		printf 'FAIL spin %-24s %s\n' "$name" "$detail" > result
		return
	fi
	cp "$bin/ringmpsc.pml" .
	echo "cd $dir && spin -t -p -g -l $defs ringmpsc.pml   # replay the trail" > rerun.sh
	res=PASS
	case $kind in
	neg)
		"$bin/pan" $runflags > pan.log 2>&1
		states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | head -1)
		n=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -1)
		if [[ -z $n ]]; then
			res=FAIL; detail="pan did not finish (pan.log)"
		elif ((n == 0)); then
			res=FAIL; detail="no counterexample: the model is too weak"
		elif grep -Eq "${REASON_SPIN[$expect]}" pan.log; then
			detail="counterexample: ${WHAT[$expect]}${claims:+ ($claims)}"
		else
			res=FAIL; detail="an error, not the expected one: $(grep -m1 -E 'violated|cycle|invalid' pan.log)"
		fi ;;
	safe)
		pan_run "$bin" 1 $runflags
		states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | head -1)
		trouble=$(pan_trouble pan.log)
		[[ -z $trouble ]] && trouble=$(spin_unreached "$bin" "$expect")
		if [[ -n $trouble ]]; then
			res=FAIL; detail="$trouble"
			[[ $trouble == " "* ]] && detail="vacuous, never reached:$trouble"
		else
			detail="no error, reached: $expect"
		fi ;;
	live)
		# the shared states once, with the first claim
		n=1
		for claim in $claims; do
			pan_run "$bin" $n $runflags -N "$claim"
			n=0
			mv pan.log "pan-$claim.log"
			states="$states${states:+/}$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "pan-$claim.log" | head -1)"
			trouble=$(pan_trouble "pan-$claim.log")
			if [[ -n $trouble ]]; then
				res=FAIL; detail="$claim: $trouble"
				break
			fi
		done
		[[ $res == PASS ]] && detail="no error: $claims" ;;
	esac
	times > times.txt
	printf '%s spin %-24s %s; %s states, %ds (cpu %ss)\n' "$res" "$name" "$detail" \
		"${states:-?}" $((SECONDS - t0)) "$(cpu_of times.txt)" > result
}

# ---- TLC -------------------------------------------------------------------

# The CONSTANTS of RingMPSC.tla for a set of spin flags (the defaults are
# the Promela model's).
tlc_constants() {  # defs
	local -A c=([NP]=2 [CAP]=2 [MSGS]=3 [BATCH]=2 [PCRASH]=1 [CCRASH]=1)
	local f k v asym=FALSE mbfail=FALSE waitc=FALSE regmask=255 neg="" reg="" i msgs1=""
	for f in $1; do
		f=${f#-D}; k=${f%%=*}; v=${f#*=}
		[[ $f == *=* ]] || v=""
		case $k in
		NP|CAP|MSGS|BATCH|PCRASH|CCRASH) c[$k]=$v ;;
		MSGS1) msgs1=$v ;;
		ASYM) asym=TRUE ;;
		ASYM_REG) regmask=$v ;;
		MB_FAIL) mbfail=TRUE ;;
		WAITC) waitc=TRUE ;;
		NO_*)
			if [[ -z $v ]]; then
				neg="$neg, \"$k\""
			else
				((v & 1)) && neg="$neg, \"${k}_C\""
				((v & 2)) && neg="$neg, \"${k}_P\""
			fi ;;
		LIVENESS|SB) ;;
		*) echo "tlc_constants: unknown flag -D$f" >&2; return 1 ;;
		esac
	done
	if [[ $asym == TRUE ]]; then
		for ((i = 0; i <= c[NP]; i++)); do
			((regmask >> i & 1)) && reg="$reg, $i"
		done
	fi
	printf '    %s = %s\n' NP "${c[NP]}" CAP "${c[CAP]}" MSGS "${c[MSGS]}" \
		MSGS1 "${msgs1:-${c[MSGS]}}" BATCH "${c[BATCH]}" PCRASH "${c[PCRASH]}" \
		CCRASH "${c[CCRASH]}" ASYM "$asym" REG "{${reg#, }}" MBFAIL "$mbfail" \
		WAITC "$waitc" NEG "{${neg#, }}"
}

tlc_cfg() {  # defs invariants properties deadlock
	echo "\\* generated by tla/check.sh"
	echo "SPECIFICATION Spec"
	echo "CONSTANTS"
	tlc_constants "$1" || return 1
	[[ -n $2 ]] && printf 'INVARIANTS\n' && printf '    %s\n' $2
	[[ -n $3 ]] && printf 'PROPERTIES\n' && printf '    %s\n' $3
	echo "CHECK_DEADLOCK $4"
}

# Run TLC in the current directory on RingMPSC.cfg; tlc.log gets its
# output, "shared" the distinct lines PrintShared printed.
tlc_run() {  # extra-flags...
	printf 'cd %q && java -XX:+UseParallelGC -cp %q tlc2.TLC -workers %s -noGenerateSpecTE -metadir states %s -config RingMPSC.cfg RingMPSC.tla\n' \
		"$PWD" "$tlc_jar" "$tlc_workers" "$*" > rerun.sh
	rm -rf states
	java -XX:+UseParallelGC -cp "$tlc_jar" tlc2.TLC -workers "$tlc_workers" \
		-noGenerateSpecTE -metadir states "$@" -config RingMPSC.cfg RingMPSC.tla 2>&1 |
		awk '/^"<</ { if (!seen[$0]++) print > "shared"; next } { print }' > tlc.log
	rm -rf states
}

tlc_distinct() {  # log
	sed -n 's/^[0-9]* states generated, \([0-9]*\) distinct states found.*/\1/p' "$1" | tail -1
}

# "" if TLC finished without an error, else why not.
tlc_trouble() {  # log
	if grep -q '^Model checking completed. No error has been found.' "$1"; then
		return
	fi
	grep -m1 -E '^Error:|[Ee]xception' "$1" || echo "TLC did not finish ($1)"
}

# The last state of TLC's counterexample.
tlc_last_state() {  # log
	awk '/^State [0-9]+:/ { s = "" } { s = s "\n" $0 } END { print s }' "$1"
}

# The configuration TLC runs for a check: what it checks follows its
# kind; with shared=1 a positive one also prints the shared states.
tlc_check_cfg() {  # kind defs claims shared
	local kind=$1 defs=$2 claims=$3 props=$ACTION_PROPS invs=$INVARIANTS deadlock=TRUE claim
	for claim in $claims; do
		props="$props ${CLAIM_PROP[$claim]}"
	done
	case $kind in
	safe|live) (($4)) && invs="$invs PrintShared" ;;
	neg) if [[ -n $claims ]]; then   # the claim alone
		     invs=""; props=${props#"$ACTION_PROPS"}; deadlock=FALSE
	     fi ;;
	esac
	tlc_cfg "$defs" "$invs" "$props" "$deadlock"
}

tlc_one() {  # name kind defs claims expect
	local name=$1 kind=$2 defs=$3 claims=$4 expect=$5
	local dir=$out/tlc/$name res=PASS detail states t0=$SECONDS flags="" claim tag a missing w
	rm -rf "$dir"
	mkdir -p "$dir" && cd "$dir" || return 1
	cp "$here/RingMPSC.tla" .
	if ! tlc_check_cfg "$kind" "$defs" "$claims" 1 > RingMPSC.cfg; then
		printf 'FAIL tlc  %-24s bad flags: %s\n' "$name" "$defs" > result
		return
	fi
	case $kind in
	safe) flags="-coverage 60" ;;           # for the tags
	*)    flags="-lncheck final" ;;         # the claims once, at the end
	esac
	tlc_run $flags
	rm -f shared.tmp
	states=$(tlc_distinct tlc.log)
	detail=$(tlc_trouble tlc.log)
	if [[ $kind == neg ]]; then
		if [[ -z $detail ]]; then
			res=FAIL; detail="no counterexample: the model is too weak"
		elif grep -Eq "${REASON_TLC[$expect]/CLAIM/${CLAIM_PROP[${claims:-none}]:-}}" tlc.log &&
		     { [[ -z ${REASON_LAST[$expect]:-} ]] ||
		       tlc_last_state tlc.log | grep -Eq "${REASON_LAST[$expect]}"; }; then
			detail="counterexample: ${WHAT[$expect]}${claims:+ (${CLAIM_PROP[$claims]})} [TLC: ${detail#Error: }]"
		else
			res=FAIL; detail="an error, not the expected one: $detail"
		fi
	elif [[ -n $detail ]]; then
		res=FAIL
	else
		missing=""
		for tag in $expect; do
			a=${TAG_ACTION[$tag]:-}
			if [[ -z $a ]]; then
				missing="$missing $tag(no action)"
			elif ! grep -Eq "^<$a line [0-9]+, col [0-9]+ to .*>: [0-9]+:[1-9]" tlc.log; then
				missing="$missing $tag($a)"
			fi
		done
		# each claim's left-hand side is reachable: ~witness is violated
		for claim in $claims; do
			w=${CLAIM_WITNESS[$claim]:-}
			[[ -z $w ]] && continue
			mkdir -p "witness-$w" && cp RingMPSC.tla "witness-$w/"
			(cd "witness-$w" && tlc_cfg "$defs" "$w" "" FALSE > RingMPSC.cfg && tlc_run)
			grep -q "^Error: Invariant $w is violated" "witness-$w/tlc.log" ||
				missing="$missing ${w#No}"
		done
		if [[ -n $missing ]]; then
			res=FAIL; detail="vacuous, never reached:$missing"
		elif [[ $kind == safe ]]; then
			detail="No error has been found, reached: $expect"
		else
			detail="No error has been found: $claims"
		fi
	fi
	times > times.txt
	printf '%s tlc  %-24s %s; %s states, %ds (cpu %ss)\n' "$res" "$name" "$detail" \
		"${states:-?}" $((SECONDS - t0)) "$(cpu_of times.txt)" > result
}

# ---- the two models against each other ---------------------------------------

# Both checkers ran a positive configuration: the shared states must agree.
xcheck_one() {  # name
	local s=$out/spin/$1 t=$out/tlc/$1 ns only_s only_t
	if [[ ! -f $s/shared || ! -f $t/shared ]]; then
		printf 'FAIL xcheck %-22s no shared states from %s\n' "$1" \
			"$([[ -f $s/shared ]] || echo -n "spin ")$([[ -f $t/shared ]] || echo -n tlc)"
		return
	fi
	sort -o "$s/shared" "$s/shared"
	sort -o "$t/shared" "$t/shared"
	ns=$(wc -l < "$s/shared")
	only_s=$(comm -23 "$s/shared" "$t/shared" | wc -l)
	only_t=$(comm -13 "$s/shared" "$t/shared" | wc -l)
	if ((only_s || only_t || ns == 0)); then
		printf 'FAIL xcheck %-22s %d shared states only in spin, %d only in TLC (comm %s/shared %s/shared)\n' \
			"$1" "$only_s" "$only_t" "$s" "$t"
	else
		printf 'PASS xcheck %-22s the same %d shared states in both models\n' "$1" "$ns"
	fi
}

# ---- run -------------------------------------------------------------------

# tla/check.sh --cfg NAME: the TLC configuration of a check, to run by hand.
if [[ ${1:-} == --cfg ]]; then
	for c in "${checks[@]}"; do
		IFS='|' read -r name kind checkers defs claims expect <<< "$c"
		[[ $name == "${2:-}" ]] && { tlc_check_cfg "$kind" "$defs" "$claims" 0; exit; }
	done
	echo "no check named '${2:-}'" >&2
	exit 2
fi

mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
rm -rf "$out"/bin-*     # the model may have changed: rebuild every verifier

have_spin=1 have_tlc=1
command -v spin >/dev/null 2>&1 || have_spin=0
if ! command -v java >/dev/null 2>&1; then
	have_tlc=0; no_tlc="java not found (Debian package default-jre-headless)"
elif [[ ! -f $tlc_jar ]]; then
	have_tlc=0
	if [[ -n ${TLC_JAR:-} ]]; then
		no_tlc="TLC_JAR=$TLC_JAR: no such file"
	else
		no_tlc="no tla2tools.jar at $tlc_jar (../shared/tools/ next to the repository); set TLC_JAR to its path"
	fi
else
	tlc_jar=$(cd "$(dirname "$tlc_jar")" && pwd)/$(basename "$tlc_jar")
fi

runs=()         # "checker|row" in the order they start
for c in "${checks[@]}"; do
	IFS='|' read -r name kind checkers defs claims expect <<< "$c"
	[[ -n $only && ! $name =~ $only ]] && continue
	for k in $checkers; do
		[[ $k == *:full && $full != 1 ]] && continue
		[[ $checkers_on == *" ${k%:full} "* ]] || continue
		runs+=("${k%:full}|$c")
	done
done
# TLC first: its runs are the longer ones.
mapfile -t runs < <(printf '%s\n' "${runs[@]}" | grep '^tlc|'; printf '%s\n' "${runs[@]}" | grep -v '^tlc|')

running=0
for r in "${runs[@]}"; do
	IFS='|' read -r k name kind checkers defs claims expect <<< "$r"
	[[ $k == spin ]] && ((!have_spin)) && continue
	[[ $k == tlc ]] && ((!have_tlc)) && continue
	("${k}_one" "$name" "$kind" "$defs" "$claims" "$expect") &
	running=$((running + 1))
	if ((running >= jobs)); then
		wait -n
		running=$((running - 1))
	fi
done
wait

pass=0 fail=0 skip=0
report() {  # line
	echo "$1"
	case $1 in
	PASS*) pass=$((pass + 1)) ;;
	SKIP*) skip=$((skip + 1)) ;;
	*)     fail=$((fail + 1)) ;;
	esac
}
((have_spin)) || report "FAIL spin: not found (Debian package 'spin')"
# TLC is not in any package registry: a machine without the jar runs the
# spin checks and says loudly that TLC's did not run, unless TLC is
# required (TLC_REQUIRED=1; make check-model-full).
if ((!have_tlc)); then
	if [[ ${TLC_REQUIRED:-$full} == 1 ]]; then
		report "FAIL tlc: $no_tlc"
	else
		report "SKIP tlc: $no_tlc: NO TLC CHECK RAN (TLC_REQUIRED=1 fails instead)"
	fi
fi
for c in "${checks[@]}"; do
	IFS='|' read -r name kind checkers defs claims expect <<< "$c"
	[[ -n $only && ! $name =~ $only ]] && continue
	ran=""
	for k in $checkers; do
		[[ $k == *:full && $full != 1 ]] && continue
		k=${k%:full}
		[[ $checkers_on == *" $k "* ]] || continue
		[[ $k == spin ]] && ((!have_spin)) && continue
		[[ $k == tlc ]] && ((!have_tlc)) && continue
		ran="$ran $k"
		if [[ -f $out/$k/$name/result ]]; then
			report "$(cat "$out/$k/$name/result")"
		else
			report "FAIL $k $name (no result)"
		fi
	done
	[[ $kind != neg && $ran == " spin tlc" ]] && report "$(xcheck_one "$name")"
done
line="$pass passed, $fail failed"
((skip)) && line="$line, $skip skipped"
echo "model: $line"
[[ -z ${RINGMPSC_RESULT:-} ]] || echo "$line" > "$RINGMPSC_RESULT"
((fail == 0))
