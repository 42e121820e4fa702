#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Model-check tla/ringmpsc.pml with spin: every positive run must find no
# error, every negative run must find one, for the reason it is meant to.
#
#   tla/check.sh [OUTDIR]            (default: build/tla)
#   JOBS=n        verifiers run at once (default: 2)
#   ONLY=regex    run only the checks whose name matches
#
# One line per check, then "model: N passed, N failed". Exit 1 on any
# failure. Verifiers, logs and counterexample trails stay in OUTDIR/<check>/;
# replay a counterexample with OUTDIR/<check>/replay.sh.

set -u

here=$(cd "$(dirname "$0")" && pwd)
model=$here/ringmpsc.pml
out=${1:-build/tla}
jobs=${JOBS:-2}
only=${ONLY:-}
CC=${CC:-gcc}

if ! command -v spin >/dev/null 2>&1; then
	echo "FAIL model: spin not found (Debian package 'spin')"
	echo "model: 0 passed, 1 failed"
	[[ -z ${RINGMPSC_RESULT:-} ]] || echo "0 passed, 1 failed" > "$RINGMPSC_RESULT"
	exit 1
fi
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
rm -rf "$out"/bin-*     # the model may have changed: rebuild every verifier

# name | kind | spin -D flags | pan flags | expect
#
# kind: safe  exhaustive safety: assertions, invariants, quiescence.
#             expect = @reach:<tag> lines of the model that the run must
#             compile in and execute, so that a pass is not vacuous
#             (nobody ever slept, no membarrier() drained anything...)
#       live  LTL under weak fairness (acceptance cycles); one verifier
#             per configuration, the claim chosen with -N
#       neg   must report an error matching the regex expect, so that a
#             negative fails for its own reason
#
# Configurations (README.md has the table): ring2 = two producers, wrap,
# batches, no faults; life1 = one producer that dies twice, a consumer
# that dies once; life2p / life2c = two producers, one producer death /
# one consumer death; cap4 = a ring of four slots; small1 / small2: the
# shapes of life1 and ring2 with fewer messages, for the liveness runs
# and the negatives.
#
# The asymmetric barrier (-DASYM, what the library runs when membarrier()
# is there; the model's default is the symmetric fallback, every
# publisher fences): asym1 = small1, producer and consumer registered;
# asymmix = two producers, only producer 1 registered (-DASYM_REG=2:
# producer 0 and the consumer keep their mfence), small2n for safety,
# small2m (one message each) for liveness; asymfail = asym1 where any
# membarrier() may fail (-DMB_FAIL: the sleeper then sleeps in slices,
# INV-WAKE-06), small1 for safety, small1p (no consumer death) for
# liveness.
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
ASYM1="$SMALL1 -DASYM"
ASYMMIX="-DASYM -DASYM_REG=2"
ASYMFAIL="-DASYM -DMB_FAIL"

WAKES="psleep pwakes csleep cwakes"
DRAINS="pdrain cdrain"
SLICES="pslice cslice"
FAULTS="recycle reattach redeliver cdeath attach-recycle"

LOST_C='assertion violated.*c_asleep'       # consumer asleep with work
LOST_P='assertion violated.*p_asleep'       # producer asleep with room
BAD_MSG='assertion violated.*(cgen|gen\[)'  # stale/partial slot delivered or visible
CYCLE='acceptance cycle'
declare -A WHAT=(
	[$LOST_C]="lost wakeup, the consumer sleeps with work"
	[$LOST_P]="lost wakeup, a producer sleeps with room"
	[$BAD_MSG]="a stale or partial slot is visible/delivered"
	[$CYCLE]="acceptance cycle: a sleeper is never woken"
)

