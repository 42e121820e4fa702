#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-checks.sh SPAN_TEST JSON_TEST INTAKE_TEST SOURCE_TEST COLLECTOR [CASE...]
#
# check-collector: span_test, json_test, intake_test and source_test (kselftest
# harness), then the OTLP receiver test (otlp_test.js, NODE_PATH set by
# the caller); all always run. One "N passed, N failed" line for all, to $RINGMPSC_RESULT
# if set; exit 1 if anything failed.
span_test=$1 json_test=$2 intake_test=$3 source_test=$4 collector=$5
shift 5
here=$(dirname "$0")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
passed=0 failed=0 rc=0

# Add a summary ("PASS FAIL") to the totals; none: the program died
# before its summary, one failure.
count() {
	set -- $1
	[ $# -eq 2 ] || set -- 0 1
	passed=$((passed + $1)) failed=$((failed + $2))
}

for t in "$span_test" "$json_test" "$intake_test" "$source_test"; do
	"$t" >"$tmp" || rc=1
	cat "$tmp"
	count "$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 \2/p' "$tmp")"
done
RINGMPSC_RESULT=$tmp node "$here/otlp_test.js" "$collector" "$@" || rc=1
count "$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp")"
line="$passed passed, $failed failed"
echo "check-collector: $line"
[ -n "$RINGMPSC_RESULT" ] && echo "$line" >"$RINGMPSC_RESULT"
exit $rc
