#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# run-tests.sh DIR "NAME..." SET...
#
# Run the library's host test binaries DIR/<build>/<NAME> for each SET:
#   plain     DIR/plain/*, the stress test at full size (10M messages per
#             producer; RINGMPSC_STRESS_N overrides)
#   tsan      DIR/tsan/*, under "setarch -R" when available (TSan needs a
#             low-entropy address space on some kernels), smaller counts
#   asan      DIR/asan/* (ASan + UBSan), smaller counts
#   valgrind  DIR/plain/* under valgrind memcheck, much smaller counts
# Each binary is a kselftest harness program: every test runs in a process
# of its own under a timeout of its own; the sizes go to the binaries in
# RINGMPSC_STRESS_N and RINGMPSC_FUZZ_N (see lib/tests/tests.mk).
# RINGMPSC_TEST_EXEC, if set, is the command that runs each binary (e.g.
# qemu-aarch64-static for a cross build: scripts/arm64.mk), and
# RINGMPSC_ASAN_STRESS_N the stress size of the asan set.
# Judges each run with lib/tests/tap-judge (TAP::Parser, as prove(1)):
# every "ok" passes, every "not ok" fails, a SKIP is skipped; a missing
# plan, a short or long plan, a timeout of the whole binary or a non-zero
# exit without a failed test is one failure more. Prints one summary line
# "lib: N passed, N failed[, N skipped]", writes "N passed, N failed..."
# to $RINGMPSC_RESULT if set, and exits 1 if anything failed.
set -uo pipefail

here=$(dirname "$0")
dir=${1:?usage: run-tests.sh DIR "NAME..." SET...}
names=${2:?usage: run-tests.sh DIR "NAME..." SET...}
shift 2
sets=("$@")
((${#sets[@]})) || sets=(plain tsan asan valgrind)

# Logs of this run in a directory of its own (runs may overlap in a shared
# tree); the ones of finished runs go; "logs" points at the latest.
logdir=$dir/logs.$$
for d in "$dir"/logs.*; do
	[[ -d $d ]] || continue
	kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
done
mkdir -p "$logdir"
if [[ -d $dir/logs && ! -L $dir/logs ]]; then rm -rf "$dir/logs"; fi
ln -sfn "logs.$$" "$dir/logs"
passed=0 failed=0 skipped=0 report=()
start_all=$SECONDS

# Messages per producer in the stress test (test_barrier: round trips x 100),
# by build.
stress_n() {
	case $1 in
	plain) echo "${RINGMPSC_STRESS_N:-10000000}" ;;
	tsan) echo 100000 ;;
	asan) echo "${RINGMPSC_ASAN_STRESS_N:-500000}" ;;
	valgrind) echo 3000 ;;
	esac
}

setarch_r=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
	setarch_r=(setarch "$(uname -m)" -R)
fi

run_one() {
	local set=$1 name=$2 bin sizes=() pre=() log secs rc t0 summary
	case $set in
	plain | valgrind) bin=$dir/plain/$name ;;
	*) bin=$dir/$set/$name ;;
	esac
	[[ $name == test_stress || $name == test_barrier ]] &&
		sizes=(RINGMPSC_STRESS_N="$(stress_n "$set")")
	# Fewer fuzz and hostile-ring iterations under valgrind.
	[[ $name == test_corrupt && $set == valgrind ]] &&
		sizes=(RINGMPSC_FUZZ_N=5000)
	# shellcheck disable=SC2206 # a command and its words
	[[ -n ${RINGMPSC_TEST_EXEC:-} ]] && pre=(${RINGMPSC_TEST_EXEC})
	case $set in
	tsan) pre=("${setarch_r[@]}" "${pre[@]}") ;;
	valgrind)
		pre=(valgrind -q --error-exitcode=99 --leak-check=full
		     --errors-for-leak-kinds=definite --show-leak-kinds=definite
		     --child-silent-after-fork=no)
		;;
	esac
	log=$logdir/$set-$name.log
	echo "==> $set/$name ${sizes[*]}"
	t0=$EPOCHREALTIME
	rc=0
	env "${sizes[@]}" \
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
	ASAN_OPTIONS="detect_leaks=1 halt_on_error=1 ${ASAN_OPTIONS:-}" \
	UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}" \
		timeout -k 10 3600 "${pre[@]}" "$bin" 2>&1 |
		tee "$log" || rc=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	summary=$("$here/tap-judge" "$log" "$rc") ||
		summary="0 1 0 tap-judge failed"
	read -r p f s extra <<<"$summary"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	report+=("$(printf '  %-9s %-13s %3d passed %3d failed %2d skipped %8.1fs %s' \
		"$set" "$name" "$p" "$f" "$s" "$secs" "${extra:-}")")
	echo "==> $set/$name: $p passed, $f failed, $s skipped (${secs}s)${extra:+ - $extra}"
}

for set in "${sets[@]}"; do
	case $set in
	plain | tsan | asan | valgrind) ;;
	*) echo "run-tests.sh: unknown set $set" >&2; exit 2 ;;
	esac
	if [[ $set == valgrind ]] && ! command -v valgrind >/dev/null; then
		echo "==> valgrind not installed"
		failed=$((failed + 1))
		report+=("  valgrind  (not installed)                1 failed")
		continue
	fi
	for name in $names; do
		run_one "$set" "$name"
	done
done

echo
echo "==> lib tests ($((SECONDS - start_all))s); stress messages per producer:" \
	"plain $(stress_n plain), tsan $(stress_n tsan), asan $(stress_n asan)," \
	"valgrind $(stress_n valgrind)"
printf '%s\n' "${report[@]}"
line="$passed passed, $failed failed"
((skipped == 0)) || line+=", $skipped skipped"
[[ -z ${RINGMPSC_RESULT:-} ]] || echo "$line" >"$RINGMPSC_RESULT"
echo "lib: $line"
((failed == 0))