checks=(
"safe-ring2|safe|$RING2||$WAKES"
"safe-life1|safe|$LIFE1||$WAKES $FAULTS"
"safe-life2p|safe|$LIFE2P||csleep pwakes recycle reattach"
"safe-life2c|safe|$LIFE2C||csleep pwakes redeliver cdeath"
"safe-cap4|safe|$CAP4||$WAKES $FAULTS"
"safe-asym-1|safe|$ASYM1||$WAKES $DRAINS $FAULTS"
"safe-asym-mix|safe|$SMALL2N $ASYMMIX||$WAKES $DRAINS"
"safe-asym-fail|safe|$SMALL1 $ASYMFAIL||$WAKES $DRAINS $SLICES $FAULTS"
"live-wake-1|live|$SMALL1|-N wake|"
"live-delivered-1|live|$SMALL1|-N delivered|"
"live-quiesce-1|live|$SMALL1|-N quiesce|"
"live-wake-2|live|$SMALL2|-N wake|"
"live-delivered-2|live|$SMALL2|-N delivered|"
"live-quiesce-2|live|$SMALL2|-N quiesce|"
"live-asym-wake-1|live|$ASYM1|-N wake|"
"live-asym-delivered-1|live|$ASYM1|-N delivered|"
"live-asym-wake-mix|live|$SMALL2M $ASYMMIX|-N wake|"
"live-asym-delivered-mix|live|$SMALL2M $ASYMMIX|-N delivered|"
"live-asym-wake-fail|live|$SMALL1P $ASYMFAIL|-N wake|"
"live-asym-delivered-fail|live|$SMALL1P $ASYMFAIL|-N delivered|"
# INV-WAKE-01/02/03: each half of each Dekker pair, both directions.
"neg-sleeper-barrier-c|neg|$SMALL2N -DNO_SLEEPER_BARRIER=1||$LOST_C"
"neg-sleeper-barrier-p|neg|$SMALL2N -DNO_SLEEPER_BARRIER=2||$LOST_P"
"neg-publisher-barrier-c|neg|$SMALL2N -DNO_PUBLISHER_BARRIER=1||$LOST_C"
"neg-publisher-barrier-p|neg|$SMALL2N -DNO_PUBLISHER_BARRIER=2||$LOST_P"
"neg-recheck-c|neg|$SMALL2N -DNO_RECHECK=1||$LOST_C"
"neg-recheck-p|neg|$SMALL2N -DNO_RECHECK=2||$LOST_P"
# INV-WAKE-05: attach and detach must signal the consumer.
"neg-detach-wake|neg|$SMALL1 -DNO_DETACH_WAKE||$LOST_C"
# INV-RING-05/-09: the release and acquire orderings.
"neg-release|neg|$SMALL1 -DNO_RELEASE||$BAD_MSG"
"neg-acquire|neg|$SMALL1 -DNO_ACQUIRE||$BAD_MSG"
"neg-cons-release|neg|$SMALL1 -DNO_CONS_RELEASE||$BAD_MSG"
# The LTL claims on their own, assertions off (-A): a lost wakeup must
# show as an acceptance cycle, not only as the quiescence assertion.
"neg-live-wake-c|neg|$SMALL2N -DLIVENESS -DNO_SLEEPER_BARRIER=1|-a -f -A -N wake|$CYCLE"
"neg-live-wake-p|neg|$SMALL2N -DLIVENESS -DNO_PUBLISHER_BARRIER=2|-a -f -A -N wake|$CYCLE"
"neg-live-delivered|neg|$SMALL1 -DLIVENESS -DNO_DETACH_WAKE|-a -f -A -N delivered|$CYCLE"
# ASYM, INV-WAKE-02: a registered publisher has no fence of its own, so
# the sleeper's membarrier() is needed in both directions; an
# unregistered one keeps its fence (membarrier() does not reach it).
"neg-membarrier-c|neg|$SMALL2N -DASYM -DNO_MEMBARRIER=1||$LOST_C"
"neg-membarrier-p|neg|$SMALL2N -DASYM -DNO_MEMBARRIER=2||$LOST_P"
"neg-asym-mix-publisher|neg|$SMALL2N $ASYMMIX -DNO_PUBLISHER_BARRIER=1||$LOST_C"
# INV-WAKE-06: after a failed membarrier(), an unbounded sleep can be lost.
"neg-slice-c|neg|$SMALL2N -DASYM -DMB_FAIL -DNO_SLICE=1||$LOST_C"
"neg-slice-p|neg|$SMALL2N -DASYM -DMB_FAIL -DNO_SLICE=2||$LOST_P"
"neg-live-membarrier-p|neg|$SMALL2N -DLIVENESS -DASYM -DNO_MEMBARRIER=2|-a -f -A -N wake|$CYCLE"
"neg-live-slice-c|neg|$SMALL2N -DLIVENESS -DASYM -DMB_FAIL -DNO_SLICE=1|-a -f -A -N wake|$CYCLE"
)

# Build a verifier once per (flags, cc flags); parallel runs of the same
# one wait for it (flock).
build() {  # dir defs ccflags
	local dir=$1 defs=$2 ccflags=$3
	(
		flock 9
		[[ -x $dir/pan ]] && exit 0
		cd "$dir" || exit 1
		cp "$model" ringmpsc.pml
		spin -a $defs ringmpsc.pml > spin.log 2>&1 || { echo "spin -a failed ($dir/spin.log)"; exit 1; }
		$CC $ccflags -DMEMLIM=4096 -w -o pan.tmp pan.c > cc.log 2>&1 || { echo "cc failed ($dir/cc.log)"; exit 1; }
		mv pan.tmp pan
	) 9> "$dir.lock"
}

