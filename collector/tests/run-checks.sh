#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-checks.sh SPAN_TEST COLLECTOR [CASE...]
#
# check-collector: span_test (kselftest harness), then the OTLP receiver
# test (otlp_test.js, NODE_PATH set by the caller); both always run. One
# "N passed, N failed" line for both, to $RINGMPSC_RESULT if set; exit 1
# if anything failed.
span_test=$1 collector=$2
shift 2
here=$(dirname "$0")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

"$span_test" >"$tmp"
span_rc=$?
cat "$tmp"
totals=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 \2/p' "$tmp")
RINGMPSC_RESULT=$tmp node "$here/otlp_test.js" "$collector" "$@"
otlp_rc=$?
set -- $totals $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp")
# A program that died before its summary counts as one failure.
[ $# -eq 4 ] || { set -- 0 1 0 0; }
line="$(($1 + $3)) passed, $(($2 + $4)) failed"
echo "check-collector: $line"
[ -n "$RINGMPSC_RESULT" ] && echo "$line" >"$RINGMPSC_RESULT"
[ $span_rc -eq 0 ] && [ $otlp_rc -eq 0 ]