run_one() {  # name kind defs panflags expect
	local name=$1 kind=$2 defs=$3 pflags=$4 expect=$5
	local dir=$out/$name bin ccflags runflags res detail states errors
	case $kind in
	safe) ccflags="-O2 -DSAFETY -DCOLLAPSE"; runflags="-m200000 -w25" ;;
	live) ccflags="-O2 -DCOLLAPSE -DNFAIR=3"; runflags="-a -f -m200000 -w24"
	      defs="$defs -DLIVENESS" ;;
	neg)  runflags="-m200000 -w22"
	      if [[ $pflags == *-a* ]]; then ccflags="-O0 -DCOLLAPSE -DNFAIR=3"
	      else ccflags="-O0 -DSAFETY"; fi ;;
	esac
	# one verifier per configuration: the liveness claims share theirs
	bin=$out/bin-$(echo "$defs $ccflags" | md5sum | cut -c1-12)
	mkdir -p "$bin" "$dir" || return 1
	local t0=$SECONDS
	detail=$(build "$bin" "$defs" "$ccflags")
	if [[ -n $detail ]]; then
		printf 'FAIL %-26s %s\n' "$name" "$detail" > "$dir/result"
		return
	fi
	cd "$dir" || return 1
	cp "$bin/ringmpsc.pml" .
	rm -f ringmpsc.pml.trail
	echo "cd $dir && spin -t -p -g -l $defs ringmpsc.pml" > replay.sh
	"$bin/pan" $runflags $pflags > pan.log 2>&1
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | head -1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -1)
	if [[ -z $errors ]]; then
		res=FAIL; detail="pan did not finish (pan.log)"
	elif [[ $kind == neg ]]; then
		if ((errors == 0)); then
			res=FAIL; detail="no counterexample: the model is too weak"
		elif grep -Eq "$expect" pan.log; then
			res=PASS; detail="counterexample: ${WHAT[$expect]}"
		else
			res=FAIL; detail="an error, not the expected one: $(grep -m1 -E 'violated|cycle|invalid' pan.log)"
		fi
	elif ((errors != 0)); then
		res=FAIL; detail="$(grep -m1 -E 'violated|cycle|invalid|error' pan.log)"
	elif grep -Eq 'reached -DMEMLIM|max search depth too small|Search not completed' pan.log; then
		res=FAIL; detail="search incomplete (pan.log)"
	else
		res=PASS; detail="no error"
		if [[ $kind == safe ]]; then
			local tag line missing=""
			# pan reports a statement merged into a transition as
			# reached when the transition's first state is, so a
			# tag must sit on a statement that starts a transition
			# of its own: a blocking guard, or a d_step.
			for tag in $expect; do
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
			if [[ -n $missing ]]; then
				res=FAIL; detail="vacuous, never reached:$missing"
			else
				detail="no error, reached: $expect"
			fi
		fi
	fi
	printf '%s %-26s %s; %s states, %ds\n' "$res" "$name" "$detail" "${states:-?}" \
		$((SECONDS - t0)) > result
}

# RingMPSC.tla cannot be model-checked here (no TLC); parse it with the
# tree-sitter TLA+ grammar from npm when npm is there and answers within
# two minutes (else skipped: CI may have no registry but Debian's).
tla_syntax() {
	local dir=$out/tla-syntax t0=$SECONDS
	mkdir -p "$dir"
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "SKIP tla-syntax                 node/npm not installed" > "$dir/result"
		return
	fi
	if [[ ! -d $dir/node_modules/web-tree-sitter ]] &&
	   ! timeout 120 npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts \
		--loglevel=error web-tree-sitter@0.27.2 \
		@tlaplus/tree-sitter-tlaplus@1.5.0 > "$dir/npm.log" 2>&1; then
		echo "SKIP tla-syntax                 npm install failed ($dir/npm.log)" > "$dir/result"
		return
	fi
	if NODE_PATH=$dir/node_modules node "$here/tla-syntax.js" "$here/RingMPSC.tla" \
		> "$dir/log" 2>&1; then
		printf 'PASS %-26s RingMPSC.tla parses, every name declared (%ds)\n' \
			tla-syntax $((SECONDS - t0)) > "$dir/result"
	else
		printf 'FAIL %-26s %s\n' tla-syntax "$(head -1 "$dir/log")" > "$dir/result"
	fi
}

# Run up to $jobs at once; print results in table order.
names=()
running=0
if [[ -z $only || tla-syntax =~ $only ]]; then
	tla_syntax
	names+=(tla-syntax)
fi
for c in "${checks[@]}"; do
	IFS='|' read -r name kind defs pflags expect <<< "$c"
	[[ -n $only && ! $name =~ $only ]] && continue
	names+=("$name")
	rm -f "$out/$name/result"
	(run_one "$name" "$kind" "$defs" "$pflags" "$expect") &
	running=$((running + 1))
	if ((running >= jobs)); then
		wait -n
		running=$((running - 1))
	fi
done
wait

pass=0 fail=0 skip=0
for name in "${names[@]}"; do
	if [[ -f $out/$name/result ]]; then
		cat "$out/$name/result"
		case $(cut -c1-4 "$out/$name/result") in
		PASS) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1)) ;;
		*)    fail=$((fail + 1)) ;;
		esac
	else
		echo "FAIL $name (no result)"
		fail=$((fail + 1))
	fi
done
line="$pass passed, $fail failed"
((skip > 0)) && line="$line, $skip skipped"
echo "model: $line"
[[ -z ${RINGMPSC_RESULT:-} ]] || echo "$line" > "$RINGMPSC_RESULT"
((fail == 0))
